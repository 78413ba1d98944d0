/* Augmentation from a workspace's augment.* keys (see augment_config.h). */
#include "agentft/augment_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void aft_augment_opts_from_config(const aft_config *cfg, aft_augment_opts *o)
{
    static const aft_key rate_keys[AFT_OP_COUNT] = {AFT_K_AUG_SYNONYM_RATE, AFT_K_AUG_INSERT_RATE,
                                                    AFT_K_AUG_SWAP_RATE, AFT_K_AUG_DELETE_RATE,
                                                    AFT_K_AUG_TYPO_RATE};
    o->per_record = (size_t)aft_config_int(cfg, AFT_K_AUG_PER_RECORD);
    o->seed = (uint64_t)aft_config_int(cfg, AFT_K_SEED);
    for (int k = 0; k < AFT_OP_COUNT; k++)
        o->rate[k] = aft_config_float(cfg, rate_keys[k]);
    o->pivot = aft_config_string(cfg, AFT_K_AUG_PIVOT);
    o->language = aft_config_string(cfg, AFT_K_AUG_LANGUAGE);
}

static int open_lexicon(const aft_config *cfg, aft_augment_kit *kit, char *warning, size_t wsize,
                        aft_error *err)
{
    aft_error why = {0};
    const char *user = aft_config_string(cfg, AFT_K_AUG_SYNONYMS);
    if (user[0] && !(kit->user = aft_synonyms_load(user, &why)))
        return aft_error_set(err, "augment.synonyms: %s", why.msg);
    const char *dir = aft_config_string(cfg, AFT_K_AUG_WORDNET);
    if (!(kit->wordnet = aft_wordnet_open(dir[0] ? dir : NULL, &why))) {
        if (dir[0])
            return aft_error_set(err, "augment.wordnet: %s", why.msg);
        if (warning)
            snprintf(warning, wsize,
                     "no WordNet in %s (apt-get install wordnet-base, or set augment.wordnet): %s; "
                     "synonyms come only from augment.synonyms",
                     AFT_WORDNET_DIR, why.msg);
    }
    return 0;
}

/* The program path joined to the workspace's folder when it is relative
 * and names a folder (./translator), like the workspace's other paths. */
static int resolve_program(const aft_config *cfg, char **argv)
{
    const char *ws = aft_config_path(cfg);
    const char *slash = ws ? strrchr(ws, '/') : NULL;
    if (!slash || !strchr(argv[0], '/') || argv[0][0] == '/')
        return 0;
    char *joined = malloc((size_t)(slash - ws) + strlen(argv[0]) + 2);
    if (!joined)
        return -1;
    sprintf(joined, "%.*s/%s", (int)(slash - ws), ws, argv[0]);
    free(argv[0]);
    argv[0] = joined;
    return 0;
}

static aft_translator *start_translator(const aft_config *cfg, aft_key key, aft_error *err)
{
    const char *name = aft_schema_key(key)->name;
    aft_error why = {0};
    char **argv = NULL;
    if (aft_argv_split(aft_config_string(cfg, key), &argv, &why) < 0) {
        aft_error_set(err, "augment.%s: %s", name, why.msg);
        return NULL;
    }
    aft_translator_opts topts = {(int)aft_config_int(cfg, AFT_K_AUG_TIMEOUT),
                                 (size_t)aft_config_int(cfg, AFT_K_AUG_INFLIGHT)};
    aft_translator *t = NULL;
    if (resolve_program(cfg, argv) < 0)
        aft_error_set(err, "out of memory");
    else if (!(t = aft_translator_start(argv, &topts, &why)))
        aft_error_set(err, "augment.%s: %s", name, why.msg);
    aft_argv_free(argv);
    return t;
}

static int start_translators(const aft_config *cfg, aft_augment_kit *kit, aft_error *err)
{
    if (!aft_config_string(cfg, AFT_K_AUG_TRANSLATOR)[0])
        return aft_error_set(err, "backtranslate needs augment.translator, the command of a "
                                  "translator (see examples/translator)");
    if (!(kit->there = start_translator(cfg, AFT_K_AUG_TRANSLATOR, err)))
        return -1;
    if (aft_config_string(cfg, AFT_K_AUG_BACK_TRANSLATOR)[0] &&
        !(kit->back = start_translator(cfg, AFT_K_AUG_BACK_TRANSLATOR, err)))
        return -1;
    return 0;
}

int aft_augment_kit_open(const aft_config *cfg, aft_augment_opts *o, aft_augment_kit *kit,
                         char *warning, size_t wsize, aft_error *err)
{
    memset(kit, 0, sizeof *kit);
    if (warning && wsize)
        warning[0] = '\0';
    int rc = 0;
    if (o->methods & (AFT_AUG_SYNONYM | AFT_AUG_EDA))
        rc = open_lexicon(cfg, kit, warning, wsize, err);
    if (rc == 0 && (o->methods & AFT_AUG_BACKTRANSLATE))
        rc = start_translators(cfg, kit, err);
    if (rc < 0) {
        aft_augment_kit_close(kit);
        return -1;
    }
    o->lex.wordnet = kit->wordnet;
    o->lex.user = kit->user;
    o->there = kit->there;
    o->back = kit->back;
    return 0;
}

int aft_augment_kit_finish(aft_augment_kit *kit, aft_error *err)
{
    aft_translator *ts[2] = {kit->there, kit->back};
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        aft_error why = {0};
        if (ts[i] && aft_translator_finish(ts[i], &why) < 0 && rc == 0)
            rc = aft_error_set(err, "%s", why.msg);
    }
    return rc;
}

void aft_augment_kit_close(aft_augment_kit *kit)
{
    aft_wordnet_free(kit->wordnet);
    aft_synonyms_free(kit->user);
    aft_translator_free(kit->there);
    aft_translator_free(kit->back);
    memset(kit, 0, sizeof *kit);
}
