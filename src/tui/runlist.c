/* The runs folder's runs (see runlist.h). metrics.jsonl is read whole, but
 * only its "best" events and validation lines are parsed, which keeps a
 * folder of long runs quick to list. */
#include "runlist.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "agentft/fileio.h"

typedef struct best_scan {
    char metric[32];
    double value;
    int have_event;
    double top_acc;
    int have_acc;
} best_scan;

static void scan_line(best_scan *b, const char *line)
{
    /* Cheap filters first: most lines are train lines. */
    int event = strstr(line, "\"best\"") != NULL, val = strstr(line, "\"val\"") != NULL;
    cJSON *o = event || val ? cJSON_Parse(line) : NULL;
    if (!o)
        return;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
    if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "event") && cJSON_IsString(ev) &&
        !strcmp(ev->valuestring, "best")) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metric");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "value");
        if (cJSON_IsString(m) && cJSON_IsNumber(v)) {
            snprintf(b->metric, sizeof b->metric, "%s", m->valuestring);
            b->value = v->valuedouble;
            b->have_event = 1;
        }
    } else if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "val")) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "accuracy");
        if (!a)
            a = cJSON_GetObjectItemCaseSensitive(o, "val_accuracy");
        if (cJSON_IsNumber(a) && isfinite(a->valuedouble) &&
            (!b->have_acc || a->valuedouble > b->top_acc)) {
            b->top_acc = a->valuedouble;
            b->have_acc = 1;
        }
    }
    cJSON_Delete(o);
}

int runlist_best(const char *dir, char *metric, size_t size, double *best)
{
    char path[4200];
    metric[0] = '\0';
    *best = NAN;
    if (aft_path_join(path, sizeof path, dir, "metrics.jsonl", NULL) < 0)
        return 1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 1;
    best_scan b = {0};
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0)
        scan_line(&b, line);
    free(line);
    fclose(f);
    if (b.have_event) {
        snprintf(metric, size, "%s", b.metric);
        *best = b.value;
        return 0;
    }
    if (b.have_acc) {
        snprintf(metric, size, "val_accuracy");
        *best = b.top_acc;
        return 0;
    }
    return 1;
}

static int newer_first(const void *a, const void *b)
{
    const run_entry *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? 1 : -1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? 1 : -1;
    return strcmp(x->name, y->name);
}

static int add(runlist *l, size_t *cap, const char *dir, const char *name,
               const struct stat *st)
{
    if (l->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        run_entry *ne = realloc(l->e, nc * sizeof *ne);
        if (!ne)
            return -1;
        l->e = ne;
        *cap = nc;
    }
    run_entry *e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(e->dir, sizeof e->dir, "%s", dir);
    e->mtime = st->st_mtim;
    runlist_best(dir, e->metric, sizeof e->metric, &e->best);
    return 0;
}

int runlist_scan(runlist *l, const char *runs_dir)
{
    memset(l, 0, sizeof *l);
    DIR *d = runs_dir && runs_dir[0] ? opendir(runs_dir) : NULL;
    if (!d)
        return 0;
    size_t cap = 0;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char dir[sizeof l->e->dir], path[4200];
        struct stat st;
        if (aft_path_join(dir, sizeof dir, runs_dir, de->d_name, NULL) < 0 ||
            aft_path_join(path, sizeof path, dir, "metrics.jsonl", NULL) < 0 ||
            stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        rc = add(l, &cap, dir, de->d_name, &st);
    }
    closedir(d);
    if (l->n > 1)
        qsort(l->e, l->n, sizeof *l->e, newer_first);
    return rc;
}

void runlist_free(runlist *l)
{
    free(l->e);
    memset(l, 0, sizeof *l);
}

void runlist_describe(const run_entry *e, char *buf, size_t size)
{
    if (!e->metric[0])
        snprintf(buf, size, "no validation yet");
    else
        snprintf(buf, size, "best %s %.4g", e->metric, e->best);
}
