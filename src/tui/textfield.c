/* The text field model (see textfield.h). Undo keeps whole snapshots: the
 * fields are annotation texts of at most a few KiB, so copying is cheaper to
 * get right than a diff log, and typing merges into one step per word. */
#include "textfield.h"

#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "agentft/utf8.h"
#include "width.h"

enum { OP_NONE, OP_INSERT, OP_DELETE, OP_DELETE_FWD, OP_OTHER };

void tf_init(textfield *tf, int multiline, int utf8)
{
    memset(tf, 0, sizeof *tf);
    tf->multiline = multiline;
    tf->utf8 = utf8;
    tf->goal_col = -1;
}

static void drop_snaps(tf_snap *s, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free(s[i].cp);
    *n = 0;
}

void tf_free(textfield *tf)
{
    free(tf->cp);
    drop_snaps(tf->undo, &tf->n_undo);
    drop_snaps(tf->redo, &tf->n_redo);
    tf->cp = NULL;
    tf->len = tf->cap = tf->cur = 0;
}

static int reserve(textfield *tf, size_t extra)
{
    if (tf->len + extra <= tf->cap)
        return 0;
    size_t nc = tf->cap ? tf->cap : 64;
    while (nc < tf->len + extra)
        nc *= 2;
    uint32_t *np = realloc(tf->cp, nc * sizeof *np);
    if (!np)
        return -1;
    tf->cp = np;
    tf->cap = nc;
    return 0;
}

int tf_set(textfield *tf, const char *s)
{
    tf->len = tf->cur = 0;
    drop_snaps(tf->undo, &tf->n_undo);
    drop_snaps(tf->redo, &tf->n_redo);
    tf->last_op = OP_NONE;
    tf->goal_col = -1;
    size_t n = s ? strlen(s) : 0;
    if (reserve(tf, n + 1) < 0)
        return -1;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = aft_utf8_decode(s + i, n - i, &cp);
        if (k == 0) {
            cp = 0xfffd;
            k = 1;
        }
        tf->cp[tf->len++] = cp;
        i += k;
    }
    tf->cur = tf->len;
    return 0;
}

static size_t encode(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xc0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xe0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        o[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    o[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

char *tf_text_range(const textfield *tf, size_t from, size_t to)
{
    if (to > tf->len)
        to = tf->len;
    if (from > to)
        from = to;
    char *out = malloc((to - from) * 4 + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        n += encode(tf->cp[i], out + n);
    out[n] = '\0';
    return out;
}

char *tf_text(const textfield *tf)
{
    return tf_text_range(tf, 0, tf->len);
}

/* ---- undo ------------------------------------------------------------------- */

static int snap(const textfield *tf, tf_snap *s)
{
    s->cp = malloc((tf->len ? tf->len : 1) * sizeof *s->cp);
    if (!s->cp)
        return -1;
    if (tf->len)
        memcpy(s->cp, tf->cp, tf->len * sizeof *s->cp);
    s->len = tf->len;
    s->cur = tf->cur;
    return 0;
}

static void push_snap(tf_snap *stack, size_t *n, tf_snap s)
{
    if (*n == TF_MAX_UNDO) {
        free(stack[0].cp);
        memmove(stack, stack + 1, (TF_MAX_UNDO - 1) * sizeof *stack);
        (*n)--;
    }
    stack[(*n)++] = s;
}

/* Saves the state before an edit, unless it continues the previous one
 * (typing on at the same place, or deleting on): those merge into one step. */
static int before_edit(textfield *tf, int op, int merge_ok)
{
    tf->goal_col = -1;
    if (merge_ok && op == tf->last_op && tf->cur == tf->last_cur && tf->n_undo > 0)
        return 0;
    tf_snap s;
    if (snap(tf, &s) < 0)
        return -1;
    push_snap(tf->undo, &tf->n_undo, s);
    drop_snaps(tf->redo, &tf->n_redo);
    return 0;
}

static void after_edit(textfield *tf, int op)
{
    tf->last_op = op;
    tf->last_cur = tf->cur;
}

static void restore(textfield *tf, tf_snap *s)
{
    free(tf->cp);
    tf->cp = s->cp;
    tf->len = tf->cap = s->len;
    tf->cur = s->cur;
    s->cp = NULL;
    tf->last_op = OP_NONE;
    tf->goal_col = -1;
}

static int swap_with(textfield *tf, tf_snap *from, size_t *nfrom, tf_snap *to, size_t *nto)
{
    if (*nfrom == 0)
        return 0;
    tf_snap now;
    if (snap(tf, &now) < 0)
        return -1;
    push_snap(to, nto, now);
    restore(tf, &from[--*nfrom]);
    return 1;
}

int tf_undo(textfield *tf)
{
    return swap_with(tf, tf->undo, &tf->n_undo, tf->redo, &tf->n_redo);
}

int tf_redo(textfield *tf)
{
    return swap_with(tf, tf->redo, &tf->n_redo, tf->undo, &tf->n_undo);
}

/* ---- characters and words --------------------------------------------------- */

static int joins(const textfield *tf, size_t i)
{
    return i < tf->len && tf->cp[i] != '\n' && tw_cp_joins(tf->cp[i], tf->utf8);
}

size_t tf_next_char(const textfield *tf, size_t i)
{
    if (i >= tf->len)
        return tf->len;
    i++;
    while (joins(tf, i))
        i++;
    return i;
}

size_t tf_prev_char(const textfield *tf, size_t i)
{
    if (i == 0)
        return 0;
    i--;
    while (i > 0 && joins(tf, i))
        i--;
    return i;
}

/* 0 space, 1 CJK (each character a word), 2 letters and digits, 3 punctuation. */
static int cls(uint32_t c)
{
    if (c == '\n' || iswspace((wint_t)c))
        return 0;
    if (aft_cp_is_cjk(c))
        return 1;
    if (c >= 0x80 || iswalnum((wint_t)c) || c == '_')
        return 2;
    return 3;
}

static size_t word_right_of(const textfield *tf, size_t i)
{
    if (i < tf->len) {
        int c = cls(tf->cp[i]);
        if (c == 1)
            i = tf_next_char(tf, i);
        else if (c != 0)
            while (i < tf->len && cls(tf->cp[i]) == c)
                i = tf_next_char(tf, i);
    }
    while (i < tf->len && cls(tf->cp[i]) == 0)
        i++;
    return i;
}

static size_t word_left_of(const textfield *tf, size_t i)
{
    while (i > 0 && cls(tf->cp[i - 1]) == 0)
        i--;
    if (i == 0)
        return 0;
    size_t s = tf_prev_char(tf, i);
    int c = cls(tf->cp[s]);
    if (c == 1)
        return s;
    while (s > 0) {
        size_t p = tf_prev_char(tf, s);
        if (cls(tf->cp[p]) != c)
            break;
        s = p;
    }
    return s;
}

static void moved(textfield *tf)
{
    tf->last_op = OP_NONE;
    tf->goal_col = -1;
}

void tf_move_to(textfield *tf, size_t pos, int goal_col)
{
    tf->cur = pos <= tf->len ? pos : tf->len;
    tf->last_op = OP_NONE;
    tf->goal_col = goal_col;
}

void tf_left(textfield *tf)
{
    tf->cur = tf_prev_char(tf, tf->cur);
    moved(tf);
}

void tf_right(textfield *tf)
{
    tf->cur = tf_next_char(tf, tf->cur);
    moved(tf);
}

void tf_word_left(textfield *tf)
{
    tf->cur = word_left_of(tf, tf->cur);
    moved(tf);
}

void tf_word_right(textfield *tf)
{
    tf->cur = word_right_of(tf, tf->cur);
    moved(tf);
}

static size_t line_start(const textfield *tf, size_t i)
{
    while (i > 0 && tf->cp[i - 1] != '\n')
        i--;
    return i;
}

static size_t line_end(const textfield *tf, size_t i)
{
    while (i < tf->len && tf->cp[i] != '\n')
        i++;
    return i;
}

void tf_home(textfield *tf)
{
    tf->cur = line_start(tf, tf->cur);
    moved(tf);
}

void tf_end(textfield *tf)
{
    tf->cur = line_end(tf, tf->cur);
    moved(tf);
}

/* ---- edits ------------------------------------------------------------------ */

static int insert_at_cursor(textfield *tf, const uint32_t *cps, size_t n)
{
    if (reserve(tf, n) < 0)
        return -1;
    memmove(tf->cp + tf->cur + n, tf->cp + tf->cur, (tf->len - tf->cur) * sizeof *tf->cp);
    memcpy(tf->cp + tf->cur, cps, n * sizeof *cps);
    tf->len += n;
    tf->cur += n;
    return 1;
}

static void remove_range(textfield *tf, size_t a, size_t b)
{
    memmove(tf->cp + a, tf->cp + b, (tf->len - b) * sizeof *tf->cp);
    tf->len -= b - a;
    tf->cur = a;
}

static uint32_t clean(const textfield *tf, uint32_t c)
{
    if (c == '\r')
        c = '\n';
    if (c == '\n' && !tf->multiline)
        c = ' ';
    return c;
}

int tf_insert(textfield *tf, uint32_t c)
{
    c = clean(tf, c);
    /* A space or newline ends the undo step, so undo takes back a word. */
    if (before_edit(tf, OP_INSERT, cls(c) != 0) < 0)
        return -1;
    int rc = insert_at_cursor(tf, &c, 1);
    after_edit(tf, cls(c) == 0 ? OP_OTHER : OP_INSERT);
    return rc;
}

int tf_insert_text(textfield *tf, const char *s)
{
    size_t n = strlen(s);
    uint32_t *buf = malloc((n ? n : 1) * sizeof *buf);
    if (!buf)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t used = aft_utf8_decode(s + i, n - i, &c);
        if (used == 0) {
            c = 0xfffd;
            used = 1;
        }
        /* CR LF from a paste is one line break. */
        if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
            i++;
            continue;
        }
        buf[k++] = clean(tf, c);
        i += used;
    }
    int rc = 0;
    if (k > 0) {
        if (before_edit(tf, OP_OTHER, 0) < 0) {
            free(buf);
            return -1;
        }
        rc = insert_at_cursor(tf, buf, k);
        after_edit(tf, OP_OTHER);
    }
    free(buf);
    return rc;
}

static int delete_range(textfield *tf, size_t a, size_t b, int op, int merge)
{
    if (a >= b)
        return 0;
    if (before_edit(tf, op, merge) < 0)
        return -1;
    remove_range(tf, a, b);
    after_edit(tf, op);
    return 1;
}

int tf_backspace(textfield *tf)
{
    return delete_range(tf, tf_prev_char(tf, tf->cur), tf->cur, OP_DELETE, 1);
}

int tf_delete(textfield *tf)
{
    /* Its own kind of step: forward deletes keep the cursor still. */
    return delete_range(tf, tf->cur, tf_next_char(tf, tf->cur), OP_DELETE_FWD, 1);
}

int tf_kill_end(textfield *tf)
{
    size_t e = line_end(tf, tf->cur);
    if (e == tf->cur && e < tf->len)
        e++; /* at a line's end: join the next line */
    return delete_range(tf, tf->cur, e, OP_OTHER, 0);
}

int tf_kill_start(textfield *tf)
{
    return delete_range(tf, line_start(tf, tf->cur), tf->cur, OP_OTHER, 0);
}

int tf_kill_word(textfield *tf)
{
    return delete_range(tf, word_left_of(tf, tf->cur), tf->cur, OP_OTHER, 0);
}
