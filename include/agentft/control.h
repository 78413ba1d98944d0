/* The control socket of a live run (RUN/control.sock): a Unix socket, mode
 * 0600, speaking JSON lines. Requests:
 *   {"cmd":"set","key":"lr","value":1e-4}   (value a number, string or bool)
 *   {"cmd":"pause"} {"cmd":"resume"} {"cmd":"stop"} {"cmd":"checkpoint"} {"cmd":"eval"}
 *   {"cmd":"status"}
 * each answered with one line: {"ok":true} (plus fields for status) or
 * {"ok":false,"error":"..."}. */
#ifndef AGENTFT_CONTROL_H
#define AGENTFT_CONTROL_H

#include <stddef.h>

#include "agentft/error.h"

typedef enum {
    AFT_CMD_PAUSE,
    AFT_CMD_RESUME,
    AFT_CMD_STOP,
    AFT_CMD_CHECKPOINT,
    AFT_CMD_EVAL,
    AFT_CMD_SET,
    AFT_CMD_STATUS,
} aft_cmd_kind;

typedef struct aft_cmd {
    aft_cmd_kind kind;
    char key[64];      /* AFT_CMD_SET: the key as given ("lr" or "optimizer.lr") */
    char value[256];   /* AFT_CMD_SET: the value as text */
} aft_cmd;

/* Handles one request; called on the server's thread. Returns 0 and may
 * write extra JSON fields (without braces, e.g. "\"step\":12") into
 * `fields`, or -1 with err set to the reason the command was refused. */
typedef int (*aft_control_handler)(void *ctx, const aft_cmd *cmd, char *fields, size_t size,
                                   aft_error *err);

typedef struct aft_control_server aft_control_server;

/* Connections served at once; one more is answered with an error and closed. */
#define AFT_CONTROL_MAX_CLIENTS 16

/* Creates the socket (refusing to replace a live one; a stale socket file
 * left by a dead run is replaced) and serves it on its own thread, with
 * signals blocked there. Caller stops it with aft_control_stop. */
aft_control_server *aft_control_start(const char *sock_path, aft_control_handler handler,
                                      void *ctx, aft_error *err);
/* Stops the thread, closes every connection and removes the socket file. */
void aft_control_stop(aft_control_server *srv);

/* Client side: sends one request line and reads the one-line reply into
 * reply (NUL-terminated, without the newline), waiting at most timeout_ms
 * (< 0: no limit). A missing socket or a refused connection is an error
 * saying the run is not live. A reply of {"ok":false,...} is still a 0 here:
 * the caller reads it. */
int aft_control_request(const char *sock_path, const char *request_json, char *reply,
                        size_t size, int timeout_ms, aft_error *err);

/* Parses a request line into a command (for servers and tests). */
int aft_control_parse(const char *line, aft_cmd *cmd, aft_error *err);

#endif
