/* Private to src/eval: the pieces of the report's robustness section, shared
 * by report_robustness.c and adversarial.c and reached by the unit test. */
#ifndef AGENTFT_EVAL_ROBUSTNESS_H
#define AGENTFT_EVAL_ROBUSTNESS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "agentft/augment.h"
#include "agentft/perturb.h"
#include "agentft/report.h"

/* The examples robustness is measured on: those whose action the model knows. */
typedef struct aft_robust_set {
    aft_eval_input *in;
    size_t n;
    size_t *example;     /* index into in->examples */
    char **context;      /* the record's context as text ("" when it has none) */
    uint8_t *turns;      /* the context is a dialogue: "role: content" lines */
    int32_t *gold;       /* the example's action id */
    int32_t *clean;      /* the model's answer on the unchanged context */
    float *clean_conf;   /* and its probability */
    size_t n_actions;
} aft_robust_set;

int aft_robust_set_init(aft_robust_set *s, aft_eval_input *in, aft_error *err);
void aft_robust_set_free(aft_robust_set *s);

/* Bytes of the role label ("user: ") that opens a line of a dialogue
 * context, or 0. Perturbations and adversarial edits leave labels alone. */
size_t aft_robust_role_label(const char *line, size_t len);

/* Accuracy and macro-F1 of pred[0..s->n) against the gold actions. */
int aft_robust_score(const aft_robust_set *s, const int32_t *pred, double *accuracy,
                     double *macro_f1, aft_error *err);

/* Synonym replacement, next to the aft_perturb_kind values. */
#define AFT_ROBUST_SYNONYM ((int)AFT_PERTURB_COUNT)

/* Accuracy and macro-F1 with every context changed by `kind` (an
 * aft_perturb_kind or AFT_ROBUST_SYNONYM, which needs lex) at `rate`, drawn
 * from an rng seeded with `seed`; in a dialogue, each turn's content is
 * changed on its own. Contexts that come out unchanged keep
 * their clean answer, so rate 0 gives the clean figures exactly; *changed
 * counts the others. */
int aft_robust_perturbed(const aft_robust_set *s, int kind, double rate, const aft_lexicon *lex,
                         uint64_t seed, double *accuracy, double *macro_f1, size_t *changed,
                         aft_error *err);

typedef struct aft_adv_opts {
    size_t max_examples;       /* correct examples tried (a seeded sample) */
    int max_edits;             /* word edits per example */
    uint64_t seed;
    const aft_lexicon *lex;    /* synonym edits; NULL: deletions and typos only */
    const atomic_int *cancel;  /* stop between examples when it turns non-zero (may be NULL) */
} aft_adv_opts;

/* The adversarial search: "adversarial" {tried, found, max_edits,
 * mean_edits, found_by_edits, edit_kinds, examples [...]}. Each example
 * found is checked once more on its own (batch 1) before it counts. */
cJSON *aft_robust_adversarial(const aft_robust_set *s, const aft_adv_opts *o, aft_error *err);

#endif
