/* Saving a workspace in place: small edits to the file's own text, so that
 * its comments, order and quoting survive, checked by reading them back. */
#include "config_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentft/fileio.h"

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
    aft_cfg_parse_workspace(&s, c, lay);
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
    aft_cfg_parse_workspace(&s, c, lay);
    int rc = 0;
    if (aft_cfg_diag_failed(&d)) {
        aft_cfg_diag_to_error(&d, err);
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
    aft_cfg_diag_free(&d);
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
    } else if (aft_cfg_diag_failed(&d)) {
        aft_cfg_diag_to_error(&d, err);
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
    aft_cfg_diag_free(&d);
    aft_config_free(fcfg);
    free(text);
    free(lay);
    return rc;
}
