/* Private to src/config: the layout of an aft_config and the helpers that
 * schema.c, config.c, render.c and the workspace_*.c files share. */
#ifndef AGENTFT_CONFIG_INTERNAL_H
#define AGENTFT_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "agentft/config.h"

typedef struct aft_value {
    char *text;      /* normalised text (INT, BOOL, ENUM) or as written (others) */
    char *resolved;  /* PATH only: text resolved against the workspace folder */
    int64_t i;
    double f;
    int b;
    aft_origin origin;
    size_t line;     /* 1-based line in the workspace file; 0 otherwise */
} aft_value;

struct aft_config {
    char *path;      /* workspace file as given, or NULL */
    char *dir;       /* absolute folder of the workspace file, or NULL */
    aft_value v[AFT_K_COUNT];
};

/* schema.c */
/* Distinct section names in schema order ("" included); returns the count. */
size_t aft_cfg_sections(const char **out, size_t cap);
/* Index of a section name in aft_cfg_sections' order, or -1. */
int aft_cfg_section_index(const char *section);
int aft_cfg_is_section(const char *name);
/* "section.name", or just "name" for top-level keys (a static string). */
const char *aft_cfg_full_name(const aft_key_info *k);
/* Case-insensitive Levenshtein distance. */
size_t aft_cfg_edit_distance(const char *a, const char *b);
/* The key a section name stands for when given a single value
 * (`dataset: x.jsonl` = dataset.path), or NULL. */
const aft_key_info *aft_cfg_section_shorthand(const char *section);

/* config.c */
int aft_cfg_set_at(aft_config *cfg, aft_key id, const char *text, aft_origin origin,
                   size_t line, aft_error *err);
/* Records the workspace file and re-resolves every PATH value. */
int aft_cfg_set_path(aft_config *cfg, const char *path, aft_error *err);
/* Same value by type (3e-4 equals 0.0003), not by spelling. */
int aft_cfg_same_value(const aft_config *a, const aft_config *b, aft_key id);
/* Whether the key's value differs from the schema default. */
int aft_cfg_differs_from_default(const aft_config *cfg, aft_key id);

/* render.c */
/* A growing text buffer; oom is set once an append failed. */
typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} aft_strbuf;
void aft_cfg_sb_printf(aft_strbuf *sb, const char *fmt, ...) AFT_PRINTF(2, 3);
/* Whether a plain YAML scalar would not read back as this exact string. */
int aft_cfg_needs_quotes(const char *s);
/* s as a YAML scalar: double-quoted, or single-quoted when single is set and
 * the text allows it. Caller frees; NULL when out of memory. */
char *aft_cfg_quote(const char *s, int single);
/* "default", "FILE:LINE" (file basename), "--set" or "live". */
void aft_cfg_origin_label(const aft_config *cfg, aft_key id, char *buf, size_t size);

/* workspace_yaml.c: problems, collected so a user can fix the whole file in one go */

typedef struct {
    char **msg;   /* the first DIAG_KEEP problems */
    size_t kept, cap;
    size_t n;     /* all problems */
    int oom;
} diag;

/* Far more than one aft_error can show; the rest are only counted, and
 * spelling hints (the costly part) stop too. */
enum { DIAG_KEEP = 64 };

void aft_cfg_diag_add(diag *d, const char *fmt, ...) AFT_PRINTF(2, 3);
/* A problem at a libyaml mark, reported as file:line:column. */
void aft_cfg_diag_at(diag *d, const char *file, yaml_mark_t m, const char *fmt, ...)
    AFT_PRINTF(4, 5);
int aft_cfg_diag_failed(const diag *d);
/* Joins the problems into err (one a line); returns -1. */
int aft_cfg_diag_to_error(const diag *d, aft_error *err);
void aft_cfg_diag_free(diag *d);

/* workspace_yaml.c: the YAML text as a small tree that remembers where each node sits */

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

void aft_cfg_node_free(ynode *n);
/* Fills s->off, the byte of each character; -1 when out of memory. */
int aft_cfg_build_offsets(source *s);
/* The byte a libyaml mark (which counts characters) points at. */
size_t aft_cfg_byte_at(const source *s, yaml_mark_t m);
/* The document's root node, or NULL for an empty file; problems go to s->d. */
int aft_cfg_parse_tree(source *s, ynode **root);

/* workspace.c: where each key and section sits in the file, for saving in place */

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

/* Parses s's text over cfg's values and fills lay; problems go to s->d. */
void aft_cfg_parse_workspace(source *s, aft_config *cfg, layout *lay);

#endif
