/* The hyperparameter schema and the workspace: one table of every key (type,
 * default, range, live or not, help) drives YAML loading, validation,
 * --set overrides, `config show`, the TUI form and the man page. */
#ifndef AGENTFT_CONFIG_H
#define AGENTFT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"

typedef enum {
    AFT_T_INT,
    AFT_T_FLOAT,
    AFT_T_BOOL,
    AFT_T_STRING,
    AFT_T_ENUM,   /* one of a '|'-separated list of words */
    AFT_T_PATH,   /* a file or folder, relative to the workspace file's folder */
} aft_key_type;

/* Every key, generated from the table in src/config/schema_keys.h. */
typedef enum {
#define AFT_KEY(id, section, name, type, def, min, max, choices, live, help) AFT_K_##id,
#include "agentft/schema_keys.h"
#undef AFT_KEY
    AFT_K_COUNT
} aft_key;

typedef struct aft_key_info {
    aft_key id;
    const char *section;   /* YAML section ("" for top-level keys) */
    const char *name;      /* unique across sections; also usable alone in --set */
    aft_key_type type;
    const char *def;       /* default, as text */
    double min, max;       /* for INT and FLOAT */
    const char *choices;   /* for ENUM: "a|b|c" */
    int live;              /* may change while a run is going */
    const char *help;      /* one line */
} aft_key_info;

const aft_key_info *aft_schema(size_t *count);
const aft_key_info *aft_schema_key(aft_key id);
/* Looks a key up by "name" or "section.name"; NULL if unknown. */
const aft_key_info *aft_schema_find(const char *key);
/* The closest known key to a misspelt one, or NULL if none is close. */
const char *aft_schema_suggest(const char *key);
/* Describes the allowed values ("1..48", "one of: adamw, sgd", "true or false"). */
void aft_schema_describe_range(const aft_key_info *k, char *buf, size_t size);

typedef enum { AFT_ORIGIN_DEFAULT, AFT_ORIGIN_FILE, AFT_ORIGIN_SET, AFT_ORIGIN_LIVE } aft_origin;

typedef struct aft_config aft_config;

/* A config holding every default. Caller frees with aft_config_free. */
aft_config *aft_config_new(void);
void aft_config_free(aft_config *cfg);
aft_config *aft_config_clone(const aft_config *cfg);

/* Loads a workspace YAML file over the defaults. Errors name the file, line,
 * key and allowed range; unknown keys get a did-you-mean. Every problem in
 * the file is reported (one per line of err->msg), not just the first. */
aft_config *aft_workspace_load(const char *path, aft_error *err);
/* Writes the config's file-origin and set-origin values back to its workspace
 * file atomically, changing only the values that differ and keeping comments
 * and layout; new keys are added under their section. */
int aft_workspace_save(aft_config *cfg, aft_error *err);
/* The workspace file this config came from, or NULL. */
const char *aft_config_path(const aft_config *cfg);

/* Parses "key=value" (as given to --set) and applies it with origin SET. */
int aft_config_set_arg(aft_config *cfg, const char *assignment, aft_error *err);
/* Sets a key from text, validating type and range; origin says where it came from. */
int aft_config_set(aft_config *cfg, aft_key id, const char *value, aft_origin origin,
                   aft_error *err);
/* Cross-key checks (d_model divisible by n_head, valid+test < 1, a dataset named...). */
int aft_config_validate(const aft_config *cfg, aft_error *err);

int64_t aft_config_int(const aft_config *cfg, aft_key id);
double aft_config_float(const aft_config *cfg, aft_key id);
int aft_config_bool(const aft_config *cfg, aft_key id);
/* STRING, ENUM and PATH values (a PATH resolved against the workspace folder;
 * "" when unset). Valid until the key changes. */
const char *aft_config_string(const aft_config *cfg, aft_key id);
/* The value as text, in the form YAML and --set accept. */
const char *aft_config_text(const aft_config *cfg, aft_key id);
aft_origin aft_config_origin(const aft_config *cfg, aft_key id);
/* Line in the workspace file the value came from (0 when not from the file). */
size_t aft_config_line(const aft_config *cfg, aft_key id);

/* Writes the resolved config as YAML, each value with a comment saying where
 * it came from (default, FILE:LINE, --set). Caller frees. */
char *aft_config_render(const aft_config *cfg);

#endif
