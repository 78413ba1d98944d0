/* UTF-8 checks and display helpers shared by the data store and the UI. */
#ifndef AGENTFT_UTF8_H
#define AGENTFT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns 1 if s[0..len) is valid UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF); otherwise 0 and, if bad_at is not NULL, the byte
 * offset of the first invalid sequence. */
int aft_utf8_valid(const char *s, size_t len, size_t *bad_at);

/* Number of code points in the first `len` bytes of valid UTF-8 (a byte
 * column turned into a character column). */
size_t aft_utf8_count(const char *s, size_t len);

/* Decodes one code point at s (len bytes left); returns the number of bytes
 * used, or 0 on an invalid sequence. */
size_t aft_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* True for CJK ideographs, kana and hangul: scripts written without spaces,
 * where each character counts as a word. */
int aft_cp_is_cjk(uint32_t cp);

/* The lowercase of a capital letter whose lowercase takes as many UTF-8
 * bytes: ASCII, Latin-1, Latin Extended-A (but U+0130), Greek and Cyrillic,
 * as Unicode maps them; any other code point unchanged. */
uint32_t aft_cp_lower(uint32_t cp);

/* Lowercases s[0..len) in place by aft_cp_lower (the length never changes);
 * invalid sequences are left as they are. */
void aft_utf8_lower(char *s, size_t len);

/* Words in a text: runs of non-space characters, each CJK character its own word. */
size_t aft_utf8_word_count(const char *s, size_t len);

#endif
