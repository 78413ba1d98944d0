/* Augmentation as a workspace sets it up: the options from the augment.*
 * keys, and the resources they name (synonym files, WordNet, translator
 * processes) opened and closed in one place, for `agentft data augment`
 * and the workbench alike. */
#ifndef AGENTFT_AUGMENT_CONFIG_H
#define AGENTFT_AUGMENT_CONFIG_H

#include <stddef.h>

#include "agentft/augment.h"
#include "agentft/config.h"

/* Fills the variants per record, seed, rates and languages of o from the
 * workspace (methods are parsed apart: aft_augment_parse_methods on
 * augment.methods or a command-line list). Never fails. */
void aft_augment_opts_from_config(const aft_config *cfg, aft_augment_opts *o);

/* What aft_augment_kit_open opened; the kit owns it. */
typedef struct aft_augment_kit {
    aft_wordnet *wordnet;
    aft_synonyms *user;
    aft_translator *there, *back;
} aft_augment_kit;

/* Opens what o->methods need and points o at it: the user's synonyms
 * (augment.synonyms) and WordNet (augment.wordnet) for synonym and eda, the
 * translators (augment.translator, augment.back_translator) for
 * backtranslate. A missing default WordNet is no error: warning (when not
 * NULL) gets a sentence and synonyms come from the user's file only; else
 * warning gets "". A relative translator path with a '/' is taken
 * relative to the workspace's folder. On error everything opened is closed
 * again and err names the key. */
int aft_augment_kit_open(const aft_config *cfg, aft_augment_opts *o, aft_augment_kit *kit,
                         char *warning, size_t wsize, aft_error *err);
/* Lets the translators exit after the last request; -1 with err set when
 * one misbehaves then (its answers were all in, so a caller may only warn). */
int aft_augment_kit_finish(aft_augment_kit *kit, aft_error *err);
/* Closes everything (killing translators that still run). */
void aft_augment_kit_close(aft_augment_kit *kit);

#endif
