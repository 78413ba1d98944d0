/* Unit tests of the control socket (src/train/control*.c): request parsing,
 * the server against a recording handler, many clients, stale and live sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "testutil.h"
#include "agentft/control.h"

static char tmpdir[512];
static char sock[600];

/* What the test handler saw; the server calls it on its own thread. */
typedef struct recorder {
    pthread_mutex_t lock;
    size_t calls;
    aft_cmd last;
} recorder;

static int handler(void *ctx, const aft_cmd *cmd, char *fields, size_t size, aft_error *err)
{
    recorder *r = ctx;
    pthread_mutex_lock(&r->lock);
    r->calls++;
    r->last = *cmd;
    pthread_mutex_unlock(&r->lock);
    if (cmd->kind == AFT_CMD_SET && strcmp(cmd->key, "n_layer") == 0)
        return aft_error_set(err, "n_layer cannot change during a run");
    if (cmd->kind == AFT_CMD_SET && strcmp(cmd->key, "quiet_refusal") == 0)
        return -1;
    if (cmd->kind == AFT_CMD_SET && strcmp(cmd->key, "bad_fields") == 0)
        snprintf(fields, size, "\"x\":");
    if (cmd->kind == AFT_CMD_STATUS)
        snprintf(fields, size, "\"step\":12,\"state\":\"running\",\"lr\":0.0001,\"ok\":false");
    return 0;
}

typedef struct fixture {
    recorder rec;
    aft_control_server *srv;
} fixture;

static int setup(void **state)
{
    if (aft_test_mkdtemp(tmpdir, sizeof tmpdir, "control") < 0)
        return -1;
    snprintf(sock, sizeof sock, "%s/control.sock", tmpdir);
    fixture *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->rec.lock, NULL);
    aft_error err = {0};
    f->srv = aft_control_start(sock, handler, &f->rec, &err);
    if (!f->srv) {
        fprintf(stderr, "start: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    aft_control_stop(f->srv);
    pthread_mutex_destroy(&f->rec.lock);
    free(f);
    return aft_test_rmtree(tmpdir);
}

/* Sends a request and returns the reply (static buffer), failing the test
 * if the request itself fails. */
static const char *ask(const char *request)
{
    static char reply[8192];
    aft_error err = {0};
    int rc = aft_control_request(sock, request, reply, sizeof reply, 5000, &err);
    if (rc != 0)
        fail_msg("request %s: %s", request, err.msg);
    return reply;
}

static void sock_addr(struct sockaddr_un *addr)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    assert_true(strlen(sock) < sizeof addr->sun_path);
    memcpy(addr->sun_path, sock, strlen(sock) + 1);
}

/* A raw client, for what aft_control_request never sends. */
static int raw_connect(void)
{
    struct sockaddr_un addr;
    sock_addr(&addr);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    return fd;
}

static void raw_send(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return; /* the server may have closed: the reply says why */
        data += n;
        len -= (size_t)n;
    }
}

/* Reads one reply line; returns 0, or -1 at end of file. */
static int raw_line(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t r = recv(fd, buf + n, 1, 0);
        if (r <= 0)
            return -1;
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
    return 0;
}

static void assert_error_reply(const char *reply, const char *want)
{
    cJSON *j = cJSON_Parse(reply);
    if (!j)
        fail_msg("reply is not JSON: %s", reply);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "ok")));
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(j, "error"));
    assert_non_null(msg);
    if (!strstr(msg, want))
        fail_msg("error %s does not contain %s", msg, want);
    cJSON_Delete(j);
}

/* ---- parsing, no server ------------------------------------------------- */

static void parse_ok(const char *line, aft_cmd_kind kind, const char *key, const char *value)
{
    aft_cmd cmd;
    aft_error err = {0};
    if (aft_control_parse(line, &cmd, &err) != 0)
        fail_msg("%s: %s", line, err.msg);
    assert_int_equal(cmd.kind, kind);
    assert_string_equal(cmd.key, key);
    assert_string_equal(cmd.value, value);
}

static void parse_bad(const char *line, const char *want)
{
    aft_cmd cmd;
    aft_error err = {0};
    assert_int_equal(aft_control_parse(line, &cmd, &err), -1);
    if (!strstr(err.msg, want))
        fail_msg("%s: error '%s' does not contain '%s'", line, err.msg, want);
}

static void test_parse(void **state)
{
    (void)state;
    parse_ok("{\"cmd\":\"pause\"}", AFT_CMD_PAUSE, "", "");
    parse_ok(" {\"cmd\":\"resume\",\"extra\":[1,2]} \r", AFT_CMD_RESUME, "", "");
    parse_ok("{\"cmd\":\"stop\",\"key\":\"ignored\"}", AFT_CMD_STOP, "", "");
    parse_ok("{\"cmd\":\"checkpoint\"}", AFT_CMD_CHECKPOINT, "", "");
    parse_ok("{\"cmd\":\"eval\"}", AFT_CMD_EVAL, "", "");
    parse_ok("{\"cmd\":\"status\"}", AFT_CMD_STATUS, "", "");
    parse_ok("{\"cmd\":\"set\",\"key\":\"lr\",\"value\":1e-4}", AFT_CMD_SET, "lr", "0.0001");
    parse_ok("{\"cmd\":\"set\",\"key\":\"lr\",\"value\":3e-5}", AFT_CMD_SET, "lr", "3e-05");
    parse_ok("{\"cmd\":\"set\",\"key\":\"x\",\"value\":0.1}", AFT_CMD_SET, "x", "0.1");
    parse_ok("{\"cmd\":\"set\",\"key\":\"x\",\"value\":100000000}", AFT_CMD_SET, "x", "100000000");
    parse_ok("{\"cmd\":\"set\",\"key\":\"x\",\"value\":-2}", AFT_CMD_SET, "x", "-2");
    parse_ok("{\"cmd\":\"set\",\"key\":\"x\",\"value\":0.30000000000000004}", AFT_CMD_SET, "x",
             "0.30000000000000004");
    parse_ok("{\"cmd\":\"set\",\"key\":\"x\",\"value\":1e300}", AFT_CMD_SET, "x", "1e+300");
    parse_ok("{\"cmd\":\"set\",\"key\":\"optimizer.name\",\"value\":\"adamw\"}", AFT_CMD_SET,
             "optimizer.name", "adamw");
    parse_ok("{\"cmd\":\"set\",\"key\":\"b\",\"value\":true}", AFT_CMD_SET, "b", "true");
    parse_ok("{\"cmd\":\"set\",\"key\":\"b\",\"value\":false}", AFT_CMD_SET, "b", "false");

    parse_bad("{\"cmd\":\"frob\"}",
              "unknown command \"frob\" (expected one of: set, pause, resume, stop, checkpoint, "
              "eval, status)");
    parse_bad("{\"cmd\":\"set\",\"value\":1}", "set needs a \"key\"");
    parse_bad("{\"cmd\":\"set\",\"key\":\"\",\"value\":1}", "set needs a \"key\"");
    parse_bad("{\"cmd\":\"set\",\"key\":7,\"value\":1}", "set needs a \"key\"");
    parse_bad("{\"cmd\":\"set\",\"key\":\"lr\"}", "set needs a \"value\"");
    parse_bad("{\"cmd\":\"set\",\"key\":\"lr\",\"value\":null}", "must be a number");
    parse_bad("{\"cmd\":\"set\",\"key\":\"lr\",\"value\":[1]}", "must be a number");
    parse_bad("{\"cmd\":\"set\",\"key\":\"lr\",\"value\":1e999}", "out of range");
    parse_bad("{\"cmd\":5}", "needs a \"cmd\"");
    parse_bad("{}", "needs a \"cmd\"");
    parse_bad("[\"pause\"]", "a JSON object");
    parse_bad("\"pause\"", "a JSON object");
    parse_bad("pause", "not JSON: unexpected input at byte 1 near 'pause'");
    parse_bad("{\"cmd\":\"pause\"", "not JSON: the line ends early");
    parse_bad("{\"cmd\":\"pause\"} x", "not JSON");
    parse_bad("", "not JSON");

    char key[200], line[600];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    snprintf(line, sizeof line, "{\"cmd\":\"set\",\"key\":\"%s\",\"value\":1}", key);
    parse_bad(line, "too long");
    char value[400];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    snprintf(line, sizeof line, "{\"cmd\":\"set\",\"key\":\"k\",\"value\":\"%s\"}", value);
    parse_bad(line, "too long");
}

/* ---- the server ----------------------------------------------------------- */

static void test_each_command(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *name;
        aft_cmd_kind kind;
    } cmds[] = {{"pause", AFT_CMD_PAUSE}, {"resume", AFT_CMD_RESUME}, {"stop", AFT_CMD_STOP},
                {"checkpoint", AFT_CMD_CHECKPOINT}, {"eval", AFT_CMD_EVAL}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char req[64];
        snprintf(req, sizeof req, "{\"cmd\":\"%s\"}", cmds[i].name);
        assert_string_equal(ask(req), "{\"ok\":true}");
        assert_int_equal(f->rec.last.kind, cmds[i].kind);
        assert_int_equal(f->rec.calls, i + 1);
    }
}

static void test_set_values(void **state)
{
    fixture *f = *state;
    assert_string_equal(ask("{\"cmd\":\"set\",\"key\":\"lr\",\"value\":1e-4}\n"), "{\"ok\":true}");
    assert_int_equal(f->rec.last.kind, AFT_CMD_SET);
    assert_string_equal(f->rec.last.key, "lr");
    assert_string_equal(f->rec.last.value, "0.0001");
    assert_string_equal(ask("{\"cmd\":\"set\",\"key\":\"optimizer.name\",\"value\":\"sgd\"}"),
                        "{\"ok\":true}");
    assert_string_equal(f->rec.last.key, "optimizer.name");
    assert_string_equal(f->rec.last.value, "sgd");
    assert_string_equal(ask("{\"cmd\":\"set\",\"key\":\"eval.fast\",\"value\":true}"),
                        "{\"ok\":true}");
    assert_string_equal(f->rec.last.value, "true");
}

static void test_refusals(void **state)
{
    fixture *f = *state;
    assert_string_equal(ask("{\"cmd\":\"set\",\"key\":\"n_layer\",\"value\":6}"),
                        "{\"ok\":false,\"error\":\"n_layer cannot change during a run\"}");
    assert_string_equal(f->rec.last.value, "6");
    assert_error_reply(ask("{\"cmd\":\"set\",\"key\":\"quiet_refusal\",\"value\":1}"),
                       "refused");
    /* Fields that do not parse are left out rather than breaking the reply. */
    assert_string_equal(ask("{\"cmd\":\"set\",\"key\":\"bad_fields\",\"value\":1}"),
                        "{\"ok\":true}");
    /* Unknown commands never reach the handler; quotes come back escaped. */
    size_t calls = f->rec.calls;
    assert_error_reply(ask("{\"cmd\":\"fr\\\"ob\"}"), "unknown command \"fr\"ob\"");
    assert_int_equal(f->rec.calls, calls);
}

static void test_status_fields(void **state)
{
    (void)state;
    const char *reply = ask("{\"cmd\":\"status\"}");
    cJSON *j = cJSON_Parse(reply);
    assert_non_null(j);
    /* "ok" from the handler does not override the server's. */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    assert_int_equal(cJSON_GetArraySize(j), 4);
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "step")), 12);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "state")), "running");
    assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "lr")) == 0.0001);
    cJSON_Delete(j);
}

static void test_garbage_keeps_connection(void **state)
{
    fixture *f = *state;
    int fd = raw_connect();
    char line[4096];
    static const char *const garbage[] = {
        "hello\n", "{\"cmd\":\n", "[]\n", "{\"cmd\":\"set\",\"key\":\"lr\",\"value\":{}}\n",
        "\xff\xfe\x80 not utf-8\n", "{\"cmd\":\"pause\"} trailing\n",
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        raw_send(fd, garbage[i], strlen(garbage[i]));
        assert_int_equal(raw_line(fd, line, sizeof line), 0);
        assert_error_reply(line, "");
    }
    raw_send(fd, "nul\0byte\n", 9);
    assert_int_equal(raw_line(fd, line, sizeof line), 0);
    assert_error_reply(line, "NUL byte");
    /* Nesting deeper than cJSON takes is an error, not a crash. */
    char deep[4100];
    memset(deep, '[', 4000);
    memcpy(deep + 4000, "\n", 2);
    raw_send(fd, deep, strlen(deep));
    assert_int_equal(raw_line(fd, line, sizeof line), 0);
    assert_error_reply(line, "not JSON");
    /* Blank lines are skipped; then the same connection still works. */
    size_t calls = f->rec.calls;
    raw_send(fd, "\n \r\n{\"cmd\":\"pause\"}\n", 20);
    assert_int_equal(raw_line(fd, line, sizeof line), 0);
    assert_string_equal(line, "{\"ok\":true}");
    assert_int_equal(f->rec.calls, calls + 1);
    close(fd);
}

static void test_pipelined_and_half_closed(void **state)
{
    fixture *f = *state;
    int fd = raw_connect();
    char line[256];
    const char *batch = "{\"cmd\":\"pause\"}\n{\"cmd\":\"resume\"}\r\n{\"cmd\":\"eval\"}\n"
                        "{\"cmd\":\"checkpoint\"}\n{\"cmd\":\"stop\"}";
    raw_send(fd, batch, strlen(batch));
    /* Closing our side: complete lines are answered, the cut one dropped. */
    shutdown(fd, SHUT_WR);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(raw_line(fd, line, sizeof line), 0);
        assert_string_equal(line, "{\"ok\":true}");
    }
    assert_int_equal(raw_line(fd, line, sizeof line), -1);
    close(fd);
    assert_int_equal(f->rec.calls, 4);
    assert_int_equal(f->rec.last.kind, AFT_CMD_CHECKPOINT);
}

static void test_long_lines(void **state)
{
    (void)state;
    enum { MAX = 65536 };
    char *big = malloc(MAX + 100);
    char line[512];
    /* The longest line taken: 65535 bytes and the newline. */
    const char *req = "{\"cmd\":\"status\"}";
    memcpy(big, req, strlen(req));
    memset(big + strlen(req), ' ', MAX - 1 - strlen(req));
    big[MAX - 1] = '\n';
    int fd = raw_connect();
    raw_send(fd, big, MAX);
    assert_int_equal(raw_line(fd, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    close(fd);
    /* One byte more is refused, and the connection closed. */
    memset(big, 'a', MAX + 100);
    big[MAX + 99] = '\n';
    fd = raw_connect();
    raw_send(fd, big, MAX + 100);
    assert_int_equal(raw_line(fd, line, sizeof line), 0);
    assert_error_reply(line, "longer than 65536 bytes");
    assert_int_equal(raw_line(fd, line, sizeof line), -1);
    close(fd);
    free(big);
    assert_string_equal(ask("{\"cmd\":\"pause\"}"), "{\"ok\":true}");
}

static void test_hang_up_mid_line(void **state)
{
    fixture *f = *state;
    int fd = raw_connect();
    raw_send(fd, "{\"cmd\":\"pa", 10);
    close(fd);
    assert_string_equal(ask("{\"cmd\":\"resume\"}"), "{\"ok\":true}");
    assert_int_equal(f->rec.calls, 1);
    /* Gone before its reply is written: the server carries on. */
    fd = raw_connect();
    raw_send(fd, "{\"cmd\":\"status\"}\n", 17);
    close(fd);
    assert_string_equal(ask("{\"cmd\":\"pause\"}"), "{\"ok\":true}");
}

static void test_many_in_sequence(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 300; i++) {
        char req[96];
        snprintf(req, sizeof req, "{\"cmd\":\"set\",\"key\":\"step_%d\",\"value\":%d}", i, i);
        assert_string_equal(ask(req), "{\"ok\":true}");
    }
    assert_int_equal(f->rec.calls, 300);
    assert_string_equal(f->rec.last.key, "step_299");
}

enum { THREADS = 8, PER_THREAD = 50 };

static void *client_thread(void *arg)
{
    long id = (long)(intptr_t)arg;
    long bad = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        char req[96], reply[256];
        aft_error err = {0};
        snprintf(req, sizeof req, "{\"cmd\":\"set\",\"key\":\"t%ld\",\"value\":%d}", id, i);
        if (aft_control_request(sock, req, reply, sizeof reply, 10000, &err) != 0 ||
            strcmp(reply, "{\"ok\":true}") != 0) {
            fprintf(stderr, "thread %ld: %s%s\n", id, err.msg, err.set ? "" : reply);
            bad++;
        }
    }
    return (void *)(intptr_t)bad;
}

static void test_concurrent_clients(void **state)
{
    fixture *f = *state;
    /* Idle connections held open meanwhile must not block the others. */
    int idle[4];
    for (int i = 0; i < 4; i++)
        idle[i] = raw_connect();
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, client_thread, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *bad;
        pthread_join(t[i], &bad);
        assert_int_equal((intptr_t)bad, 0);
    }
    assert_int_equal(f->rec.calls, THREADS * PER_THREAD);
    for (int i = 0; i < 4; i++)
        close(idle[i]);
}

static void test_too_many_connections(void **state)
{
    (void)state;
    int fds[AFT_CONTROL_MAX_CLIENTS];
    char line[256];
    /* A round trip on each makes sure the server has taken it. */
    for (int i = 0; i < AFT_CONTROL_MAX_CLIENTS; i++) {
        fds[i] = raw_connect();
        raw_send(fds[i], "{\"cmd\":\"pause\"}\n", 16);
        assert_int_equal(raw_line(fds[i], line, sizeof line), 0);
    }
    assert_error_reply(ask("{\"cmd\":\"pause\"}"), "too many control connections");
    close(fds[0]);
    assert_string_equal(ask("{\"cmd\":\"pause\"}"), "{\"ok\":true}");
    for (int i = 1; i < AFT_CONTROL_MAX_CLIENTS; i++)
        close(fds[i]);
}

static void test_socket_mode(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(lstat(sock, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_second_server_refused(void **state)
{
    (void)state;
    recorder rec = {.calls = 0};
    aft_error err = {0};
    aft_control_server *again = aft_control_start(sock, handler, &rec, &err);
    assert_null(again);
    assert_non_null(strstr(err.msg, "another run is live on"));
    assert_non_null(strstr(err.msg, sock));
    /* The first one is untouched. */
    assert_string_equal(ask("{\"cmd\":\"pause\"}"), "{\"ok\":true}");
}

/* Hangs up on a server stopped while clients are still connected. */
static void test_stop_with_clients(void **state)
{
    fixture *f = *state;
    int fd = raw_connect();
    char line[256];
    raw_send(fd, "{\"cmd\":\"pause\"}\n{\"cmd\":", 24);
    assert_int_equal(raw_line(fd, line, sizeof line), 0);
    aft_control_stop(f->srv);
    f->srv = NULL;
    assert_int_equal(raw_line(fd, line, sizeof line), -1);
    close(fd);
    struct stat st;
    assert_int_equal(lstat(sock, &st), -1);
    assert_int_equal(errno, ENOENT);
}

/* ---- lifecycle, without the fixture's server ---------------------------- */

static int setup_dir(void **state)
{
    (void)state;
    if (aft_test_mkdtemp(tmpdir, sizeof tmpdir, "control") < 0)
        return -1;
    snprintf(sock, sizeof sock, "%s/control.sock", tmpdir);
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

/* Leaves a socket file that nobody serves, as a killed run does. */
static void make_stale_socket(void)
{
    struct sockaddr_un addr;
    sock_addr(&addr);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(fd, 1), 0);
    close(fd);
}

static void test_not_live(void **state)
{
    (void)state;
    char reply[64];
    aft_error err = {0};
    assert_int_equal(aft_control_request(sock, "{\"cmd\":\"pause\"}", reply, sizeof reply, 1000,
                                         &err), -1);
    char want[1200];
    snprintf(want, sizeof want, "no live run at %s: control.sock missing (the run has finished "
                                "or was never started)", tmpdir);
    assert_string_equal(err.msg, want);
    make_stale_socket();
    assert_int_equal(aft_control_request(sock, "{\"cmd\":\"pause\"}", reply, sizeof reply, 1000,
                                         &err), -1);
    snprintf(want, sizeof want, "no live run at %s: control.sock not answering (the run is not "
                                "live)", tmpdir);
    assert_string_equal(err.msg, want);
    assert_int_equal(aft_control_request("/nonexistent/control.sock", "{\"cmd\":\"pause\"}", reply,
                                         sizeof reply, 1000, &err), -1);
    assert_non_null(strstr(err.msg, "no live run at /nonexistent: control.sock missing"));
    assert_int_equal(aft_control_request(sock, "two\nlines", reply, sizeof reply, 1000, &err), -1);
    assert_non_null(strstr(err.msg, "one non-empty line"));
}

static void test_stale_socket_replaced(void **state)
{
    (void)state;
    make_stale_socket();
    recorder rec = {.calls = 0};
    pthread_mutex_init(&rec.lock, NULL);
    aft_error err = {0};
    aft_control_server *srv = aft_control_start(sock, handler, &rec, &err);
    if (!srv)
        fail_msg("%s", err.msg);
    assert_string_equal(ask("{\"cmd\":\"eval\"}"), "{\"ok\":true}");
    assert_int_equal(rec.last.kind, AFT_CMD_EVAL);
    aft_control_stop(srv);
    struct stat st;
    assert_int_equal(lstat(sock, &st), -1);
    assert_int_equal(errno, ENOENT);
    pthread_mutex_destroy(&rec.lock);
}

static void test_refuses_odd_paths(void **state)
{
    (void)state;
    recorder rec = {.calls = 0};
    aft_error err = {0};
    /* A file that is not a socket is somebody's data: left alone. */
    FILE *fp = fopen(sock, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_null(aft_control_start(sock, handler, &rec, &err));
    assert_non_null(strstr(err.msg, "is not a socket"));
    struct stat st;
    assert_int_equal(lstat(sock, &st), 0);
    assert_true(S_ISREG(st.st_mode));

    char longpath[300];
    memset(longpath, 'p', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    assert_null(aft_control_start(longpath, handler, &rec, &err));
    assert_non_null(strstr(err.msg, "control socket path too long"));
    char reply[64];
    assert_int_equal(aft_control_request(longpath, "{}", reply, sizeof reply, 100, &err), -1);
    assert_non_null(strstr(err.msg, "too long"));

    char nodir[700];
    snprintf(nodir, sizeof nodir, "%s/missing/control.sock", tmpdir);
    assert_null(aft_control_start(nodir, handler, &rec, &err));
    assert_non_null(strstr(err.msg, "No such file"));
    aft_control_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test_setup_teardown(test_each_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_keeps_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_and_half_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hang_up_mid_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_in_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_server_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_with_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_live, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_refuses_odd_paths, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
