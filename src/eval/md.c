/* Markdown building blocks for the reports: text buffer, safe table cells,
 * aligned tables and number formats. */
#include "md.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/utf8.h"

#define DASH "\xE2\x80\x93" /* en dash: a figure that is undefined */

static int reserve(md_buf *b, size_t more)
{
    if (b->oom)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

void md_puts(md_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (reserve(b, n) < 0)
        return;
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void md_printf(md_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *md_take(md_buf *b)
{
    char *s = b->s;
    if (b->oom) {
        free(s);
        s = NULL;
    } else if (!s) {
        s = calloc(1, 1);
    }
    memset(b, 0, sizeof *b);
    return s;
}

/* East Asian wide and fullwidth characters (and the common emoji block). */
static int wide(uint32_t cp)
{
    return aft_cp_is_cjk(cp) || (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
           (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
           (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

/* Columns of the character at s (len bytes left) and its byte length. */
static size_t char_at(const char *s, size_t len, size_t *cols)
{
    uint32_t cp;
    size_t n = aft_utf8_decode(s, len, &cp);
    if (n == 0) {
        *cols = 1;
        return 1;
    }
    *cols = wide(cp) ? 2 : (cp >= 0x300 && cp <= 0x36F) ? 0 : 1;
    return n;
}

size_t md_width(const char *s)
{
    size_t w = 0, len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t cols;
        i += char_at(s + i, len - i, &cols);
        w += cols;
    }
    return w;
}

void md_table_init(md_table *t, const char *align, ...)
{
    memset(t, 0, sizeof *t);
    t->ncols = strlen(align) < MD_MAX_COLS ? strlen(align) : MD_MAX_COLS;
    memcpy(t->align, align, t->ncols);
    va_list ap;
    va_start(ap, align);
    for (size_t c = 0; c < t->ncols; c++)
        md_cell(t, va_arg(ap, const char *));
    va_end(ap);
}

/* Pipes and backslashes escaped, control characters as spaces, and at most
 * max_width columns (the last one an ellipsis when clipped). */
static char *safe_cell(const char *text, size_t max_width)
{
    size_t len = strlen(text), w = 0, o = 0;
    int clip = max_width > 0 && md_width(text) > max_width;
    char *out = malloc(2 * len + 4);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len;) {
        size_t cols, n = char_at(text + i, len - i, &cols);
        if (clip && w + cols > max_width - 1) {
            memcpy(out + o, "\xE2\x80\xA6", 3); /* … */
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)text[i];
        if (c == '|' || c == '\\')
            out[o++] = '\\';
        if (c < 0x20 || c == 0x7F) {
            out[o++] = ' ';
        } else {
            memcpy(out + o, text + i, n);
            o += n;
        }
        w += cols;
        i += n;
    }
    out[o] = '\0';
    return out;
}

void md_cell_clip(md_table *t, const char *text, size_t max_width)
{
    if (t->oom)
        return;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **c = realloc(t->cells, cap * sizeof *c);
        if (!c) {
            t->oom = 1;
            return;
        }
        t->cells = c;
        t->cap = cap;
    }
    char *cell = safe_cell(text ? text : DASH, max_width);
    if (!cell) {
        t->oom = 1;
        return;
    }
    t->cells[t->n++] = cell;
}

void md_cell(md_table *t, const char *text)
{
    md_cell_clip(t, text, 0);
}

void md_cellf(md_table *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    md_cell(t, buf);
}

static void pad(md_buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        md_puts(b, " ");
}

static void emit_row(const md_table *t, md_buf *b, size_t row, const size_t *width)
{
    md_puts(b, "|");
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = t->cells[row * t->ncols + c];
        size_t fill = width[c] - md_width(s);
        md_puts(b, " ");
        if (t->align[c] == 'r')
            pad(b, fill);
        md_puts(b, s);
        if (t->align[c] != 'r')
            pad(b, fill);
        md_puts(b, " |");
    }
    md_puts(b, "\n");
}

void md_table_emit(md_table *t, md_buf *b)
{
    size_t rows = t->ncols ? t->n / t->ncols : 0;
    if (t->oom)
        b->oom = 1;
    if (!t->oom && rows > 1) {
        size_t width[MD_MAX_COLS];
        for (size_t c = 0; c < t->ncols; c++) {
            width[c] = 3;
            for (size_t r = 0; r < rows; r++) {
                size_t w = md_width(t->cells[r * t->ncols + c]);
                width[c] = w > width[c] ? w : width[c];
            }
        }
        emit_row(t, b, 0, width);
        md_puts(b, "|");
        for (size_t c = 0; c < t->ncols; c++) {
            md_puts(b, " ");
            for (size_t i = 0; i + 1 < width[c]; i++)
                md_puts(b, "-");
            md_puts(b, t->align[c] == 'r' ? ":" : "-");
            md_puts(b, " |");
        }
        md_puts(b, "\n");
        for (size_t r = 1; r < rows; r++)
            emit_row(t, b, r, width);
        md_puts(b, "\n");
    }
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

md_num md_pct(double v)
{
    md_num n;
    if (isfinite(v))
        snprintf(n.s, sizeof n.s, "%.2f%%", 100.0 * v);
    else
        snprintf(n.s, sizeof n.s, "%s", DASH);
    return n;
}

md_num md_fix(double v, int decimals)
{
    md_num n;
    if (isfinite(v))
        snprintf(n.s, sizeof n.s, "%.*f", decimals, v);
    else
        snprintf(n.s, sizeof n.s, "%s", DASH);
    return n;
}

md_num md_count(double v)
{
    md_num n;
    if (!isfinite(v) || v < 0 || v > 1e18) {
        snprintf(n.s, sizeof n.s, "%s", isfinite(v) ? md_fix(v, 0).s : DASH);
        return n;
    }
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%.0f", v), o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            n.s[o++] = ',';
        n.s[o++] = digits[i];
    }
    n.s[o] = '\0';
    return n;
}

double md_jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const char *md_jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *md_jsection(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsObject(v) && v->child ? v : NULL;
}

const cJSON *md_jlist(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsArray(v) && v->child ? v : NULL;
}
