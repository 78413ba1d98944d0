/* Accuracy, precision/recall/F1 per action, macro and weighted F1, from a
 * confusion matrix. */
#include "agentft/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int aft_confusion_init(aft_confusion *c, size_t n_classes, aft_error *err)
{
    memset(c, 0, sizeof *c);
    if (n_classes == 0)
        return aft_error_set(err, "a confusion matrix needs at least one class");
    if (n_classes > SIZE_MAX / sizeof(size_t) / n_classes)
        return aft_error_set(err, "too many classes (%zu) for a confusion matrix", n_classes);
    c->counts = calloc(n_classes * n_classes, sizeof(size_t));
    if (!c->counts)
        return aft_error_set(err, "out of memory for a %zu x %zu confusion matrix", n_classes,
                             n_classes);
    c->n_classes = n_classes;
    return 0;
}

void aft_confusion_free(aft_confusion *c)
{
    free(c->counts);
    memset(c, 0, sizeof *c);
}

int aft_confusion_add(aft_confusion *c, int32_t gold, int32_t predicted, aft_error *err)
{
    if (gold < 0 || (size_t)gold >= c->n_classes)
        return aft_error_set(err, "gold action id %d is outside 0..%zu", (int)gold, c->n_classes - 1);
    if (predicted < 0 || (size_t)predicted >= c->n_classes)
        return aft_error_set(err, "predicted action id %d is outside 0..%zu", (int)predicted,
                             c->n_classes - 1);
    c->counts[(size_t)gold * c->n_classes + (size_t)predicted]++;
    c->total++;
    return 0;
}

size_t aft_confusion_at(const aft_confusion *c, size_t gold, size_t predicted)
{
    return c->counts[gold * c->n_classes + predicted];
}

static double ratio(size_t num, size_t den)
{
    return den ? (double)num / (double)den : 0.0;
}

void aft_metrics_compute(const aft_confusion *c, aft_class_metrics *per_class,
                         aft_metrics_summary *s)
{
    size_t n = c->n_classes;
    memset(s, 0, sizeof *s);
    size_t correct_total = 0;
    double wf1 = 0;
    for (size_t k = 0; k < n; k++) {
        aft_class_metrics *m = &per_class[k];
        memset(m, 0, sizeof *m);
        for (size_t j = 0; j < n; j++) {
            m->support += aft_confusion_at(c, k, j);
            m->predicted += aft_confusion_at(c, j, k);
        }
        m->correct = aft_confusion_at(c, k, k);
        correct_total += m->correct;
        m->precision = ratio(m->correct, m->predicted);
        m->recall = ratio(m->correct, m->support);
        double pr = m->precision + m->recall;
        m->f1 = pr > 0 ? 2.0 * m->precision * m->recall / pr : 0.0;
        if (m->support == 0 && m->predicted == 0)
            continue;
        s->classes_seen++;
        s->macro_f1 += m->f1;
        s->macro_precision += m->precision;
        s->macro_recall += m->recall;
        wf1 += m->f1 * (double)m->support;
    }
    s->accuracy = ratio(correct_total, c->total);
    if (s->classes_seen) {
        s->macro_f1 /= (double)s->classes_seen;
        s->macro_precision /= (double)s->classes_seen;
        s->macro_recall /= (double)s->classes_seen;
    }
    s->weighted_f1 = c->total ? wf1 / (double)c->total : 0.0;
}

int32_t aft_argmax_prob(const float *logits, size_t n, float *prob)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (logits[i] > logits[best])
            best = i;
    if (prob) {
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += exp((double)logits[i] - (double)logits[best]);
        *prob = (float)(1.0 / sum);
    }
    return (int32_t)best;
}
