/* Errors the engine hands back to its callers: a message a user can act on.
 * The engine never prints; it fills an aft_error and returns non-zero/NULL. */
#ifndef AGENTFT_ERROR_H
#define AGENTFT_ERROR_H

#include <stddef.h>

#define AFT_ERROR_MAX 1024

typedef struct aft_error {
    int set;                     /* non-zero once a message has been written */
    char msg[AFT_ERROR_MAX];
} aft_error;

#if defined(__GNUC__)
#define AFT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define AFT_PRINTF(a, b)
#endif

/* Writes a message into err (NULL is allowed and ignored). Always returns -1
 * so callers can write `return aft_error_set(err, ...);`. */
int aft_error_set(aft_error *err, const char *fmt, ...) AFT_PRINTF(2, 3);

/* Like aft_error_set, with ": strerror(errnum)" appended. */
int aft_error_errno(aft_error *err, int errnum, const char *fmt, ...) AFT_PRINTF(3, 4);

/* Puts "context: " in front of an existing message, to say where it happened. */
void aft_error_prefix(aft_error *err, const char *fmt, ...) AFT_PRINTF(2, 3);

void aft_error_clear(aft_error *err);

#endif
