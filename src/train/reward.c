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

/* One "name=value" entry of [s, end). */
static int parse_entry(aft_reward_rules *r, const char *s, const char *end,
                       const aft_action_set *actions, aft_error *err)
{
    const char *eq = memchr(s, '=', (size_t)(end - s));
    if (!eq)
        return aft_error_set(err, "reward.action_rewards: '%.*s' is not ACTION=REWARD",
                             (int)(end - s), s);
    const char *ne = eq;
    while (ne > s && (ne[-1] == ' ' || ne[-1] == '\t'))
        ne--;
    char name[256], num[64];
    int nl = (int)(ne - s), vl = (int)(end - eq - 1);
    if (nl <= 0 || nl >= (int)sizeof name || vl <= 0 || vl >= (int)sizeof num)
        return aft_error_set(err, "reward.action_rewards: '%.*s' is not ACTION=REWARD",
                             (int)(end - s), s);
    memcpy(name, s, (size_t)nl);
    name[nl] = '\0';
    memcpy(num, eq + 1, (size_t)vl);
    num[vl] = '\0';
    int32_t id = aft_action_set_find(actions, name);
    if (id < 0)
        return aft_error_set(err, "reward.action_rewards: the data has no action '%s'", name);
    char *tail;
    double v = strtod(skip_blanks(num), &tail);
    if (tail == skip_blanks(num) || *skip_blanks(tail) || !isfinite(v))
        return aft_error_set(err, "reward.action_rewards: the reward of %s ('%s') is not a "
                             "finite number", name, num);
    if (!isnan(r->per_action[id]))
        return aft_error_set(err, "reward.action_rewards: %s is listed twice", name);
    r->per_action[id] = v;
    return 0;
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
    for (const char *s = per_action ? per_action : ""; *(s = skip_blanks(s));) {
        const char *end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        if (end > s && parse_entry(r, s, end, actions, err) < 0) {
            aft_reward_rules_free(r);
            return -1;
        }
        s = *end ? end + 1 : end;
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
