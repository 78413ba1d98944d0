/* The workspace file read as a tree of YAML nodes that remember where they
 * sit, and the problems found along the way, collected for one report. */
#include "config_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void aft_cfg_diag_add(diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(d, "", fmt, ap);
    va_end(ap);
}

/* libyaml counts lines and columns from 0; editors count from 1. */
void aft_cfg_diag_at(diag *d, const char *file, yaml_mark_t m, const char *fmt, ...)
{
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s:%zu:%zu: ", file, m.line + 1, m.column + 1);
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(d, prefix, fmt, ap);
    va_end(ap);
}

int aft_cfg_diag_failed(const diag *d)
{
    return d->n > 0 || d->oom;
}

/* Joins the problems into err->msg, one a line; what does not fit is
 * counted at the end rather than cut off mid-line. */
int aft_cfg_diag_to_error(const diag *d, aft_error *err)
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

void aft_cfg_diag_free(diag *d)
{
    for (size_t i = 0; i < d->kept; i++)
        free(d->msg[i]);
    free(d->msg);
}

/* Nesting deeper than this is no workspace, and stops a hostile file from
 * exhausting the stack. */
enum { MAX_DEPTH = 64 };

void aft_cfg_node_free(ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        aft_cfg_node_free(n->kids[i]);
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

int aft_cfg_build_offsets(source *s)
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

size_t aft_cfg_byte_at(const source *s, yaml_mark_t m)
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
        aft_cfg_diag_at(s->d, s->file, m, "%s", p->problem ? p->problem : "unreadable text");
    } else if (p->context) {
        aft_cfg_diag_at(s->d, s->file, p->problem_mark, "%s (%s started at line %zu, column %zu)",
                        p->problem ? p->problem : "syntax error", p->context,
                        p->context_mark.line + 1, p->context_mark.column + 1);
    } else {
        aft_cfg_diag_at(s->d, s->file, p->problem_mark, "%s",
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
            aft_cfg_node_free(kid);
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
        aft_cfg_diag_at(s->d, s->file, ev->start_mark, "nested too deeply");
        rc = -1;
    } else if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) {
        int map = ev->type == YAML_MAPPING_START_EVENT;
        n->kind = map ? Y_MAP : Y_SEQ;
        n->flow = map ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                      : ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
        rc = read_children(s, p, n, map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT,
                           depth);
    } else {
        aft_cfg_diag_at(s->d, s->file, ev->start_mark, "unexpected YAML structure");
        rc = -1;
    }
    yaml_event_delete(ev);
    if (rc < 0) {
        aft_cfg_node_free(n);
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
        aft_cfg_diag_at(s->d, s->file, ev.start_mark, "%s", what);
    yaml_event_delete(&ev);
    return ok ? 0 : -1;
}

/* The document's root node, or NULL for an empty file. */
int aft_cfg_parse_tree(source *s, ynode **root)
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
        aft_cfg_node_free(*root);
        *root = NULL;
    }
    return rc;
}
