/* Kill test for the journal: a child edits and saves until SIGKILLed at a random
 * point; reopened, the dataset must hold every edit the child acknowledged. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "testutil.h"
#include "agentft/dataset.h"
#include "agentft/rng.h"

#define RECORDS 300
#define ITERS 200

enum { OP_SET, OP_UNSET, OP_ADD, OP_DELETE, OP_DUP, OP_SAVE };

/* Pipe messages: an intent before each edit, an ack after it returned 0. */
typedef struct msg_head {
    char tag;          /* 'I' intent, 'A' ack, 'E' error */
    uint8_t op;
    uint32_t i, klen, vlen;
} msg_head;

typedef struct op_desc {
    int op;
    size_t i;
    char *key, *val;
} op_desc;

/* ---- the child: a writer that never stops on its own ----------------------- */

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(3);
        c += w;
        n -= (size_t)w;
    }
}

static void send_msg(int fd, char tag, int op, size_t i, const char *key, const char *val)
{
    msg_head h = {tag, (uint8_t)op, (uint32_t)i, key ? (uint32_t)strlen(key) : 0,
                  val ? (uint32_t)strlen(val) : 0};
    send_all(fd, &h, sizeof h);
    send_all(fd, key, h.klen);
    send_all(fd, val, h.vlen);
}

static void pick_set(aft_rng *rng, const char **key, char *val, size_t size)
{
    static const char *const splits[] = {"train", "valid", "test"};
    switch (aft_rng_below(rng, 5)) {
    case 0:
        *key = "reasoning";
        snprintf(val, size, "\"why %u \\\"quoted\\\" 原因\"", (unsigned)aft_rng_below(rng, 1000));
        break;
    case 1:
        *key = "complexity";
        snprintf(val, size, "%u", (unsigned)aft_rng_below(rng, 10) + 1);
        break;
    case 2:
        *key = "split";
        snprintf(val, size, "\"%s\"", splits[aft_rng_below(rng, 3)]);
        break;
    case 3:
        *key = "tags";
        snprintf(val, size, "[\"t%u\",\"标签\"]", (unsigned)aft_rng_below(rng, 50));
        break;
    default:
        *key = "note";
        snprintf(val, size, "{\"n\":%u,\"ok\":true}", (unsigned)aft_rng_below(rng, 100));
    }
}

static int do_op(aft_dataset *ds, int op, size_t i, const char *key, const char *val,
                 aft_error *err)
{
    switch (op) {
    case OP_SET: return aft_dataset_set_json(ds, i, key, val, err);
    case OP_UNSET: return aft_dataset_unset(ds, i, key, err);
    case OP_ADD: return aft_dataset_add(ds, val, NULL, err);
    case OP_DELETE: return aft_dataset_delete(ds, i, err);
    case OP_DUP: return aft_dataset_duplicate(ds, i, NULL, err);
    default: return aft_dataset_save(ds, err);
    }
}

static void writer(const char *path, int fd, uint64_t seed)
{
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    aft_error err = {0};
    aft_dataset *ds = aft_dataset_open(path, NULL, NULL, &err);
    if (!ds) {
        send_msg(fd, 'E', 0, 0, NULL, err.msg);
        _exit(1);
    }
    for (unsigned n = 0;; n++) {
        size_t count = aft_dataset_count(ds);
        uint64_t r = aft_rng_below(&rng, 100);
        int op = r < 40 ? OP_SET : r < 47 ? OP_UNSET : r < 62 ? OP_ADD
               : r < 77 ? OP_DELETE : r < 92 ? OP_DUP : OP_SAVE;
        if (op == OP_DELETE && count < 50)
            op = OP_ADD;
        size_t i = count ? (size_t)aft_rng_below(&rng, count) : 0;
        const char *key = NULL;
        char val[256] = "";
        if (op == OP_SET)
            pick_set(&rng, &key, val, sizeof val);
        else if (op == OP_UNSET)
            key = aft_rng_below(&rng, 2) ? "reasoning" : "tags";
        else if (op == OP_ADD)
            snprintf(val, sizeof val, "{\"id\":\"n%llu-%u\",\"context\":\"新的 request %u\","
                     "\"agent_action\":\"act%u\"}", (unsigned long long)seed, n, n,
                     (unsigned)aft_rng_below(&rng, 5));
        send_msg(fd, 'I', op, i, key, val);
        if (do_op(ds, op, i, key, val, &err) < 0) {
            send_msg(fd, 'E', op, i, NULL, err.msg);
            _exit(1);
        }
        send_msg(fd, 'A', op, i, NULL, NULL);
        /* A little work of varying length, so kills land at varied points. */
        volatile unsigned spin = 0;
        for (uint64_t k = aft_rng_below(&rng, 20000); k > 0; k--)
            spin += (unsigned)k;
        (void)spin;
    }
}

/* ---- the parent's model: a plain list of lines, edited with cJSON -------- */

typedef struct model {
    char **lines;
    size_t n, cap;
} model;

static void model_insert(model *m, size_t at, char *line)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 512;
        m->lines = realloc(m->lines, m->cap * sizeof *m->lines);
        assert_non_null(m->lines);
    }
    memmove(&m->lines[at + 1], &m->lines[at], (m->n - at) * sizeof *m->lines);
    m->lines[at] = line;
    m->n++;
}

static void model_free(model *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->lines[i]);
    free(m->lines);
    memset(m, 0, sizeof *m);
}

static char *print_tree(cJSON *t)
{
    char *s = cJSON_PrintUnformatted(t);
    assert_non_null(s);
    char *out = strdup(s);
    cJSON_free(s);
    cJSON_Delete(t);
    return out;
}

static int id_taken(const model *m, const char *id)
{
    for (size_t k = 0; k < m->n; k++) {
        cJSON *t = cJSON_Parse(m->lines[k]);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "id");
        int same = cJSON_IsString(v) && !strcmp(v->valuestring, id);
        cJSON_Delete(t);
        if (same)
            return 1;
    }
    return 0;
}

static void model_dup(model *m, size_t i)
{
    cJSON *t = cJSON_Parse(m->lines[i]);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
    if (!cJSON_IsString(id)) {
        cJSON_Delete(t);
        model_insert(m, i + 1, strdup(m->lines[i]));
        return;
    }
    char nid[256];
    snprintf(nid, sizeof nid, "%s-copy", id->valuestring);
    for (int k = 2; id_taken(m, nid); k++)
        snprintf(nid, sizeof nid, "%s-copy%d", id->valuestring, k);
    cJSON_ReplaceItemInObjectCaseSensitive(t, "id", cJSON_CreateString(nid));
    model_insert(m, i + 1, print_tree(t));
}

static void model_apply(model *m, const op_desc *o)
{
    cJSON *t;
    switch (o->op) {
    case OP_SET:
        t = cJSON_Parse(m->lines[o->i]);
        if (cJSON_GetObjectItemCaseSensitive(t, o->key))
            cJSON_ReplaceItemInObjectCaseSensitive(t, o->key, cJSON_Parse(o->val));
        else
            cJSON_AddItemToObject(t, o->key, cJSON_Parse(o->val));
        free(m->lines[o->i]);
        m->lines[o->i] = print_tree(t);
        break;
    case OP_UNSET:
        t = cJSON_Parse(m->lines[o->i]);
        if (!cJSON_GetObjectItemCaseSensitive(t, o->key)) {
            cJSON_Delete(t); /* nothing removed: the line stays as it was */
            break;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(t, o->key);
        free(m->lines[o->i]);
        m->lines[o->i] = print_tree(t);
        break;
    case OP_ADD:
        model_insert(m, m->n, print_tree(cJSON_Parse(o->val)));
        break;
    case OP_DELETE:
        free(m->lines[o->i]);
        memmove(&m->lines[o->i], &m->lines[o->i + 1], (m->n - o->i - 1) * sizeof *m->lines);
        m->n--;
        break;
    case OP_DUP:
        model_dup(m, o->i);
        break;
    default:
        break;
    }
}

static void model_copy(model *dst, const model *src)
{
    model_free(dst);
    for (size_t i = 0; i < src->n; i++)
        model_insert(dst, i, strdup(src->lines[i]));
}

static int model_matches(const model *m, const aft_dataset *ds)
{
    if (m->n != aft_dataset_count(ds))
        return 0;
    for (size_t i = 0; i < m->n; i++) {
        size_t len;
        const char *line = aft_dataset_line(ds, i, &len);
        if (len != strlen(m->lines[i]) || memcmp(line, m->lines[i], len))
            return 0;
    }
    return 1;
}

/* ---- the parent: read acks, kill, check ------------------------------------- */

typedef struct reader {
    char *buf;
    size_t len, cap, pos;
} reader;

static int read_more(reader *r, int fd)
{
    if (r->cap - r->len < 4096) {
        r->cap = r->cap ? r->cap * 2 : 65536;
        r->buf = realloc(r->buf, r->cap);
        assert_non_null(r->buf);
    }
    ssize_t n;
    do
        n = read(fd, r->buf + r->len, r->cap - r->len);
    while (n < 0 && errno == EINTR);
    assert_true(n >= 0);
    r->len += (size_t)n;
    return n > 0;
}

/* Takes the next whole message; 0 when more bytes are needed. */
static int next_msg(reader *r, msg_head *h, op_desc *o)
{
    if (r->len - r->pos < sizeof *h)
        return 0;
    memcpy(h, r->buf + r->pos, sizeof *h);
    size_t need = sizeof *h + h->klen + h->vlen;
    if (r->len - r->pos < need)
        return 0;
    const char *p = r->buf + r->pos + sizeof *h;
    o->op = h->op;
    o->i = h->i;
    o->key = h->klen ? strndup(p, h->klen) : NULL;
    o->val = strndup(p + h->klen, h->vlen);
    r->pos += need;
    return 1;
}

typedef struct round_state {
    model *m;
    op_desc pending;    /* the last intent not yet acked */
    int has_pending;
    size_t acks, intents;
} round_state;

static void clear_op(op_desc *o)
{
    free(o->key);
    free(o->val);
    memset(o, 0, sizeof *o);
}

static void handle(round_state *st, const msg_head *h, op_desc *o)
{
    if (h->tag == 'E')
        fail_msg("writer failed: %s", o->val);
    if (h->tag == 'I') {
        assert_false(st->has_pending);
        st->pending = *o;
        st->has_pending = 1;
        st->intents++;
        return;
    }
    assert_true(st->has_pending);
    model_apply(st->m, &st->pending);
    clear_op(&st->pending);
    clear_op(o);
    st->has_pending = 0;
    st->acks++;
}

/* Busy-waits up to max_us. It orders nothing (every check reads only what
 * the pipe said); it spreads kills that follow an intent over the whole
 * edit, so that some land late in a save, between its rename and unlink. */
static void jitter(aft_rng *rng, unsigned max_us)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t wait_ns = aft_rng_below(rng, (uint64_t)max_us * 1000 + 1);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((uint64_t)((t.tv_sec - t0.tv_sec) * 1000000000LL + (t.tv_nsec - t0.tv_nsec)) < wait_ns);
}

/* One writer life: returns after it was killed and every message read. */
static void run_writer(const char *path, uint64_t seed, size_t kill_at, int on_intent,
                       aft_rng *rng, round_state *st)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        writer(path, fds[1], seed);
        _exit(2);
    }
    close(fds[1]);
    reader r = {0};
    int killed = 0, more = 1;
    while (more) {
        more = read_more(&r, fds[0]);
        msg_head h;
        op_desc o;
        while (next_msg(&r, &h, &o)) {
            handle(st, &h, &o);
            size_t seen = on_intent ? st->intents : st->acks;
            if (!killed && seen >= kill_at) {
                if (on_intent)
                    jitter(rng, 1500);
                kill(pid, SIGKILL);
                killed = 1;
            }
        }
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(fds[0]);
    free(r.buf);
}

/* Returns 1 when the edit in flight at the kill turned out to be there. */
static int check_reopen(const char *path, round_state *st)
{
    int landed = 0;
    aft_diag_list d;
    aft_diag_list_init(&d);
    aft_error err = {0};
    aft_dataset *ds = aft_dataset_open(path, NULL, &d, &err);
    if (!ds)
        fail_msg("reopen: %s", err.msg);
    if (d.count) {
        char line[1024];
        aft_diag_format(&d, 0, line, sizeof line);
        fail_msg("reopen listed %zu problems, first: %s", d.count, line);
    }
    assert_int_equal(aft_dataset_bad_lines(ds), 0);
    if (!model_matches(st->m, ds)) {
        assert_true(st->has_pending); /* only the edit in flight may differ */
        model with = {0};
        model_copy(&with, st->m);
        model_apply(&with, &st->pending);
        assert_true(model_matches(&with, ds));
        model_copy(st->m, &with);
        model_free(&with);
        landed = 1;
    }
    if (st->has_pending)
        clear_op(&st->pending);
    st->has_pending = 0;
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    return landed;
}

static void make_base(const char *path, model *m)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int k = 0; k < RECORDS; k++) {
        char line[256];
        snprintf(line, sizeof line, "{\"id\":\"r%d\", \"context\": \"user request %d: 查询航班 %d\", "
                 "\"agent_action\": \"act%d\", \"reasoning\": \"r\"}", k, k, k * 7, k % 9);
        fprintf(f, "%s\n", line);
        model_insert(m, m->n, strdup(line));
    }
    assert_int_equal(fclose(f), 0);
}

static void test_kill_writer(void **state)
{
    (void)state;
    char dir[4096], path[4200];
    assert_int_equal(aft_test_mkdtemp(dir, sizeof dir, "aft-kill"), 0);
    snprintf(path, sizeof path, "%s/data.jsonl", dir);
    model m = {0};
    make_base(path, &m);
    aft_rng rng;
    aft_rng_seed(&rng, 20240611);
    size_t total_acks = 0, inflight_seen = 0, inflight_landed = 0;
    for (int it = 0; it < ITERS; it++) {
        round_state st = {.m = &m};
        size_t kill_at = (size_t)aft_rng_below(&rng, 25);
        int on_intent = aft_rng_below(&rng, 2);
        run_writer(path, aft_rng_u64(&rng), on_intent ? kill_at + 1 : kill_at, on_intent, &rng,
                   &st);
        inflight_seen += st.has_pending;
        total_acks += st.acks;
        inflight_landed += (size_t)check_reopen(path, &st);
    }
    print_message("%d kills, %zu acknowledged edits; %zu kills with an edit in flight, "
                  "%zu of those edits visible after reopening\n",
                  ITERS, total_acks, inflight_seen, inflight_landed);
    model_free(&m);
    assert_int_equal(aft_test_rmtree(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
