/* aft_error: formatted, bounded error messages for the engine. */
#include "agentft/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int aft_error_set(aft_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->set = 1;
    return -1;
}

int aft_error_errno(aft_error *err, int errnum, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof err->msg)
        snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
    err->set = 1;
    return -1;
}

void aft_error_prefix(aft_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[AFT_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Built by hand: snprintf of two full buffers into one trips
     * -Wformat-truncation, and cutting the tail is what we want anyway. */
    char joined[AFT_ERROR_MAX];
    size_t n = 0;
    for (const char *parts[3] = {prefix, ": ", err->msg}, **p = parts; p < parts + 3; p++)
        for (const char *c = *p; *c && n + 1 < sizeof joined; c++)
            joined[n++] = *c;
    joined[n] = '\0';
    memcpy(err->msg, joined, n + 1);
    err->set = 1;
}

void aft_error_clear(aft_error *err)
{
    if (!err)
        return;
    err->set = 0;
    err->msg[0] = '\0';
}
