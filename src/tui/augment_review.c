/* The candidate list under review (see augment_review.h). */
#include "augment_review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static void cand_free(aug_cand *c)
{
    free(c->json);
    free(c->text);
    free(c->source_text);
    free(c->source_id);
    free(c->action);
}

void review_free(aug_review *r)
{
    for (size_t i = 0; i < r->n; i++)
        cand_free(&r->c[i]);
    free(r->c);
    memset(r, 0, sizeof *r);
}

/* What the list shows of a variant's record: where it came from, its
 * action and how many turns it has. */
static int describe(aug_cand *c)
{
    cJSON *rec = cJSON_Parse(c->json);
    if (!rec)
        return -1;
    const cJSON *aug = cJSON_GetObjectItemCaseSensitive(rec, "augmented");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(aug, "source_id");
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(rec, "agent_action");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(rec, "context");
    char num[40];
    if (cJSON_IsNumber(sid))
        snprintf(num, sizeof num, "#%.0f", sid->valuedouble);
    c->source_id = strdup(cJSON_IsString(sid) ? sid->valuestring : cJSON_IsNumber(sid) ? num : "?");
    c->action = strdup(cJSON_IsString(act) ? act->valuestring : "");
    c->turns = cJSON_IsArray(ctx) ? (size_t)cJSON_GetArraySize(ctx) : 0;
    cJSON_Delete(rec);
    return c->source_id && c->action ? 0 : -1;
}

int review_take(aug_review *r, aft_augment_result *res)
{
    review_free(r);
    if (res->count && !(r->c = calloc(res->count, sizeof *r->c)))
        return -1;
    for (size_t i = 0; i < res->count; i++) {
        aft_variant *v = &res->items[i];
        aug_cand *c = &r->c[r->n++];
        c->method = v->method;
        c->json = v->json;
        c->text = v->text;
        c->source_text = v->source_text;
        v->json = v->text = v->source_text = NULL;
        if (describe(c) < 0) {
            review_free(r);
            return -1;
        }
    }
    r->count[AC_PENDING] = r->n;
    free(res->items);
    res->items = NULL;
    res->count = res->cap = 0;
    return 0;
}

void review_set(aug_review *r, size_t i, ac_state s)
{
    if (i >= r->n || r->c[i].state == AC_WRITTEN || s == AC_WRITTEN)
        return;
    r->count[r->c[i].state]--;
    r->c[i].state = s;
    r->count[s]++;
}

size_t review_set_all(aug_review *r, ac_state from, ac_state to)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->c[i].state == from) {
            review_set(r, i, to);
            n++;
        }
    return n;
}

int review_edit(aug_review *r, size_t i, const char *text, aft_error *err)
{
    if (i >= r->n)
        return aft_error_set(err, "no such candidate");
    aug_cand *c = &r->c[i];
    if (c->state == AC_WRITTEN)
        return aft_error_set(err, "it is written already: edit the record itself (1, Enter)");
    char *mine = aft_augment_normalize(text), *theirs = aft_augment_normalize(c->source_text);
    int same = mine && theirs && strcmp(mine, theirs) == 0;
    free(mine);
    free(theirs);
    if (same)
        return aft_error_set(err, "that is the source's text again (a duplicate)");
    char *json = aft_variant_with_text(c->json, text, err);
    char *copy = json ? strdup(text) : NULL;
    if (!copy) {
        free(json);
        return json ? aft_error_set(err, "out of memory") : -1;
    }
    free(c->json);
    free(c->text);
    c->json = json;
    c->text = copy;
    c->edited = 1;
    review_set(r, i, AC_ACCEPTED);
    return 0;
}

int review_write(aug_review *r, aft_dataset *ds, size_t *added, aft_error *err)
{
    *added = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (r->c[i].state != AC_ACCEPTED)
            continue;
        if (aft_dataset_add(ds, r->c[i].json, NULL, err) < 0)
            return -1;
        r->count[AC_ACCEPTED]--;
        r->c[i].state = AC_WRITTEN;
        r->count[AC_WRITTEN]++;
        (*added)++;
    }
    return 0;
}

size_t review_unwritten(const aug_review *r)
{
    return r->count[AC_PENDING] + r->count[AC_ACCEPTED];
}

/* ---- what changed ------------------------------------------------------------- */

typedef struct word {
    const char *at;
    int len;
} word;

/* The words of s into w[0..cap); returns their number, or cap + 1 when
 * there are more. */
static size_t split_words(const char *s, word *w, size_t cap)
{
    size_t n = 0;
    for (const char *p = s; *p;) {
        p += strspn(p, " \t\n");
        size_t len = strcspn(p, " \t\n");
        if (!len)
            break;
        if (n == cap)
            return cap + 1;
        w[n++] = (word){p, (int)len};
        p += len;
    }
    return n;
}

static int same_word(word a, word b)
{
    return a.len == b.len && memcmp(a.at, b.at, (size_t)a.len) == 0;
}

void review_changes(const char *from, const char *to, char *buf, size_t size)
{
    enum { CAP = REVIEW_DIFF_WORDS };
    buf[0] = '\0';
    word *a = malloc(CAP * sizeof *a), *b = malloc(CAP * sizeof *b);
    size_t n = a ? split_words(from, a, CAP) : 0, m = b ? split_words(to, b, CAP) : 0;
    /* lcs[i][j]: the longest common subsequence of a[i..n) and b[j..m) */
    unsigned short *lcs = n <= CAP && m <= CAP ? calloc((n + 1) * (m + 1), sizeof *lcs) : NULL;
    if (!lcs) {
        snprintf(buf, size, a && b && (n > CAP || m > CAP) ? "(too long to compare)" : "");
        goto done;
    }
#define L(i, j) lcs[(i) * (m + 1) + (j)]
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            L(i, j) = same_word(a[i], b[j]) ? L(i + 1, j + 1) + 1
                      : L(i + 1, j) > L(i, j + 1) ? L(i + 1, j) : L(i, j + 1);
    size_t i = 0, j = 0, used = 0;
    while ((i < n || j < m) && used + 1 < size) {
        int del = i < n && (j == m || (!same_word(a[i], b[j]) && L(i + 1, j) >= L(i, j + 1)));
        int ins = !del && j < m && (i == n || !same_word(a[i], b[j]));
        if (!del && !ins) {
            i++, j++;
            continue;
        }
        const word *w = del ? &a[i++] : &b[j++];
        int k = snprintf(buf + used, size - used, "%s%c%.*s", used ? " " : "", del ? '-' : '+',
                         w->len, w->at);
        if (k < 0 || used + (size_t)k >= size) {
            snprintf(buf + (used + 4 < size ? used : size > 4 ? size - 4 : 0),
                     size > 4 ? 4 : size, "...");
            break;
        }
        used += (size_t)k;
    }
#undef L
done:
    free(lcs);
    free(a);
    free(b);
}
