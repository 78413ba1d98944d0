/* Reading a theme file (themes/NAME.yaml): a name, an optional `mono: true`,
 * and under `roles:` one mapping per role with fg, bg, fg256, bg256, attrs
 * and mono. Unknown roles, keys and colour words are errors naming the line. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "theme.h"

typedef struct loader {
    yaml_document_t doc;
    theme *t;
    char *err;
    size_t errsize;
} loader;

static int fail(loader *L, const yaml_node_t *n, const char *fmt, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, what);
    snprintf(L->err, L->errsize, "%s:%lu: %s", L->t->source,
             n ? (unsigned long)n->start_mark.line + 1 : 0UL, msg);
    return -1;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int set_text(loader *L, const yaml_node_t *n, char *dst, size_t size, int colour)
{
    const char *v = scalar(n);
    if (!v)
        return fail(L, n, "%s: expected a word", "value");
    if (colour && theme_parse_colour(v, 1) == -2)
        return fail(L, n, "'%s' is not a colour (a name such as cyan, default, 0..255 or #rrggbb)",
                    v);
    unsigned long a;
    if (!colour && theme_parse_attrs(v, &a) < 0)
        return fail(L, n, "'%s': attributes are bold, dim, underline, reverse, standout, italic",
                    v);
    if (strlen(v) >= size)
        return fail(L, n, "'%s' is too long", v);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int load_role(loader *L, theme_spec *s, yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE)
        return fail(L, map, "%s: a role is a mapping such as {fg: cyan, bg: default}", "role");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&L->doc, p->value);
        const char *key = scalar(k);
        int rc;
        if (!key)
            rc = fail(L, k, "%s: keys are words", "role");
        else if (!strcmp(key, "fg"))
            rc = set_text(L, v, s->fg, sizeof s->fg, 1);
        else if (!strcmp(key, "bg"))
            rc = set_text(L, v, s->bg, sizeof s->bg, 1);
        else if (!strcmp(key, "fg256"))
            rc = set_text(L, v, s->fg256, sizeof s->fg256, 1);
        else if (!strcmp(key, "bg256"))
            rc = set_text(L, v, s->bg256, sizeof s->bg256, 1);
        else if (!strcmp(key, "attrs"))
            rc = set_text(L, v, s->attrs, sizeof s->attrs, 0);
        else if (!strcmp(key, "mono"))
            rc = set_text(L, v, s->mono, sizeof s->mono, 0);
        else
            rc = fail(L, k, "unknown key '%s' (fg, bg, fg256, bg256, attrs, mono)", key);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int load_roles(loader *L, yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE)
        return fail(L, map, "%s: expected a mapping of role names", "roles");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
        const char *name = scalar(k);
        int r;
        for (r = 0; r < ROLE_COUNT; r++)
            if (name && !strcmp(name, theme_role_name((tui_role)r)))
                break;
        if (r == ROLE_COUNT)
            return fail(L, k, "unknown role '%s' (see themes/README.md)", name ? name : "?");
        theme_spec *s = &L->t->spec[r];
        /* A role given in the file replaces the built-in one as a whole, so
         * a light theme does not inherit the dark theme's 256-colour values. */
        memset(s, 0, sizeof *s);
        snprintf(s->fg, sizeof s->fg, "default");
        snprintf(s->bg, sizeof s->bg, "default");
        if (load_role(L, s, yaml_document_get_node(&L->doc, p->value)) < 0)
            return -1;
    }
    return 0;
}

static int load_root(loader *L)
{
    yaml_node_t *root = yaml_document_get_root_node(&L->doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        return fail(L, root, "%s: a theme is a mapping with name and roles", "theme");
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&L->doc, p->value);
        const char *key = scalar(k), *val = scalar(v);
        if (key && !strcmp(key, "name") && val) {
            snprintf(L->t->name, sizeof L->t->name, "%s", val);
        } else if (key && !strcmp(key, "description")) {
            continue;
        } else if (key && !strcmp(key, "mono") && val) {
            L->t->force_mono = !strcasecmp(val, "true") || !strcasecmp(val, "yes");
        } else if (key && !strcmp(key, "roles")) {
            if (load_roles(L, v) < 0)
                return -1;
        } else {
            return fail(L, k, "unknown key '%s' (name, description, mono, roles)",
                        key ? key : "?");
        }
    }
    return 0;
}

static int load_file(theme *t, const char *path, char *err, size_t errsize)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsize, "%s: cannot open the theme file", path);
        return -1;
    }
    snprintf(t->source, sizeof t->source, "%s", path);
    loader L = {.t = t, .err = err, .errsize = errsize};
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int rc = -1;
    if (!yaml_parser_load(&parser, &L.doc)) {
        snprintf(err, errsize, "%s:%lu: %s", path, (unsigned long)parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "not valid YAML");
    } else {
        rc = load_root(&L);
        yaml_document_delete(&L.doc);
    }
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

static int is_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 5 && !strcmp(s + n - 5, ".yaml")) ||
           (n > 4 && !strcmp(s + n - 4, ".yml"));
}

int theme_load(theme *t, const char *name, const char *const *dirs, size_t ndirs, char *err,
               size_t errsize)
{
    theme_builtin(t);
    if (!name || !*name)
        return 0;
    if (is_path(name)) {
        if (load_file(t, name, err, errsize) == 0)
            return 0;
        theme_builtin(t);
        return -1;
    }
    char path[1024];
    for (size_t i = 0; i < ndirs; i++) {
        snprintf(path, sizeof path, "%s/%s.yaml", dirs[i], name);
        if (access(path, R_OK) != 0)
            continue;
        if (load_file(t, path, err, errsize) == 0)
            return 0;
        theme_builtin(t);
        return -1;
    }
    /* "default" needs no file: it is the built-in dark theme. */
    if (!strcmp(name, "default") || !strcmp(name, "dark"))
        return 0;
    snprintf(err, errsize, "theme '%s' not found (looked for %s.yaml in the themes folders)", name,
             name);
    return -1;
}
