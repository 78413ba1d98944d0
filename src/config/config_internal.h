/* Private to src/config: the layout of an aft_config and the helpers that
 * schema.c, config.c, workspace.c and render.c share. */
#ifndef AGENTFT_CONFIG_INTERNAL_H
#define AGENTFT_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

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

#endif
