/* The workspace YAML file: loading it over the defaults with every problem
 * reported by file:line:column, and noting where each key sits for saving. */
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"

/* Where a node's text ends: a block collection ends with its last child,
 * not at the next token (which may be comments further down). */
static size_t node_end_byte(const source *s, const ynode *n)
{
    if (n->kind == Y_SCALAR || n->kind == Y_ALIAS || n->flow)
        return aft_cfg_byte_at(s, n->end);
    if (n->n == 0)
        return aft_cfg_byte_at(s, n->start);
    return node_end_byte(s, n->kids[n->n - 1]);
}

static void note_section(const source *s, sec_span *sec, const ynode *map, const ynode *key)
{
    sec->kind = map->flow ? SEC_FLOW : SEC_BLOCK;
    sec->indent = map->start.column;
    sec->key_col = key ? key->start.column : 0;
    /* For a flow mapping this is before its '}', where new entries go. */
    sec->last_end =
        map->n ? node_end_byte(s, map->kids[map->n - 1]) : aft_cfg_byte_at(s, map->start);
    sec->close = aft_cfg_byte_at(s, map->close);
    sec->n = map->n / 2;
}

static int is_null(const ynode *v)
{
    return v->kind == Y_SCALAR && v->style == YAML_PLAIN_SCALAR_STYLE &&
           (v->len == 0 || strcmp(v->text, "~") == 0 || strcmp(v->text, "null") == 0 ||
            strcmp(v->text, "Null") == 0 || strcmp(v->text, "NULL") == 0);
}

static const char *kind_name(const ynode *n)
{
    switch (n->kind) {
    case Y_SEQ:
        return "a list";
    case Y_MAP:
        return "a mapping";
    case Y_ALIAS:
        return "an alias (*name; aliases are not supported)";
    default:
        return "a single value";
    }
}

/* Key names are looked up without the section.name form, which is only for
 * --set and would be ambiguous in a mapping. */
static const aft_key_info *find_name(const char *name)
{
    return strchr(name, '.') ? NULL : aft_schema_find(name);
}

static int key_is_scalar(const source *s, const ynode *k)
{
    if (k->kind == Y_SCALAR)
        return 1;
    aft_cfg_diag_at(s->d, s->file, k->start, "a key must be a plain name, not %s", kind_name(k));
    return 0;
}

/* Known keys and sections may appear once per mapping; *first holds the
 * line of the first one (0 until seen). Counting by schema slot rather than
 * comparing every pair keeps a huge file linear. */
static int first_time(const source *s, const ynode *k, size_t *first, const char *section)
{
    if (*first == 0) {
        *first = k->start.line + 1;
        return 1;
    }
    aft_cfg_diag_at(s->d, s->file, k->start, "duplicate key \"%s\"%s%s%s (first at line %zu)",
                    k->text, section[0] ? " in section \"" : "", section,
                    section[0] ? "\"" : "", *first);
    return 0;
}

static void apply_value(const source *s, const aft_key_info *k, const ynode *key,
                        const ynode *v, aft_config *cfg, layout *lay)
{
    if (v->kind != Y_SCALAR) {
        aft_cfg_diag_at(s->d, s->file, v->start, "%s must be a single value, not %s", k->name,
                        kind_name(v));
        return;
    }
    if (memchr(v->text, '\0', v->len)) {
        aft_cfg_diag_at(s->d, s->file, v->start, "%s contains a NUL character", k->name);
        return;
    }
    key_span *ks = &lay->key[k->id];
    ks->present = 1;
    ks->start = aft_cfg_byte_at(s, v->start);
    ks->end = aft_cfg_byte_at(s, v->end);
    ks->style = v->style;
    ks->line = key->start.line + 1;
    aft_error e = {0};
    if (aft_cfg_set_at(cfg, k->id, is_null(v) ? "" : v->text, AFT_ORIGIN_FILE, ks->line, &e) < 0)
        aft_cfg_diag_at(s->d, s->file, v->start, "%s", e.msg);
}

/* At the top level a misspelt section name is as likely as a misspelt key. */
static const char *closest_section(const char *name, size_t *dist)
{
    const char *names[AFT_K_COUNT];
    size_t n = aft_cfg_sections(names, AFT_K_COUNT);
    const char *best = NULL;
    *dist = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = names[i][0] ? aft_cfg_edit_distance(name, names[i]) : (size_t)-1;
        if (d < *dist) {
            *dist = d;
            best = names[i];
        }
    }
    size_t limit = strlen(name) / 3 > 2 ? strlen(name) / 3 : 2;
    return *dist <= limit && *dist < strlen(name) ? best : NULL;
}

static void unknown_key(const source *s, const ynode *key, const char *section)
{
    char in[128] = "";
    if (section[0])
        snprintf(in, sizeof in, " in section \"%s\"", section);
    const aft_key_info *dotted = aft_schema_find(key->text);
    if (dotted && strchr(key->text, '.')) {
        aft_cfg_diag_at(s->d, s->file, key->start,
                        "unknown key \"%s\"%s (write it as \"%s\" under %s%s)",
                        key->text, in, dotted->name,
                        dotted->section[0] ? dotted->section : "the top level",
                        dotted->section[0] ? ":" : "");
        return;
    }
    int hints = s->d->n < DIAG_KEEP;
    const char *hint = hints ? aft_schema_suggest(key->text) : NULL;
    const aft_key_info *k = hint ? aft_schema_find(hint) : NULL;
    size_t sec_dist = (size_t)-1;
    const char *sec = section[0] || !hints ? NULL : closest_section(key->text, &sec_dist);
    if (sec && (!k || sec_dist <= aft_cfg_edit_distance(key->text, k->name)))
        aft_cfg_diag_at(s->d, s->file, key->start, "unknown key \"%s\" (did you mean \"%s\"?)",
                        key->text, sec);
    else if (k && strcmp(k->section, section) != 0 && !k->section[0])
        aft_cfg_diag_at(s->d, s->file, key->start,
                        "unknown key \"%s\"%s (did you mean \"%s\", a top-level key?)",
                        key->text, in, k->name);
    else if (k && strcmp(k->section, section) != 0)
        aft_cfg_diag_at(s->d, s->file, key->start,
                        "unknown key \"%s\"%s (did you mean \"%s\" in section \"%s\"?)",
                        key->text, in, k->name, k->section);
    else if (k)
        aft_cfg_diag_at(s->d, s->file, key->start, "unknown key \"%s\"%s (did you mean \"%s\"?)",
                        key->text, in, k->name);
    else
        aft_cfg_diag_at(s->d, s->file, key->start, "unknown key \"%s\"%s", key->text, in);
}

static void misplaced_key(const source *s, const ynode *key, const aft_key_info *k,
                          const char *section)
{
    if (!k->section[0])
        aft_cfg_diag_at(s->d, s->file, key->start,
                        "key \"%s\" is a top-level key, not part of section \"%s\"", k->name,
                        section);
    else if (!section[0])
        aft_cfg_diag_at(s->d, s->file, key->start, "key \"%s\" belongs in section \"%s\"", k->name,
                        k->section);
    else
        aft_cfg_diag_at(s->d, s->file, key->start,
                        "key \"%s\" belongs in section \"%s\", not \"%s\"", k->name,
                        k->section, section);
}

/* A section's value: a mapping of its keys, or one value standing for its
 * main key (`dataset: data.jsonl`), or nothing (`model:`). */
static void walk_section(const source *s, const ynode *key, const ynode *v, aft_config *cfg,
                         layout *lay)
{
    const char *section = key->text;
    sec_span *sec = &lay->sec[aft_cfg_section_index(section)];
    if (v->kind == Y_SCALAR) {
        const aft_key_info *main_key = aft_cfg_section_shorthand(section);
        if (!is_null(v) && !main_key) {
            /* "train" is a section and also dataset.train. */
            const aft_key_info *same = find_name(section);
            char hint[128] = "";
            if (same)
                snprintf(hint, sizeof hint, " (did you mean \"%s\" in section \"%s\"?)",
                         same->name, same->section);
            aft_cfg_diag_at(s->d, s->file, v->start,
                            "section \"%s\" must hold keys (a mapping such as `%s: {key: value}`), "
                            "not a single value%s",
                            section, section, hint);
            return;
        }
        sec->kind = SEC_SCALAR;
        sec->key_col = key->start.column;
        sec->vstart = aft_cfg_byte_at(s, v->start);
        sec->vend = aft_cfg_byte_at(s, v->end);
        if (!is_null(v))
            apply_value(s, main_key, key, v, cfg, lay);
        return;
    }
    if (v->kind != Y_MAP) {
        aft_cfg_diag_at(s->d, s->file, v->start, "section \"%s\" must be a mapping of keys, not %s",
                        section, kind_name(v));
        return;
    }
    note_section(s, sec, v, key);
    size_t seen[AFT_K_COUNT] = {0};
    for (size_t i = 0; i < v->n / 2; i++) {
        const ynode *k = v->kids[2 * i];
        if (!key_is_scalar(s, k))
            continue;
        const aft_key_info *info = find_name(k->text);
        if (!info)
            unknown_key(s, k, section);
        else if (strcmp(info->section, section) != 0)
            misplaced_key(s, k, info, section);
        else if (first_time(s, k, &seen[info->id], section))
            apply_value(s, info, k, v->kids[2 * i + 1], cfg, lay);
    }
}

static void walk_root(const source *s, const ynode *root, aft_config *cfg, layout *lay)
{
    if (!root)
        return;
    if (is_null(root)) {
        lay->root_null = 1;
        lay->root_start = aft_cfg_byte_at(s, root->start);
        lay->root_end = aft_cfg_byte_at(s, root->end);
        return;
    }
    if (root->kind != Y_MAP) {
        aft_cfg_diag_at(s->d, s->file, root->start,
                        "a workspace is a mapping of keys (such as `model: {n_layer: 4}`), not %s",
                        kind_name(root));
        return;
    }
    note_section(s, &lay->sec[aft_cfg_section_index("")], root, NULL);
    size_t seen_key[AFT_K_COUNT] = {0}, seen_sec[AFT_K_COUNT] = {0};
    for (size_t i = 0; i < root->n / 2; i++) {
        const ynode *k = root->kids[2 * i];
        if (!key_is_scalar(s, k))
            continue;
        const aft_key_info *info = find_name(k->text);
        if (aft_cfg_is_section(k->text)) {
            if (first_time(s, k, &seen_sec[aft_cfg_section_index(k->text)], ""))
                walk_section(s, k, root->kids[2 * i + 1], cfg, lay);
        } else if (!info) {
            unknown_key(s, k, "");
        } else if (info->section[0]) {
            misplaced_key(s, k, info, "");
        } else if (first_time(s, k, &seen_key[info->id], "")) {
            apply_value(s, info, k, root->kids[2 * i + 1], cfg, lay);
        }
    }
}

/* Parses text (the contents of s->file) over cfg's values and fills lay;
 * problems go to s->d. */
void aft_cfg_parse_workspace(source *s, aft_config *cfg, layout *lay)
{
    memset(lay, 0, sizeof *lay);
    lay->nsec = aft_cfg_sections(lay->names, AFT_K_COUNT);
    if (s->len >= 2 && ((unsigned char)s->text[0] == 0xFF || (unsigned char)s->text[0] == 0xFE)) {
        aft_cfg_diag_add(s->d, "%s: the workspace must be UTF-8 text (this looks like UTF-16)",
                         s->file);
        return;
    }
    if (aft_cfg_build_offsets(s) < 0) {
        s->d->oom = 1;
        return;
    }
    ynode *root = NULL;
    if (aft_cfg_parse_tree(s, &root) == 0)
        walk_root(s, root, cfg, lay);
    aft_cfg_node_free(root);
    free(s->off);
    s->off = NULL;
}

aft_config *aft_workspace_load(const char *path, aft_error *err)
{
    if (!path) {
        aft_error_set(err, "no workspace file given");
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    if (aft_read_file(path, &text, &len, err) < 0) {
        aft_error_prefix(err, "cannot read the workspace");
        return NULL;
    }
    aft_config *cfg = aft_config_new();
    if (!cfg || aft_cfg_set_path(cfg, path, err) < 0) {
        if (!cfg)
            aft_error_set(err, "out of memory");
        aft_config_free(cfg);
        free(text);
        return NULL;
    }
    diag d = {0};
    source s = {path, text, len, NULL, 0, &d};
    layout *lay = malloc(sizeof *lay);
    if (lay)
        aft_cfg_parse_workspace(&s, cfg, lay);
    else
        d.oom = 1;
    free(lay);
    free(text);
    if (aft_cfg_diag_failed(&d)) {
        aft_cfg_diag_to_error(&d, err);
        aft_cfg_diag_free(&d);
        aft_config_free(cfg);
        return NULL;
    }
    aft_cfg_diag_free(&d);
    return cfg;
}
