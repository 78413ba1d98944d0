/* The workspace YAML file: loading it over the defaults with every problem
 * reported by file:line:column, and saving changed values back in place. */
#include "config_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "agentft/fileio.h"

/* ---- problems, collected so a user can fix the whole file in one go ---- */

typedef struct {
    char **msg;   /* the first DIAG_KEEP problems */
    size_t kept, cap;
    size_t n;     /* all problems */
    int oom;
} diag;

/* Far more than one aft_error can show; the rest are only counted, and
 * spelling hints (the costly part) stop too. */
enum { DIAG_KEEP = 64 };

static void diag_vadd(diag *d, const char *prefix, const char *fmt, va_list ap)
{
    d->n++;
    if (d->kept == DIAG_KEEP)
        return;
    char line[AFT_ERROR_MAX];
    size_t used = (size_t)snprintf(line, sizeof line, "%s", prefix);
    if (used < sizeof line)
        vsnprintf(line + used, sizeof line - used, fmt, ap);
    if (d->kept == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        char **bigger = realloc(d->msg, cap * sizeof *bigger);
        if (!bigger) {
            d->oom = 1;
            return;
        }
        d->msg = bigger;
        d->cap = cap;
    }
    char *copy = strdup(line);
    if (!copy) {
        d->oom = 1;
        return;
    }
    d->msg[d->kept++] = copy;
}

static void diag_add(diag *d, const char *fmt, ...) AFT_PRINTF(2, 3);

static void diag_add(diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(d, "", fmt, ap);
    va_end(ap);
}

static void diag_at(diag *d, const char *file, yaml_mark_t m, const char *fmt, ...)
    AFT_PRINTF(4, 5);

/* libyaml counts lines and columns from 0; editors count from 1. */
static void diag_at(diag *d, const char *file, yaml_mark_t m, const char *fmt, ...)
{
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s:%zu:%zu: ", file, m.line + 1, m.column + 1);
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(d, prefix, fmt, ap);
    va_end(ap);
}

static int diag_failed(const diag *d)
{
    return d->n > 0 || d->oom;
}

/* Joins the problems into err->msg, one a line; what does not fit is
 * counted at the end rather than cut off mid-line. */
static int diag_to_error(const diag *d, aft_error *err)
{
    enum { TAIL_ROOM = 48 }; /* "\n(and N more problems)" */
    if (!err)
        return -1;
    const size_t room = sizeof err->msg;
    size_t used = 0, i = 0;
    err->msg[0] = '\0';
    err->set = 1;
    for (; i < d->kept; i++) {
        size_t need = (i ? 1 : 0) + strlen(d->msg[i]);
        size_t reserve = i + 1 < d->n ? TAIL_ROOM : 0;
        if (used + need + reserve + 1 > room)
            break;
        used += (size_t)snprintf(err->msg + used, room - used, "%s%s", i ? "\n" : "",
                                 d->msg[i]);
    }
    if (i == 0 && d->kept > 0) { /* one huge line: keep its start */
        size_t keep = room - TAIL_ROOM - 1;
        memcpy(err->msg, d->msg[0], keep);
        err->msg[keep] = '\0';
        used = keep;
        i = 1;
    }
    if (i < d->n)
        snprintf(err->msg + used, room - used, "\n(and %zu more problem%s)", d->n - i,
                 d->n - i == 1 ? "" : "s");
    else if (d->oom)
        snprintf(err->msg + used, room - used, "%sout of memory", used ? "\n" : "");
    return -1;
}

static void diag_free(diag *d)
{
    for (size_t i = 0; i < d->kept; i++)
        free(d->msg[i]);
    free(d->msg);
}

/* ---- the YAML text as a small tree that remembers where each node sits ---- */

typedef enum { Y_SCALAR, Y_SEQ, Y_MAP, Y_ALIAS } ykind;

typedef struct ynode {
    ykind kind;
    yaml_mark_t start, end, close; /* close: the flow '}' or ']' */
    char *text;                     /* scalars */
    size_t len;
    yaml_scalar_style_t style;
    int flow;
    struct ynode **kids; /* a mapping holds key, value, key, value... */
    size_t n, cap;
} ynode;

typedef struct {
    const char *file; /* as given, for messages */
    const char *text;
    size_t len;
    size_t *off; /* libyaml marks count characters; off[i] is char i's byte */
    size_t noff;
    diag *d;
} source;

/* Nesting deeper than this is no workspace, and stops a hostile file from
 * exhausting the stack. */
enum { MAX_DEPTH = 64 };

static void node_free(ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n);
}

static int node_push(ynode *parent, ynode *kid)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        ynode **bigger = realloc(parent->kids, cap * sizeof *bigger);
        if (!bigger)
            return -1;
        parent->kids = bigger;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = kid;
    return 0;
}

static int build_offsets(source *s)
{
    size_t base = s->len >= 3 && memcmp(s->text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    size_t n = 0;
    for (size_t i = base; i < s->len; i++)
        n += ((unsigned char)s->text[i] & 0xC0) != 0x80;
    s->off = malloc((n + 1) * sizeof *s->off);
    if (!s->off)
        return -1;
    s->noff = 0;
    for (size_t i = base; i < s->len; i++)
        if (((unsigned char)s->text[i] & 0xC0) != 0x80)
            s->off[s->noff++] = i;
    s->off[s->noff] = s->len;
    return 0;
}

static size_t byte_at(const source *s, yaml_mark_t m)
{
    return m.index <= s->noff ? s->off[m.index] : s->len;
}

static void report_parser(source *s, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR) {
        s->d->oom = 1;
    } else if (p->error == YAML_READER_ERROR) {
        /* The reader reports a byte offset, not a mark. */
        yaml_mark_t m = {0, 0, 0};
        for (size_t i = 0; i < p->problem_offset && i < s->len; i++) {
            if (s->text[i] == '\n') {
                m.line++;
                m.column = 0;
            } else if (((unsigned char)s->text[i] & 0xC0) != 0x80) {
                m.column++;
            }
        }
        diag_at(s->d, s->file, m, "%s", p->problem ? p->problem : "unreadable text");
    } else if (p->context) {
        diag_at(s->d, s->file, p->problem_mark, "%s (%s started at line %zu, column %zu)",
                p->problem ? p->problem : "syntax error", p->context, p->context_mark.line + 1,
                p->context_mark.column + 1);
    } else {
        diag_at(s->d, s->file, p->problem_mark, "%s",
                p->problem ? p->problem : "syntax error");
    }
}

static int next_event(source *s, yaml_parser_t *p, yaml_event_t *ev)
{
    if (yaml_parser_parse(p, ev))
        return 0;
    report_parser(s, p);
    return -1;
}

static ynode *read_node(source *s, yaml_parser_t *p, yaml_event_t *ev, int depth);

/* Reads the children of a sequence or mapping up to its end event. */
static int read_children(source *s, yaml_parser_t *p, ynode *n, yaml_event_type_t end,
                         int depth)
{
    for (;;) {
        yaml_event_t ev;
        if (next_event(s, p, &ev) < 0)
            return -1;
        if (ev.type == end) {
            n->end = ev.end_mark;
            n->close = ev.start_mark;
            yaml_event_delete(&ev);
            return 0;
        }
        ynode *kid = read_node(s, p, &ev, depth + 1);
        if (!kid || node_push(n, kid) < 0) {
            if (kid)
                s->d->oom = 1;
            node_free(kid);
            return -1;
        }
    }
}

/* Takes ownership of ev (the node's first event). */
static ynode *read_node(source *s, yaml_parser_t *p, yaml_event_t *ev, int depth)
{
    ynode *n = calloc(1, sizeof *n);
    if (!n) {
        s->d->oom = 1;
        yaml_event_delete(ev);
        return NULL;
    }
    n->start = ev->start_mark;
    n->end = ev->end_mark;
    int rc = 0;
    if (ev->type == YAML_SCALAR_EVENT) {
        n->kind = Y_SCALAR;
        n->len = ev->data.scalar.length;
        n->style = ev->data.scalar.style;
        n->text = malloc(n->len + 1);
        if (n->text) {
            memcpy(n->text, ev->data.scalar.value, n->len);
            n->text[n->len] = '\0';
        } else {
            s->d->oom = 1;
            rc = -1;
        }
    } else if (ev->type == YAML_ALIAS_EVENT) {
        n->kind = Y_ALIAS;
    } else if (depth >= MAX_DEPTH) {
        diag_at(s->d, s->file, ev->start_mark, "nested too deeply");
        rc = -1;
    } else if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) {
        int map = ev->type == YAML_MAPPING_START_EVENT;
        n->kind = map ? Y_MAP : Y_SEQ;
        n->flow = map ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                      : ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
        rc = read_children(s, p, n, map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT,
                           depth);
    } else {
        diag_at(s->d, s->file, ev->start_mark, "unexpected YAML structure");
        rc = -1;
    }
    yaml_event_delete(ev);
    if (rc < 0) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* Expects one event of the given type; anything else is reported at its mark. */
static int expect_event(source *s, yaml_parser_t *p, yaml_event_type_t type, const char *what)
{
    yaml_event_t ev;
    if (next_event(s, p, &ev) < 0)
        return -1;
    int ok = ev.type == type;
    if (!ok)
        diag_at(s->d, s->file, ev.start_mark, "%s", what);
    yaml_event_delete(&ev);
    return ok ? 0 : -1;
}

/* The document's root node, or NULL for an empty file. */
static int parse_tree(source *s, ynode **root)
{
    *root = NULL;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        s->d->oom = 1;
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)s->text, s->len);
    yaml_event_t ev;
    int rc = expect_event(s, &p, YAML_STREAM_START_EVENT, "not a YAML stream");
    if (rc == 0)
        rc = next_event(s, &p, &ev);
    if (rc == 0 && ev.type == YAML_DOCUMENT_START_EVENT) {
        yaml_event_delete(&ev);
        rc = next_event(s, &p, &ev);
        if (rc == 0) {
            *root = read_node(s, &p, &ev, 0);
            rc = *root ? 0 : -1;
        }
        if (rc == 0)
            rc = expect_event(s, &p, YAML_DOCUMENT_END_EVENT, "expected the end of the document");
        if (rc == 0)
            rc = expect_event(s, &p, YAML_STREAM_END_EVENT,
                              "a workspace is one YAML document; found a second one");
    } else if (rc == 0) {
        yaml_event_delete(&ev); /* the stream's end: an empty file */
    }
    yaml_parser_delete(&p);
    if (rc < 0) {
        node_free(*root);
        *root = NULL;
    }
    return rc;
}

/* ---- where each key and section sits in the file, for saving in place ---- */

typedef struct {
    int present;
    size_t start, end; /* bytes of the value */
    yaml_scalar_style_t style;
    size_t line;       /* 1-based, of the key */
} key_span;

typedef enum { SEC_NONE, SEC_BLOCK, SEC_FLOW, SEC_SCALAR } sec_kind;

typedef struct {
    sec_kind kind;
    size_t indent;   /* column of the section's keys (BLOCK) */
    size_t key_col;  /* column of the section's own key in the root */
    size_t last_end; /* byte after the last entry's value */
    size_t close;    /* byte of the flow '}' */
    size_t n;        /* entries */
    size_t vstart, vend; /* SCALAR: bytes of the single value */
} sec_span;

typedef struct {
    key_span key[AFT_K_COUNT];
    sec_span sec[AFT_K_COUNT];
    const char *names[AFT_K_COUNT];
    size_t nsec;
    int root_null; /* the document is a lone null (`~`, `---`) */
    size_t root_start, root_end;
} layout;

/* Where a node's text ends: a block collection ends with its last child,
 * not at the next token (which may be comments further down). */
static size_t node_end_byte(const source *s, const ynode *n)
{
    if (n->kind == Y_SCALAR || n->kind == Y_ALIAS || n->flow)
        return byte_at(s, n->end);
    if (n->n == 0)
        return byte_at(s, n->start);
    return node_end_byte(s, n->kids[n->n - 1]);
}

static void note_section(const source *s, sec_span *sec, const ynode *map, const ynode *key)
{
    sec->kind = map->flow ? SEC_FLOW : SEC_BLOCK;
    sec->indent = map->start.column;
    sec->key_col = key ? key->start.column : 0;
    /* For a flow mapping this is before its '}', where new entries go. */
    sec->last_end = map->n ? node_end_byte(s, map->kids[map->n - 1]) : byte_at(s, map->start);
    sec->close = byte_at(s, map->close);
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
    diag_at(s->d, s->file, k->start, "a key must be a plain name, not %s", kind_name(k));
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
    diag_at(s->d, s->file, k->start, "duplicate key \"%s\"%s%s%s (first at line %zu)", k->text,
            section[0] ? " in section \"" : "", section, section[0] ? "\"" : "", *first);
    return 0;
}

static void apply_value(const source *s, const aft_key_info *k, const ynode *key,
                        const ynode *v, aft_config *cfg, layout *lay)
{
    if (v->kind != Y_SCALAR) {
        diag_at(s->d, s->file, v->start, "%s must be a single value, not %s", k->name,
                kind_name(v));
        return;
    }
    if (memchr(v->text, '\0', v->len)) {
        diag_at(s->d, s->file, v->start, "%s contains a NUL character", k->name);
        return;
    }
    key_span *ks = &lay->key[k->id];
    ks->present = 1;
    ks->start = byte_at(s, v->start);
    ks->end = byte_at(s, v->end);
    ks->style = v->style;
    ks->line = key->start.line + 1;
    aft_error e = {0};
    if (aft_cfg_set_at(cfg, k->id, is_null(v) ? "" : v->text, AFT_ORIGIN_FILE, ks->line, &e) < 0)
        diag_at(s->d, s->file, v->start, "%s", e.msg);
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
        diag_at(s->d, s->file, key->start, "unknown key \"%s\"%s (write it as \"%s\" under %s%s)",
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
        diag_at(s->d, s->file, key->start, "unknown key \"%s\" (did you mean \"%s\"?)",
                key->text, sec);
    else if (k && strcmp(k->section, section) != 0 && !k->section[0])
        diag_at(s->d, s->file, key->start,
                "unknown key \"%s\"%s (did you mean \"%s\", a top-level key?)", key->text, in,
                k->name);
    else if (k && strcmp(k->section, section) != 0)
        diag_at(s->d, s->file, key->start,
                "unknown key \"%s\"%s (did you mean \"%s\" in section \"%s\"?)", key->text, in,
                k->name, k->section);
    else if (k)
        diag_at(s->d, s->file, key->start, "unknown key \"%s\"%s (did you mean \"%s\"?)",
                key->text, in, k->name);
    else
        diag_at(s->d, s->file, key->start, "unknown key \"%s\"%s", key->text, in);
}

static void misplaced_key(const source *s, const ynode *key, const aft_key_info *k,
                          const char *section)
{
    if (!k->section[0])
        diag_at(s->d, s->file, key->start,
                "key \"%s\" is a top-level key, not part of section \"%s\"", k->name, section);
    else if (!section[0])
        diag_at(s->d, s->file, key->start, "key \"%s\" belongs in section \"%s\"", k->name,
                k->section);
    else
        diag_at(s->d, s->file, key->start, "key \"%s\" belongs in section \"%s\", not \"%s\"",
                k->name, k->section, section);
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
            diag_at(s->d, s->file, v->start,
                    "section \"%s\" must hold keys (a mapping such as `%s: {key: value}`), "
                    "not a single value%s",
                    section, section, hint);
            return;
        }
        sec->kind = SEC_SCALAR;
        sec->key_col = key->start.column;
        sec->vstart = byte_at(s, v->start);
        sec->vend = byte_at(s, v->end);
        if (!is_null(v))
            apply_value(s, main_key, key, v, cfg, lay);
        return;
    }
    if (v->kind != Y_MAP) {
        diag_at(s->d, s->file, v->start, "section \"%s\" must be a mapping of keys, not %s",
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
        lay->root_start = byte_at(s, root->start);
        lay->root_end = byte_at(s, root->end);
        return;
    }
    if (root->kind != Y_MAP) {
        diag_at(s->d, s->file, root->start,
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
static void parse_workspace(source *s, aft_config *cfg, layout *lay)
{
    memset(lay, 0, sizeof *lay);
    lay->nsec = aft_cfg_sections(lay->names, AFT_K_COUNT);
    if (s->len >= 2 && ((unsigned char)s->text[0] == 0xFF || (unsigned char)s->text[0] == 0xFE)) {
        diag_add(s->d, "%s: the workspace must be UTF-8 text (this looks like UTF-16)", s->file);
        return;
    }
    if (build_offsets(s) < 0) {
        s->d->oom = 1;
        return;
    }
    ynode *root = NULL;
    if (parse_tree(s, &root) == 0)
        walk_root(s, root, cfg, lay);
    node_free(root);
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
        parse_workspace(&s, cfg, lay);
    else
        d.oom = 1;
    free(lay);
    free(text);
    if (diag_failed(&d)) {
        diag_to_error(&d, err);
        diag_free(&d);
        aft_config_free(cfg);
        return NULL;
    }
    diag_free(&d);
    return cfg;
}

/* ---- saving: small edits to the file's own text ---- */

typedef struct {
    size_t start, end; /* bytes replaced (equal for an insertion) */
    char *text;
    int order;         /* among edits at one place: values, section keys, root keys */
    size_t seq;
} edit;

typedef struct {
    edit *e;
    size_t n, cap;
    int oom;
} edits;

/* Takes ownership of the buffer's text. */
static void edit_add(edits *es, size_t start, size_t end, aft_strbuf *b, int order)
{
    if (b->oom || es->oom || !b->buf) {
        es->oom |= b->oom;
        free(b->buf);
        return;
    }
    if (es->n == es->cap) {
        size_t cap = es->cap ? es->cap * 2 : 16;
        edit *bigger = realloc(es->e, cap * sizeof *bigger);
        if (!bigger) {
            free(b->buf);
            es->oom = 1;
            return;
        }
        es->e = bigger;
        es->cap = cap;
    }
    es->e[es->n] = (edit){start, end, b->buf, order, es->n};
    es->n++;
}

static void edits_free(edits *es)
{
    for (size_t i = 0; i < es->n; i++)
        free(es->e[i].text);
    free(es->e);
}

/* Everything the edit planner needs about one save. */
typedef struct {
    const source *s;
    const aft_config *cfg;
    const layout *lay;
    int want[AFT_K_COUNT]; /* 1: add the key; 2: rewrite it along with its section */
    const char *eol;       /* the file's own line break, so CRLF files stay CRLF */
    edits es;
} plan;

/* The value as the file should spell it, keeping the old quoting where the
 * new text allows it. */
static char *save_scalar(const aft_config *cfg, const aft_key_info *k, yaml_scalar_style_t style)
{
    const char *t = aft_config_text(cfg, k->id);
    int text = k->type == AFT_T_STRING || k->type == AFT_T_PATH;
    if (style == YAML_SINGLE_QUOTED_SCALAR_STYLE)
        return aft_cfg_quote(t, 1);
    if (style == YAML_DOUBLE_QUOTED_SCALAR_STYLE || style == YAML_LITERAL_SCALAR_STYLE ||
        style == YAML_FOLDED_SCALAR_STYLE || (text && aft_cfg_needs_quotes(t)))
        return aft_cfg_quote(t, 0);
    return strdup(t);
}

static void replace_value(plan *pl, const aft_key_info *k)
{
    const key_span *ks = &pl->lay->key[k->id];
    const char *text = pl->s->text;
    char *v = save_scalar(pl->cfg, k, ks->style);
    aft_strbuf b = {0};
    if (!v)
        b.oom = 1;
    /* `name:` with nothing after it needs the space a value takes. */
    if (ks->start == ks->end && ks->start > 0 && text[ks->start - 1] == ':')
        aft_cfg_sb_printf(&b, " ");
    aft_cfg_sb_printf(&b, "%s", v ? v : "");
    /* A block scalar (| or >) ends after its line break; keep one. */
    if (ks->end > ks->start && text[ks->end - 1] == '\n')
        aft_cfg_sb_printf(&b, "%s", ks->end - ks->start > 1 && text[ks->end - 2] == '\r'
                                        ? "\r\n" : "\n");
    free(v);
    edit_add(&pl->es, ks->start, ks->end, &b, 0);
}

typedef enum { AS_LINES, AS_LINES_AFTER_BREAK, AS_FLOW } entry_form;

/* Appends the wanted keys of one section: each "key: value" as its own line
 * (ending in, or starting with, a line break) or comma-separated for a flow
 * mapping. *first tracks the commas across calls. */
static void append_entries(plan *pl, aft_strbuf *b, const char *section, size_t indent,
                           entry_form form, int *first)
{
    size_t n;
    const aft_key_info *keys = aft_schema(&n);
    for (size_t i = 0; i < n; i++) {
        if (!pl->want[i] || strcmp(keys[i].section, section) != 0)
            continue;
        char *v = save_scalar(pl->cfg, &keys[i], YAML_PLAIN_SCALAR_STYLE);
        if (!v) {
            b->oom = 1;
            return;
        }
        if (form == AS_FLOW)
            aft_cfg_sb_printf(b, "%s%s: %s", *first ? "" : ", ", keys[i].name, v);
        else if (form == AS_LINES)
            aft_cfg_sb_printf(b, "%*s%s: %s%s", (int)indent, "", keys[i].name, v, pl->eol);
        else
            aft_cfg_sb_printf(b, "%s%*s%s: %s", pl->eol, (int)indent, "", keys[i].name, v);
        *first = 0;
        free(v);
    }
}

/* The start of the line after the one holding byte pos. */
static size_t line_after(const source *s, size_t pos)
{
    if (pos > 0 && s->text[pos - 1] == '\n')
        return pos;
    const char *nl = memchr(s->text + pos, '\n', s->len - pos);
    return nl ? (size_t)(nl - s->text) + 1 : s->len;
}

/* How far the file indents a section's keys under its name (2 if no hint). */
static size_t child_indent(const layout *lay)
{
    for (size_t i = 0; i < lay->nsec; i++)
        if (lay->names[i][0] && lay->sec[i].kind == SEC_BLOCK &&
            lay->sec[i].indent > lay->sec[i].key_col)
            return lay->sec[i].indent - lay->sec[i].key_col;
    return 2;
}

static int any_wanted(const plan *pl, const char *section)
{
    for (size_t i = 0; i < AFT_K_COUNT; i++)
        if (pl->want[i] && strcmp(aft_schema_key((aft_key)i)->section, section) == 0)
            return 1;
    return 0;
}

static const sec_span *root_span(const layout *lay)
{
    return &lay->sec[aft_cfg_section_index("")];
}

/* A section held as one value (`dataset: data.jsonl`, or `model:` with
 * nothing) that must now hold more keys becomes a mapping in place. */
static void expand_section(plan *pl, size_t si)
{
    const sec_span *sec = &pl->lay->sec[si];
    const char *text = pl->s->text;
    size_t start = sec->vstart;
    aft_strbuf b = {0};
    int first = 1;
    if (root_span(pl->lay)->kind == SEC_FLOW) {
        if (start > 0 && text[start - 1] == ':')
            aft_cfg_sb_printf(&b, " ");
        aft_cfg_sb_printf(&b, "{");
        append_entries(pl, &b, pl->lay->names[si], 0, AS_FLOW, &first);
        aft_cfg_sb_printf(&b, "}");
    } else {
        while (start > 0 && (text[start - 1] == ' ' || text[start - 1] == '\t'))
            start--; /* no trailing blank after "dataset:" */
        append_entries(pl, &b, pl->lay->names[si], sec->key_col + child_indent(pl->lay),
                       AS_LINES_AFTER_BREAK, &first);
    }
    edit_add(&pl->es, start, sec->vend, &b, 0);
}

/* Right after the last entry rather than before the '}', so that a
 * trailing comma or a '}' on its own line stays where it was. */
static size_t flow_insert_at(const sec_span *sec)
{
    return sec->n > 0 ? sec->last_end : sec->close;
}

static void add_to_section(plan *pl, size_t si)
{
    const sec_span *sec = &pl->lay->sec[si];
    aft_strbuf b = {0};
    int first = sec->n == 0;
    if (sec->kind == SEC_FLOW) {
        append_entries(pl, &b, pl->lay->names[si], 0, AS_FLOW, &first);
        size_t at = flow_insert_at(sec);
        edit_add(&pl->es, at, at, &b, 1);
        return;
    }
    size_t pos = line_after(pl->s, sec->last_end);
    if (pos == pl->s->len && pos > 0 && pl->s->text[pos - 1] != '\n')
        aft_cfg_sb_printf(&b, "%s", pl->eol);
    append_entries(pl, &b, pl->lay->names[si], sec->indent, AS_LINES, &first);
    edit_add(&pl->es, pos, pos, &b, 1);
}

/* Whole new sections, as flow mappings or as blocks. */
static void append_sections(plan *pl, aft_strbuf *b, const int *new_sec, size_t indent,
                            int flow, int *first)
{
    for (size_t i = 0; i < pl->lay->nsec; i++) {
        if (!new_sec[i])
            continue;
        int inner = 1;
        const char *name = pl->lay->names[i];
        if (flow) {
            aft_cfg_sb_printf(b, "%s%s: {", *first ? "" : ", ", name);
            append_entries(pl, b, name, 0, AS_FLOW, &inner);
            aft_cfg_sb_printf(b, "}");
        } else {
            aft_cfg_sb_printf(b, "%*s%s:%s", (int)indent, "", name, pl->eol);
            append_entries(pl, b, name, indent + child_indent(pl->lay), AS_LINES, &inner);
        }
        *first = 0;
    }
}

/* Top-level keys and whole new sections go at the end of the root mapping
 * (or make one, when the file has none yet). */
static void add_to_root(plan *pl, const int *new_sec)
{
    const sec_span *root = root_span(pl->lay);
    const source *s = pl->s;
    int flow = root->kind == SEC_FLOW;
    size_t indent = root->kind == SEC_BLOCK ? root->indent : 0;
    aft_strbuf b = {0};
    int first = root->n == 0;
    append_entries(pl, &b, "", indent, flow ? AS_FLOW : AS_LINES, &first);
    append_sections(pl, &b, new_sec, indent, flow, &first);
    if (flow) {
        size_t at = flow_insert_at(root);
        edit_add(&pl->es, at, at, &b, 2);
        return;
    }
    size_t start = root->kind == SEC_BLOCK ? line_after(s, root->last_end) : s->len;
    size_t end = start;
    if (pl->lay->root_null) { /* `~` or `null` as the whole document */
        start = pl->lay->root_start;
        end = pl->lay->root_end;
        while (end < s->len && (s->text[end] == ' ' || s->text[end] == '\t'))
            end++; /* blanks would begin the line after the new ones */
    }
    aft_strbuf all = {0};
    if (start > 0 && s->text[start - 1] != '\n')
        aft_cfg_sb_printf(&all, "%s", pl->eol);
    size_t blen = b.buf ? strlen(b.buf) : 0;
    if (pl->lay->root_null && end < s->len && blen >= strlen(pl->eol))
        blen -= strlen(pl->eol); /* the line break after `~` ends the last line */
    aft_cfg_sb_printf(&all, "%.*s", (int)blen, b.buf ? b.buf : "");
    all.oom |= b.oom;
    free(b.buf);
    edit_add(&pl->es, start, end, &all, 2);
}

/* A block scalar (| or >) that ends the file without a line break would
 * swallow the break put before appended lines; quoting it keeps its value. */
static void protect_last_block_scalar(plan *pl)
{
    const source *s = pl->s;
    int appends = 0;
    for (size_t i = 0; i < pl->es.n; i++)
        appends |= pl->es.e[i].start == s->len;
    if (!appends || s->len == 0 || s->text[s->len - 1] == '\n')
        return;
    for (size_t i = 0; i < AFT_K_COUNT; i++) {
        const key_span *ks = &pl->lay->key[i];
        if (!ks->present || ks->end != s->len ||
            (ks->style != YAML_LITERAL_SCALAR_STYLE && ks->style != YAML_FOLDED_SCALAR_STYLE))
            continue;
        for (size_t j = 0; j < pl->es.n; j++)
            if (pl->es.e[j].start == ks->start)
                return; /* already rewritten */
        replace_value(pl, aft_schema_key((aft_key)i));
    }
}

/* Values the file already holds are replaced where they differ; keys set
 * away from the defaults that the file lacks are added. */
static void plan_edits(plan *pl, const aft_config *fcfg)
{
    const layout *lay = pl->lay;
    const aft_config *cfg = pl->cfg;
    for (size_t i = 0; i < AFT_K_COUNT; i++)
        pl->want[i] = !lay->key[i].present &&
                      (cfg->v[i].origin != AFT_ORIGIN_DEFAULT ||
                       aft_cfg_differs_from_default(cfg, (aft_key)i));
    int new_sec[AFT_K_COUNT] = {0};
    size_t root = (size_t)aft_cfg_section_index("");
    for (size_t si = 0; si < lay->nsec; si++) {
        if (si == root || !any_wanted(pl, lay->names[si]))
            continue;
        if (lay->sec[si].kind == SEC_SCALAR) {
            /* The value written as the section goes into the new mapping. */
            const aft_key_info *main_key = aft_cfg_section_shorthand(lay->names[si]);
            if (main_key && lay->key[main_key->id].present)
                pl->want[main_key->id] = 2;
            expand_section(pl, si);
        } else if (lay->sec[si].kind == SEC_NONE) {
            new_sec[si] = 1;
        } else {
            add_to_section(pl, si);
        }
    }
    for (size_t i = 0; i < AFT_K_COUNT; i++)
        if (lay->key[i].present && pl->want[i] != 2 &&
            !aft_cfg_same_value(cfg, fcfg, (aft_key)i))
            replace_value(pl, aft_schema_key((aft_key)i));
    int top = any_wanted(pl, "");
    for (size_t si = 0; si < lay->nsec; si++)
        top |= new_sec[si];
    if (top)
        add_to_root(pl, new_sec);
    protect_last_block_scalar(pl);
}

static int edit_cmp(const void *a, const void *b)
{
    const edit *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->order != y->order)
        return x->order - y->order;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The file's text with the edits made; NULL if they overlap (a bug). */
static char *apply_edits(const source *s, edits *es, size_t *out_len)
{
    if (es->n > 1)
        qsort(es->e, es->n, sizeof *es->e, edit_cmp);
    aft_strbuf b = {0};
    size_t at = 0;
    for (size_t i = 0; i < es->n; i++) {
        if (es->e[i].start < at) {
            free(b.buf);
            return NULL;
        }
        aft_cfg_sb_printf(&b, "%.*s%s", (int)(es->e[i].start - at), s->text + at,
                          es->e[i].text);
        at = es->e[i].end;
    }
    aft_cfg_sb_printf(&b, "%.*s", (int)(s->len - at), s->text + at);
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    *out_len = b.len;
    return b.buf ? b.buf : strdup("");
}

/* Reads path into a fresh config and layout; a missing file is empty. */
static aft_config *parse_for_save(const char *path, char **text, size_t *len, int *existed,
                                  layout *lay, diag *d, aft_error *err)
{
    struct stat st;
    *text = NULL;
    *len = 0;
    *existed = !(stat(path, &st) < 0 && errno == ENOENT);
    if (!*existed)
        *text = strdup("");
    else if (aft_read_file(path, text, len, err) < 0)
        return NULL;
    aft_config *c = *text ? aft_config_new() : NULL;
    if (!c || aft_cfg_set_path(c, path, err) < 0) {
        if (!c)
            aft_error_set(err, "out of memory");
        aft_config_free(c);
        return NULL;
    }
    source s = {path, *text, *len, NULL, 0, d};
    parse_workspace(&s, c, lay);
    return c;
}

/* What the new text would load as must be what the config holds; checked
 * before anything is written. */
static int verify_saved(const aft_config *cfg, const char *text, size_t len, layout *lay,
                        aft_error *err)
{
    aft_config *c = aft_config_new();
    diag d = {0};
    if (!c || aft_cfg_set_path(c, cfg->path, err) < 0) {
        aft_config_free(c);
        return aft_error_set(err, "out of memory");
    }
    source s = {cfg->path, text, len, NULL, 0, &d};
    parse_workspace(&s, c, lay);
    int rc = 0;
    if (diag_failed(&d)) {
        diag_to_error(&d, err);
        aft_error_prefix(err, "cannot save %s in place (left unchanged): the edited text "
                              "would not load", cfg->path);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < AFT_K_COUNT; i++)
        if (!aft_cfg_same_value(cfg, c, (aft_key)i))
            rc = aft_error_set(err, "cannot save %s in place (left unchanged): the edited text "
                                    "would read %s as \"%s\" instead of \"%s\"",
                               cfg->path, aft_cfg_full_name(aft_schema_key((aft_key)i)),
                               aft_config_text(c, (aft_key)i), aft_config_text(cfg, (aft_key)i));
    diag_free(&d);
    aft_config_free(c);
    return rc;
}

static int save_text(aft_config *cfg, const char *text, size_t len, int changed,
                     aft_error *err)
{
    layout *after = malloc(sizeof *after);
    if (!after)
        return aft_error_set(err, "out of memory");
    int rc = verify_saved(cfg, text, len, after, err);
    if (rc == 0 && changed) /* an untouched file keeps its timestamp */
        rc = aft_write_file_atomic(cfg->path, text, len, err);
    for (size_t i = 0; rc == 0 && i < AFT_K_COUNT; i++) {
        if (after->key[i].present) { /* the file now says where each value is */
            cfg->v[i].origin = AFT_ORIGIN_FILE;
            cfg->v[i].line = after->key[i].line;
        }
    }
    free(after);
    return rc;
}

int aft_workspace_save(aft_config *cfg, aft_error *err)
{
    if (!cfg || !cfg->path)
        return aft_error_set(err, "this configuration has no workspace file to save to");
    char *text = NULL;
    size_t len = 0;
    diag d = {0};
    layout *lay = malloc(sizeof *lay);
    int file_existed = 1;
    aft_config *fcfg =
        lay ? parse_for_save(cfg->path, &text, &len, &file_existed, lay, &d, err) : NULL;
    int rc = 0;
    if (!lay) {
        rc = aft_error_set(err, "out of memory");
    } else if (!fcfg) {
        rc = -1;
    } else if (diag_failed(&d)) {
        diag_to_error(&d, err);
        aft_error_prefix(err, "cannot save %s, fix the file first", cfg->path);
        rc = -1;
    }
    if (rc == 0) {
        source s = {cfg->path, text, len, NULL, 0, &d};
        const char *nl = memchr(text, '\n', len);
        plan pl = {.s = &s, .cfg = cfg, .lay = lay,
                   .eol = nl && nl > text && nl[-1] == '\r' ? "\r\n" : "\n"};
        plan_edits(&pl, fcfg);
        edits es = pl.es;
        size_t out_len = 0;
        char *out = es.oom ? NULL : apply_edits(&s, &es, &out_len);
        if (!out)
            rc = aft_error_set(err, "cannot save %s: out of memory or conflicting edits",
                               cfg->path);
        else
            rc = save_text(cfg, out, out_len, es.n > 0 || !file_existed, err);
        free(out);
        edits_free(&es);
    }
    diag_free(&d);
    aft_config_free(fcfg);
    free(text);
    free(lay);
    return rc;
}
