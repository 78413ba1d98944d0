/* A dialogue context (`context` given as a list of {"role","content"}
 * turns) as the editor changes it: roles and contents read and set, turns
 * added and removed, and the list written back as a JSON array with every
 * other field of every turn kept. Pure logic over cJSON; no curses. */
#ifndef TUI_TURNS_H
#define TUI_TURNS_H

#include <stddef.h>

#include "agentft/error.h"

typedef struct turns turns;

/* Parses a context's JSON (an array of turns, as the dataset store checked
 * it). Returns NULL with err set when it is not such an array. */
turns *turns_parse(const char *json, aft_error *err);
void turns_free(turns *t);

size_t turns_count(const turns *t);
/* Turn i's role and content (valid until the next change), "" past the end. */
const char *turns_role(const turns *t, size_t i);
const char *turns_content(const turns *t, size_t i);

int turns_set_role(turns *t, size_t i, const char *role, aft_error *err);
int turns_set_content(turns *t, size_t i, const char *content, aft_error *err);
/* Inserts a turn at position i (0..count). */
int turns_insert(turns *t, size_t i, const char *role, const char *content, aft_error *err);
/* Removes turn i; the last turn cannot go (a context has at least one). */
int turns_remove(turns *t, size_t i, aft_error *err);

/* The list as compact JSON (UTF-8 kept as it is). Caller frees; NULL when
 * out of memory. */
char *turns_json(const turns *t);

/* The role after `role` in the usual cycle user, assistant, system, tool
 * (an unknown role goes to user). */
const char *turns_next_role(const char *role);
/* The role a turn added after one with `role` gets: the other speaker. */
const char *turns_reply_role(const char *role);

#endif
