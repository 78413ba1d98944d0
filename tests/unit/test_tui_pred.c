/* Unit tests of the workbench's model predictions without a terminal: the
 * compact store (one int32 and one float a record), the "model got it
 * wrong" filter and the "uncertain first" order of the dataset view,
 * predictions carried over edits (only edited records predicted again),
 * the checkpoint a run's predictions come from, and the background pass
 * over a tiny trained run's dataset. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "agentft/predictor.h"
#include "agentft/trainer.h"
#include "../../src/tui/ckptfind.h"
#include "../../src/tui/dspred.h"
#include "../../src/tui/dsview.h"
#include "../../src/tui/predstore.h"

#define N_RECORDS 60

static char root[4096], data_path[4200], run_dir[4200];
static const char *const names[] = {"book_flight", "cancel_order", "status", "weather"};

static void write_data(void)
{
    static const char *const templates[] = {
        "please book a flight to city %d", "cancel my order number %d",
        "where is my parcel %d now", "what is the weather in town %d"};
    FILE *f = fopen(data_path, "w");
    assert_non_null(f);
    for (int i = 0; i < N_RECORDS; i++) {
        char ctx[128];
        snprintf(ctx, sizeof ctx, templates[i % 4], i);
        fprintf(f, "{\"id\":\"r%d\",\"context\":\"%s\",\"agent_action\":\"%s\",\"split\":\"%s\"}\n",
                i, ctx, names[i % 4], i % 10 == 3 ? "valid" : "train");
    }
    fclose(f);
}

/* A tiny run of the data, with checkpoints/best. */
static void train_run(void)
{
    char ws[4300];
    snprintf(ws, sizeof ws, "%s/ws.yaml", root);
    FILE *f = fopen(ws, "w");
    assert_non_null(f);
    fputs("dataset:\n  path: data.jsonl\nruns: runs\nseed: 5\nthreads: 1\n"
          "model:\n  n_layer: 1\n  n_head: 2\n  d_model: 32\n  max_seq: 32\n  vocab_size: 300\n"
          "optimizer:\n  lr: 5e-3\ntrain:\n  epochs: 2\n  batch_size: 16\n"
          "eval:\n  eval_every: 4\n  checkpoint_every: 4\n  patience: 0\n", f);
    fclose(f);
    aft_error err = {0};
    aft_config *cfg = aft_workspace_load(ws, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    aft_trainer_opts o;
    aft_trainer_opts_init(&o);
    o.run_name = "tiny";
    aft_trainer *t = aft_trainer_new(cfg, &o, &err);
    if (!t || aft_trainer_run(t, &err) < 0)
        fail_msg("%s", err.msg);
    snprintf(run_dir, sizeof run_dir, "%s", aft_trainer_run_dir(t));
    aft_trainer_free(t);
    aft_config_free(cfg);
}

static int setup(void **state)
{
    (void)state;
    if (aft_test_mkdtemp(root, sizeof root, "tui-pred") < 0)
        return -1;
    snprintf(data_path, sizeof data_path, "%s/data.jsonl", root);
    write_data();
    train_run();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return getenv("AFT_KEEP_TMP") ? 0 : aft_test_rmtree(root);
}

/* The data as written, without the edits an earlier test journalled. */
static aft_dataset *open_data(void)
{
    char *journal = aft_dataset_journal_path(data_path);
    assert_non_null(journal);
    unlink(journal);
    free(journal);
    write_data();
    aft_diag_list d;
    aft_diag_list_init(&d);
    aft_error err = {0};
    aft_load_opts lo = {0};
    aft_dataset *ds = aft_dataset_open(data_path, &lo, &d, &err);
    aft_diag_list_free(&d);
    if (!ds)
        fail_msg("%s", err.msg);
    return ds;
}

/* Record i predicted as names[pred] with confidence conf. */
static void predict(predstore *s, const aft_dataset *ds, size_t i, int32_t pred, float conf)
{
    uint64_t h = ps_line_hash(ds, i);
    ps_pending(s, i, h);
    ps_put(s, i, h, pred, conf);
}

/* Every record predicted: r0..: the annotated action except every 5th
 * (then the next action), confidence rising with i but lowest at 7. */
static void predict_all(predstore *s, const aft_dataset *ds)
{
    assert_int_equal(ps_reset(s, names, 4, aft_dataset_count(ds)), 0);
    for (size_t i = 0; i < aft_dataset_count(ds); i++)
        predict(s, ds, i, (int32_t)((i + (i % 5 == 0)) % 4), i == 7 ? 0.01f : 0.2f + 0.01f * i);
}

static void test_store(void **state)
{
    (void)state;
    aft_dataset *ds = open_data();
    predstore s;
    ps_init(&s);
    assert_int_equal(sizeof *s.pred + sizeof *s.conf, 8); /* the compact part: 8 bytes a record */
    assert_int_equal(ps_reset(&s, names, 4, N_RECORDS), 0);
    const char *a;
    float c;
    assert_int_equal(ps_get(&s, 3, &a, &c), 0);
    assert_int_equal(ps_uncertain_key(&s, 3), UINT32_MAX);
    size_t from = 0;
    assert_int_equal(ps_next_todo(&s, &from), 0);
    uint64_t h = ps_line_hash(ds, 3);
    assert_true(h != 0 && h != ps_line_hash(ds, 4));
    ps_pending(&s, 3, h);
    assert_int_equal(s.pending, 1);
    from = 3;
    assert_int_equal(ps_next_todo(&s, &from), 4); /* pending is not to do */
    ps_put(&s, 3, h + 1, 2, 0.5f);                /* another line's answer: dropped */
    assert_int_equal(ps_get(&s, 3, NULL, NULL), 0);
    ps_put(&s, 3, h, 3, 0.5f);
    assert_int_equal(ps_get(&s, 3, &a, &c), 1);
    assert_string_equal(a, "weather");
    assert_true(c == 0.5f);
    assert_int_equal(s.known, 1);
    assert_int_equal(s.pending, 0);
    assert_true(ps_wrong(&s, ds, 3) == 0); /* r3 is a weather record */
    predict(&s, ds, 4, 1, 0.9f);
    assert_true(ps_wrong(&s, ds, 4));      /* r4 is book_flight */
    assert_true(ps_uncertain_key(&s, 3) < ps_uncertain_key(&s, 4));
    predict(&s, ds, 5, 9, 0.9f);           /* an id past the names: not a prediction */
    assert_int_equal(ps_get(&s, 5, NULL, NULL), 0);
    ps_free(&s);
    aft_dataset_free(ds);
}

static void test_view_filter_and_order(void **state)
{
    (void)state;
    aft_dataset *ds = open_data();
    predstore s;
    ps_init(&s);
    predict_all(&s, ds);
    dsview v;
    dsv_init(&v, ds);
    v.pred = &s;
    v.wrong = 1;
    dsv_finish(&v);
    assert_int_equal(v.n, N_RECORDS / 5);
    for (size_t k = 0; k < v.n; k++)
        assert_int_equal(v.rows[k] % 5, 0);
    assert_int_equal(v.n_labels, 4);
    v.wrong = 0;
    v.sort = DSV_SORT_UNCERTAIN;
    assert_string_equal(dsv_sort_name(v.sort), "uncertain first");
    ps_put(&s, 9, 0, 0, 0); /* (no effect: not pending) */
    ps_pending(&s, 9, ps_line_hash(ds, 9)); /* no prediction: goes last */
    dsv_restart(&v);
    dsv_finish(&v);
    assert_int_equal(v.n, N_RECORDS);
    assert_int_equal(v.rows[0], 7);
    assert_int_equal(v.rows[1], 0);
    assert_int_equal(v.rows[2], 1);
    assert_int_equal(v.rows[N_RECORDS - 1], 9);
    v.reverse = 1;
    dsv_restart(&v);
    dsv_finish(&v);
    assert_int_equal(v.rows[0], 9);
    assert_int_equal(v.rows[1], N_RECORDS - 1);
    /* without predictions the filter shows nothing and the order is the file's */
    v.pred = NULL;
    v.wrong = 1;
    v.reverse = 0;
    dsv_restart(&v);
    dsv_finish(&v);
    assert_int_equal(v.n, 0);
    dsv_free(&v);
    ps_free(&s);
    aft_dataset_free(ds);
}

static void remap(predstore *s, const aft_dataset *ds, size_t budget)
{
    assert_int_equal(ps_remap_begin(s, ds), 0);
    int steps = 0;
    while (!ps_remap_step(s, ds, budget))
        steps++;
    assert_true(budget >= N_RECORDS || steps > 0);
}

static void test_carry_over_edits(void **state)
{
    (void)state;
    for (size_t budget = 1; budget <= 1000; budget *= 1000) {
        aft_dataset *ds = open_data();
        aft_error err = {0};
        predstore s;
        ps_init(&s);
        predict_all(&s, ds);
        /* an edit in place: only that record needs a prediction again */
        assert_int_equal(aft_dataset_set_string(ds, 10, "context", "a new request", &err), 0);
        remap(&s, ds, budget);
        assert_int_equal(s.known, N_RECORDS - 1);
        size_t from = 0;
        assert_int_equal(ps_next_todo(&s, &from), 10);
        assert_int_equal(ps_next_todo(&s, &(size_t){11}), SIZE_MAX);
        predict(&s, ds, 10, 3, 0.3f);
        /* a record deleted while two were being predicted: the later ones
         * moved up and keep theirs; of those being predicted, the one that
         * stayed in place waits for its answer, the one that moved is to do */
        float c12;
        const char *a12;
        assert_int_equal(ps_get(&s, 12, &a12, &c12), 1);
        uint64_t h1 = ps_line_hash(ds, 1);
        ps_pending(&s, 1, h1);
        ps_pending(&s, 30, ps_line_hash(ds, 30));
        assert_int_equal(aft_dataset_delete(ds, 2, &err), 0);
        remap(&s, ds, budget);
        assert_int_equal(s.n, N_RECORDS - 1);
        assert_int_equal(s.known, N_RECORDS - 3);
        assert_int_equal(s.pending, 1);
        assert_int_equal(s.pred[1], PS_PENDING);
        assert_int_equal(s.pred[29], PS_UNKNOWN);
        const char *a;
        float c;
        assert_int_equal(ps_get(&s, 11, &a, &c), 1);
        assert_string_equal(a, a12);
        assert_true(c == c12);
        ps_put(&s, 1, h1, 1, 0.5f);
        assert_int_equal(s.pending, 0);
        /* a duplicate (its id differs) and an added record need predictions */
        size_t idx;
        assert_int_equal(aft_dataset_duplicate(ds, 0, &idx, &err), 0);
        assert_int_equal(aft_dataset_add(ds, "{\"context\":\"x\",\"agent_action\":\"status\"}",
                                         &idx, &err), 0);
        remap(&s, ds, budget);
        assert_int_equal(s.n, N_RECORDS + 1);
        assert_int_equal(s.known, N_RECORDS - 2);
        from = 0;
        assert_int_equal(ps_next_todo(&s, &from), 1);
        from = 2;
        assert_int_equal(ps_next_todo(&s, &from), 30);
        from = 31;
        assert_int_equal(ps_next_todo(&s, &from), N_RECORDS);
        ps_free(&s);
        aft_dataset_free(ds);
    }
}

static void test_ckpt_find(void **state)
{
    (void)state;
    ckpt_stamp a, b;
    assert_int_equal(ckpt_find(run_dir, &a), 0);
    assert_string_equal(a.name, "best");
    assert_true(a.step > 0);
    assert_int_equal(ckpt_find(run_dir, &b), 0);
    assert_true(ckpt_same(&a, &b));
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/checkpoints", root);
    assert_int_equal(ckpt_find(dir, &b), -1); /* not a run */
    assert_string_equal(b.name, "");
    assert_int_equal(ckpt_find("", &b), -1);
}

/* Runs the pass until it reports DP_DONE, waiting on the wake pipe. */
static int tick_until_done(dspred *p, const aft_dataset *ds, unsigned long gen, const int fds[2])
{
    int all = 0, fd = fds[0];
    for (int turns = 0; turns < 10000; turns++) {
        int r = dspred_tick(p, ds, gen, run_dir, 0, fds[1]);
        all |= r;
        if (r & DP_DONE)
            return all;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (!(r & DP_BUSY) && poll(&pf, 1, 30000) <= 0 && dspred_ready(p))
            fail_msg("no news from the prediction thread for 30 s");
        char buf[64];
        while (read(fd, buf, sizeof buf) > 0) {
        }
    }
    fail_msg("the pass did not end");
    return all;
}

static void test_pass_over_run(void **state)
{
    (void)state;
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    for (int i = 0; i < 2; i++)
        fcntl(pipefd[i], F_SETFL, fcntl(pipefd[i], F_GETFL) | O_NONBLOCK);
    aft_dataset *ds = open_data();
    dspred *p = dspred_new();
    char info[256], model[128];
    tick_until_done(p, ds, 0, pipefd);
    const predstore *s = dspred_store(p);
    assert_int_equal(s->known, N_RECORDS);
    dspred_info(p, info, sizeof info, model, sizeof model);
    assert_string_equal(info, "");
    assert_non_null(strstr(model, "best, step "));
    /* the same answers as the predictor's own */
    aft_error err = {0};
    aft_predictor *pr = aft_predictor_open(run_dir, NULL, 1, &err);
    assert_non_null(pr);
    char *ctx[N_RECORDS];
    int32_t pred[N_RECORDS];
    float conf[N_RECORDS];
    for (size_t i = 0; i < N_RECORDS; i++)
        ctx[i] = aft_dataset_get_string(ds, i, "context");
    assert_int_equal(aft_predictor_classify_text(pr, (const char *const *)ctx, N_RECORDS, 8, pred,
                                                 conf, NULL, NULL, &err), 0);
    for (size_t i = 0; i < N_RECORDS; i++) {
        const char *a;
        float c;
        assert_int_equal(ps_get(s, i, &a, &c), 1);
        assert_string_equal(a, aft_predictor_actions(pr)->names[pred[i]]);
        assert_true(c == conf[i]);
        free(ctx[i]);
    }
    aft_predictor_free(pr);
    /* an edit: one record is predicted again, the others are kept */
    assert_int_equal(aft_dataset_set_string(ds, 5, "context", "cancel the order", &err), 0);
    int r = dspred_tick(p, ds, 1, run_dir, 0, pipefd[1]);
    assert_true(r & DP_CHANGED);
    assert_int_equal(s->known, N_RECORDS - 1);
    assert_int_equal(s->pending, 1);
    tick_until_done(p, ds, 1, pipefd);
    assert_int_equal(s->known, N_RECORDS);
    /* held (the workbench's run trains): nothing new is handed out */
    assert_int_equal(aft_dataset_set_string(ds, 6, "context", "weather now", &err), 0);
    dspred_tick(p, ds, 2, run_dir, 1, pipefd[1]);
    dspred_tick(p, ds, 2, run_dir, 1, pipefd[1]);
    assert_int_equal(s->known, N_RECORDS - 1);
    assert_int_equal(s->pending, 0);
    dspred_info(p, info, sizeof info, model, sizeof model);
    assert_string_equal(info, "predictions wait while the run trains");
    tick_until_done(p, ds, 2, pipefd);
    assert_int_equal(s->known, N_RECORDS);
    /* another run without checkpoints: no predictions */
    assert_true(dspred_tick(p, ds, 2, root, 0, pipefd[1]) & DP_CHANGED);
    assert_false(dspred_ready(p));
    assert_int_equal(s->known, 0);
    dspred_free(p);
    aft_dataset_free(ds);
    close(pipefd[0]);
    close(pipefd[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_view_filter_and_order),
        cmocka_unit_test(test_carry_over_edits),
        cmocka_unit_test(test_ckpt_find),
        cmocka_unit_test(test_pass_over_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
