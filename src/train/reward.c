/* Reward rules (see reward.h): parsing the per-action list and scoring. */
#include "agentft/reward.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* One "name=value" entry of [s, end): the name into name[size], the value
 * into *v. */
static int parse_entry(const char *s, const char *end, char *name, size_t size, double *v,
                       aft_error *err)
{
    const char *eq = memchr(s, '=', (size_t)(end - s));
    const char *ne = eq;
    while (ne && ne > s && (ne[-1] == ' ' || ne[-1] == '\t'))
        ne--;
    char num[64];
    int nl = eq ? (int)(ne - s) : 0, vl = eq ? (int)(end - eq - 1) : 0;
    if (nl <= 0 || (size_t)nl >= size || vl <= 0 || vl >= (int)sizeof num)
        return aft_error_set(err, "reward.action_rewards: '%.*s' is not ACTION=REWARD",
                             (int)(end - s), s);
    memcpy(name, s, (size_t)nl);
    name[nl] = '\0';
    memcpy(num, eq + 1, (size_t)vl);
    num[vl] = '\0';
    char *tail;
    *v = strtod(skip_blanks(num), &tail);
    if (tail == skip_blanks(num) || *skip_blanks(tail) || !isfinite(*v))
        return aft_error_set(err, "reward.action_rewards: the reward of %s ('%s') is not a "
                             "finite number", name, num);
    return 0;
}

/* Calls take(ctx, name, value) for each entry; an entry's error stops it. */
static int each_entry(const char *text, int (*take)(void *, const char *, double, aft_error *),
                      void *ctx, aft_error *err)
{
    for (const char *s = text ? text : ""; *(s = skip_blanks(s));) {
        const char *end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        char name[256];
        double v = 0;
        if (end > s && (parse_entry(s, end, name, sizeof name, &v, err) < 0 ||
                        take(ctx, name, v, err) < 0))
            return -1;
        s = *end ? end + 1 : end;
    }
    return 0;
}

typedef struct init_ctx {
    aft_reward_rules *r;
    const aft_action_set *actions;
} init_ctx;

static int take_reward(void *ctx, const char *name, double v, aft_error *err)
{
    init_ctx *c = ctx;
    int32_t id = aft_action_set_find(c->actions, name);
    if (id < 0)
        return aft_error_set(err, "reward.action_rewards: the data has no action '%s'", name);
    if (!isnan(c->r->per_action[id]))
        return aft_error_set(err, "reward.action_rewards: %s is listed twice", name);
    c->r->per_action[id] = v;
    return 0;
}

/* The check without actions: names seen so far, to find one listed twice. */
typedef struct seen {
    char names[64][256];
    size_t n;
} seen;

static int take_name(void *ctx, const char *name, double v, aft_error *err)
{
    (void)v;
    seen *s = ctx;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return aft_error_set(err, "reward.action_rewards: %s is listed twice", name);
    if (s->n < sizeof s->names / sizeof s->names[0])
        snprintf(s->names[s->n++], sizeof s->names[0], "%s", name);
    return 0;
}

int aft_reward_rules_check(const char *per_action, aft_error *err)
{
    seen *s = calloc(1, sizeof *s);
    if (!s)
        return aft_error_set(err, "out of memory");
    int rc = each_entry(per_action, take_name, s, err);
    free(s);
    return rc;
}

int aft_reward_rules_init(aft_reward_rules *r, double correct, double wrong,
                          const char *per_action, double confidence_below,
                          double confidence_penalty, const aft_action_set *actions,
                          aft_error *err)
{
    memset(r, 0, sizeof *r);
    r->correct = correct;
    r->wrong = wrong;
    r->confidence_below = confidence_below;
    r->confidence_penalty = confidence_penalty;
    r->n_actions = actions->count;
    r->per_action = malloc((actions->count ? actions->count : 1) * sizeof *r->per_action);
    if (!r->per_action)
        return aft_error_set(err, "out of memory");
    for (size_t i = 0; i < actions->count; i++)
        r->per_action[i] = NAN;
    init_ctx c = {r, actions};
    if (each_entry(per_action, take_reward, &c, err) < 0) {
        aft_reward_rules_free(r);
        return -1;
    }
    return 0;
}

void aft_reward_rules_free(aft_reward_rules *r)
{
    free(r->per_action);
    r->per_action = NULL;
}

double aft_reward_rules_score(const aft_reward_rules *r, int32_t annotated, int32_t chosen)
{
    if (chosen >= 0 && chosen == annotated)
        return r->correct;
    if (chosen >= 0 && (size_t)chosen < r->n_actions && !isnan(r->per_action[chosen]))
        return r->per_action[chosen];
    return r->wrong;
}

double aft_reward_confidence_penalty(const aft_reward_rules *r, double p)
{
    return p < r->confidence_below ? r->confidence_penalty : 0.0;
}
