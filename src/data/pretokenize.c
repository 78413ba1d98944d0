/* GPT-2's pre-tokenizer, written out by hand instead of with a regex engine,
 * and GPT-2's byte <-> printable-character mapping (bytes_to_unicode). */
#include <stdlib.h>

#include "agentft/utf8.h"
#include "tokenizer_internal.h"

/* The byte-level alphabet: bytes that are printable Latin-1 stand for
 * themselves; the other 68 (controls, space, 0x7F-0xA0, soft hyphen) get
 * U+0100 onwards in byte order. */
static int printable(unsigned b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

/* How many non-printable bytes come before b (b itself non-printable). */
static unsigned shifted_rank(unsigned b)
{
    if (b <= 0x20)
        return b;                  /* 0x00-0x20: 0..32 */
    if (b <= 0xA0)
        return 33 + (b - 0x7F);    /* 0x7F-0xA0: 33..66 */
    return 67;                     /* 0xAD */
}

uint32_t aft_byte_to_cp(unsigned char b)
{
    return printable(b) ? b : 256 + shifted_rank(b);
}

int aft_cp_to_byte(uint32_t cp)
{
    if (cp < 256)
        return printable(cp) ? (int)cp : -1;
    if (cp > 256 + 67)
        return -1;
    unsigned r = cp - 256;
    if (r <= 32)
        return (int)r;
    if (r <= 66)
        return (int)(0x7F + r - 33);
    return 0xAD;
}

int32_t aft_gpt2_byte_id(unsigned char b)
{
    if (b >= 0x21 && b <= 0x7E)
        return b - 0x21;
    if (b >= 0xA1 && b <= 0xAC)
        return 94 + (b - 0xA1);
    if (b >= 0xAE)
        return 106 + (b - 0xAE);
    return 188 + (int32_t)shifted_rank(b);
}

char *aft_bytes_to_bl(const char *bytes, size_t len)
{
    if (len > (SIZE_MAX - 1) / 2)
        return NULL;
    char *out = malloc(2 * len + 1);   /* every stand-in is 1 or 2 UTF-8 bytes */
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t cp = aft_byte_to_cp((unsigned char)bytes[i]);
        if (cp < 0x80) {
            out[o++] = (char)cp;
        } else {
            out[o++] = (char)(0xC0 | (cp >> 6));
            out[o++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    out[o] = '\0';
    return out;
}

int aft_bl_to_bytes(const char *s, size_t slen, char *out, size_t *outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < slen;) {
        uint32_t cp;
        size_t n = aft_utf8_decode(s + i, slen - i, &cp);
        int b = n ? aft_cp_to_byte(cp) : -1;
        if (b < 0)
            return -1;
        out[o++] = (char)b;
        i += n;
    }
    *outlen = o;
    return 0;
}

/* The character at s[i]: its length in bytes and its class. A byte that does
 * not start valid UTF-8 is a one-byte character of class "other" (the
 * reference, working on valid strings, never sees one). */
static size_t char_at(const char *s, size_t len, size_t i, int *cls)
{
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
        *cls = aft_uc_ascii[c];
        return 1;
    }
    uint32_t cp;
    size_t n = aft_utf8_decode(s + i, len - i, &cp);
    if (n == 0) {
        *cls = AFT_UC_OTHER;
        return 1;
    }
    *cls = aft_uc_class(cp);
    return n;
}

/* End of the run of characters of class cls starting at i. */
static size_t run_end(const char *s, size_t len, size_t i, int cls)
{
    while (i < len) {
        int c;
        size_t n = char_at(s, len, i, &c);
        if (c != cls)
            break;
        i += n;
    }
    return i;
}

/* 's 't 're 've 'm 'll 'd (case-sensitive, as in the reference): the length
 * of the contraction at s[pos], or 0. */
static size_t contraction(const char *s, size_t len, size_t pos)
{
    if (pos + 1 >= len)
        return 0;
    char d = s[pos + 1];
    if (d == 's' || d == 't' || d == 'm' || d == 'd')
        return 2;
    if (pos + 2 >= len)
        return 0;
    char e = s[pos + 2];
    if ((d == 'r' && e == 'e') || (d == 'v' && e == 'e') || (d == 'l' && e == 'l'))
        return 3;
    return 0;
}

size_t aft_pretok_next(const char *s, size_t len, size_t pos)
{
    if (s[pos] == '\'') {
        size_t n = contraction(s, len, pos);
        if (n)
            return pos + n;
    }
    int cls;
    size_t n = char_at(s, len, pos, &cls);
    /* " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": one ASCII space may lead. */
    if (s[pos] == ' ' && pos + 1 < len) {
        int next;
        char_at(s, len, pos + 1, &next);
        if (next != AFT_UC_SPACE)
            return run_end(s, len, pos + 1, next);
    }
    if (cls != AFT_UC_SPACE)
        return run_end(s, len, pos + n, cls);
    /* White space: "\s+(?!\S)" takes the run but its last character when a
     * non-space follows (that character then leads the next piece); a
     * single space before a non-space falls to "\s+" and stands alone. */
    size_t last = pos, i = pos;
    while (i < len) {
        int c;
        size_t m = char_at(s, len, i, &c);
        if (c != AFT_UC_SPACE)
            break;
        last = i;
        i += m;
    }
    if (i == len || last == pos)
        return i;
    return last;
}
