/* A text field's model: code points, a cursor that moves by user-perceived
 * characters (a base and its combining marks), words (each CJK character is
 * one), visual lines wrapped by display width, and undo/redo. Pure logic;
 * drawing and keys are in tfview.c. */
#ifndef TUI_TEXTFIELD_H
#define TUI_TEXTFIELD_H

#include <stddef.h>
#include <stdint.h>

typedef struct tf_snap {
    uint32_t *cp;
    size_t len, cur;
} tf_snap;

#define TF_MAX_UNDO 200

typedef struct textfield {
    uint32_t *cp;
    size_t len, cap;
    size_t cur;               /* 0..len */
    int multiline;            /* newlines allowed */
    int utf8;                 /* widths as the terminal shows them */
    int goal_col;             /* column kept by up/down; -1 = none */
    tf_snap undo[TF_MAX_UNDO];
    size_t n_undo;
    tf_snap redo[TF_MAX_UNDO];
    size_t n_redo;
    int last_op;              /* what the last edit was, to merge typing into one undo step */
    size_t last_cur;
} textfield;

/* A visual row: cp[start..end) (no newline), wrapped to a width. */
typedef struct tf_row {
    size_t start, end;
    int last;                 /* the last row of its logical line */
} tf_row;

void tf_init(textfield *tf, int multiline, int utf8);
void tf_free(textfield *tf);
/* Replaces the text (invalid UTF-8 bytes become U+FFFD), puts the cursor at
 * the end and forgets the undo history. Returns -1 when out of memory. */
int tf_set(textfield *tf, const char *utf8);
/* The text as UTF-8; the caller frees it. NULL when out of memory. */
char *tf_text(const textfield *tf);
/* cp[from..to) as UTF-8; the caller frees it. */
char *tf_text_range(const textfield *tf, size_t from, size_t to);

/* Edits; each returns 1 when the text changed, 0 when not, -1 on no memory.
 * A newline in a single-line field becomes a space. */
int tf_insert(textfield *tf, uint32_t cp);
int tf_insert_text(textfield *tf, const char *utf8);   /* one undo step (paste) */
int tf_backspace(textfield *tf);
int tf_delete(textfield *tf);
int tf_kill_end(textfield *tf);
int tf_kill_start(textfield *tf);
int tf_kill_word(textfield *tf);
int tf_undo(textfield *tf);
int tf_redo(textfield *tf);

/* The index after the character at i (with its combining marks), and the
 * start of the character before i. */
size_t tf_next_char(const textfield *tf, size_t i);
size_t tf_prev_char(const textfield *tf, size_t i);
/* Puts the cursor at pos, remembering goal_col for up/down (-1: none). */
void tf_move_to(textfield *tf, size_t pos, int goal_col);

/* Cursor movement (never splits a character from its combining marks). */
void tf_left(textfield *tf);
void tf_right(textfield *tf);
void tf_word_left(textfield *tf);
void tf_word_right(textfield *tf);
void tf_home(textfield *tf);
void tf_end(textfield *tf);
/* Up/down one visual row of the given width; return 0 at the first/last row. */
int tf_up(textfield *tf, int width);
int tf_down(textfield *tf, int width);

/* Lays the text out in rows of at most `width` cells; returns the number of
 * rows (at least 1) and fills up to cap of them. */
size_t tf_layout(const textfield *tf, int width, tf_row *rows, size_t cap);
/* The cursor's visual row and column for that width. */
void tf_cursor_rc(const textfield *tf, int width, size_t *row, int *col);
/* Width in cells of cp[from..to) drawn starting at a line's start or not. */
int tf_span_width(const textfield *tf, size_t from, size_t to);

#endif
