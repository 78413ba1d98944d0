/* Benchmark of the dataset store on a generated million-record file: load
 * and save speed and peak memory. Prints figures; asserts no times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agentft/dataset.h"
#include "agentft/rng.h"

#define RECORDS 1000000

static const char *const actions[20] = {
    "search_flights", "book_flight", "cancel_booking", "check_status", "refund_request",
    "change_seat", "add_baggage", "hotel_search", "hotel_book", "car_rental",
    "weather_lookup", "currency_convert", "translate_text", "send_email", "calendar_add",
    "escalate_human", "faq_answer", "payment_update", "loyalty_points", "clarify_request",
};

static const char *const en_words[] = {
    "please", "find", "me", "a", "flight", "from", "Berlin", "to", "Tokyo", "next",
    "Wednesday", "under", "budget", "and", "check", "if", "my", "booking", "is", "confirmed",
    "window", "seat", "hotel", "near", "the", "airport", "for", "two", "nights", "refund",
};

static const char *const zh_words[] = {
    "用户", "查询", "航班", "信息", "下周三", "北京", "到", "上海", "预算", "800元",
    "帮我", "取消", "订单", "酒店", "靠窗", "座位", "退款", "天气", "明天", "行李",
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

static void words(aft_rng *rng, char *out, size_t size, int zh, int n)
{
    size_t o = 0;
    out[0] = '\0';
    for (int k = 0; k < n && o + 16 < size; k++) {
        const char *w = zh ? zh_words[aft_rng_below(rng, 20)] : en_words[aft_rng_below(rng, 30)];
        o += (size_t)snprintf(out + o, size - o, "%s%s", k && !zh ? " " : "", w);
    }
}

/* Streams the records out so generating them costs no memory of note. */
static int generate(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    aft_rng rng;
    aft_rng_seed(&rng, 42);
    char ctx[400], resp[200], why[200];
    for (long k = 0; k < RECORDS; k++) {
        int zh = aft_rng_below(&rng, 2) == 0;
        words(&rng, ctx, sizeof ctx, zh, zh ? 12 + (int)aft_rng_below(&rng, 14)
                                            : 10 + (int)aft_rng_below(&rng, 18));
        words(&rng, resp, sizeof resp, zh, 6);
        words(&rng, why, sizeof why, !zh, 5);
        const char *act = actions[aft_rng_below(&rng, 20)];
        fprintf(f, "{\"id\":\"rec-%07ld\",\"context\":\"%s\",\"agent_action\":\"%s\","
                "\"expected_response\":\"%s\",\"reasoning\":\"%s\"", k, ctx, act, resp, why);
        if (k % 3 == 0)
            fprintf(f, ",\"complexity\":%d", 1 + (int)aft_rng_below(&rng, 3));
        fputs("}\n", f);
    }
    return fclose(f);
}

static double file_mb(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_size / 1e6 : 0;
}

static aft_dataset *timed_open(const char *path, double *secs)
{
    aft_error err = {0};
    aft_diag_list d;
    aft_diag_list_init(&d);
    double t0 = now();
    aft_dataset *ds = aft_dataset_open(path, NULL, &d, &err);
    *secs = now() - t0;
    if (!ds)
        fprintf(stderr, "open %s: %s\n", path, err.msg);
    else if (d.errors)
        fprintf(stderr, "%s: %zu bad lines\n", path, d.errors);
    aft_diag_list_free(&d);
    return ds;
}

static int bench_big(const char *path)
{
    double t0 = now();
    if (generate(path) < 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    double mb = file_mb(path), secs;
    printf("generated %d records, %.1f MB, in %.2f s\n", RECORDS, mb, now() - t0);
    double rss0 = peak_rss_mb();
    aft_dataset *ds = timed_open(path, &secs);
    if (!ds)
        return 1;
    double rss_load = peak_rss_mb();
    printf("load:  %.2f s, %.0f MB/s, %zu records\n", secs, mb / secs, aft_dataset_count(ds));
    printf("peak RSS after load: %.0f MB (%.2fx the file; %.0f MB before)\n", rss_load,
           rss_load / mb, rss0);
    aft_error err = {0};
    t0 = now();
    int rc = aft_dataset_save(ds, &err);
    secs = now() - t0;
    printf("save (no edits): %.2f s, %.0f MB/s%s%s\n", secs, mb / secs, rc ? ": " : "",
           rc ? err.msg : "");
    double rss_save = peak_rss_mb();
    printf("peak RSS after save: %.0f MB (%.2fx the file)\n", rss_save, rss_save / mb);

    /* A split over every record, as `agentft data split` does it. */
    size_t n = aft_dataset_count(ds);
    const char **vals = malloc(n * sizeof *vals);
    if (!vals)
        return 1;
    static const char *const names[3] = {"train", "valid", "test"};
    for (size_t i = 0; i < n; i++)
        vals[i] = names[i % 10 < 8 ? 0 : i % 10 == 8 ? 1 : 2];
    t0 = now();
    rc = aft_dataset_set_strings(ds, "split", vals, &err);
    secs = now() - t0;
    printf("set_strings(split) on %zu records: %.2f s%s%s\n", n, secs, rc ? ": " : "",
           rc ? err.msg : "");
    free(vals);
    t0 = now();
    rc = aft_dataset_save(ds, &err);
    secs = now() - t0;
    double mb2 = file_mb(path), rss_split = peak_rss_mb();
    printf("save after split: %.2f s, %.0f MB/s (%.1f MB)%s%s\n", secs, mb2 / secs, mb2,
           rc ? ": " : "", rc ? err.msg : "");
    printf("peak RSS after split and save: %.0f MB (%.2fx the file)\n", rss_split, rss_split / mb);
    aft_dataset_free(ds);
    return 0;
}

static void bench_banking77(void)
{
    const char *src = getenv("SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/../shared/datasets/banking77/train.jsonl",
             src && *src ? src : ".");
    if (access(path, R_OK) != 0) {
        printf("banking77: skipped, %s not found\n", path);
        return;
    }
    double secs, mb = file_mb(path);
    aft_dataset *ds = timed_open(path, &secs);
    if (!ds)
        return;
    printf("banking77 train: %zu records, %.1f MB, load %.3f s, %.0f MB/s\n",
           aft_dataset_count(ds), mb, secs, mb / secs);
    aft_dataset_free(ds);
}

int main(int argc, char **argv)
{
    char dir[4096] = "", path[4200];
    if (argc > 1) {
        snprintf(path, sizeof path, "%s", argv[1]);
    } else {
        const char *base = getenv("AFT_TEST_TMP");
        snprintf(dir, sizeof dir, "%s/aft-bench-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
        snprintf(path, sizeof path, "%s/bench.jsonl", dir);
    }
    int rc = bench_big(path);
    bench_banking77();
    if (dir[0]) {
        unlink(path);
        char *j = aft_dataset_journal_path(path);
        if (j)
            unlink(j);
        free(j);
        rmdir(dir);
    }
    return rc;
}
