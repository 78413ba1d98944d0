/* The resolved config as YAML (for `config show` and runs/NAME/config.yaml),
 * and the YAML quoting rules the workspace writer shares. */
#include "config_internal.h"

#include "agentft/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int aft_cfg_needs_quotes(const char *s)
{
    static const char *const special[] = {"~",   "null", "true", "false", "yes", "no", "on",
                                          "off", "y",    "n",    ".inf",  "-.inf", "+.inf",
                                          ".nan"};
    size_t n = strlen(s);
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ' || strchr("-?:,[]{}#&*!|>'\"%@`", s[0]))
        return 1;
    if (strstr(s, ": ") || strstr(s, " #") || s[n - 1] == ':' || strpbrk(s, ",[]{}"))
        return 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 1;
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        if (strcasecmp(s, special[i]) == 0)
            return 1;
    /* A string that reads as a number stays a string for other YAML tools. */
    char *end = NULL;
    (void)strtod(s, &end);
    return end && *end == '\0';
}

char *aft_cfg_quote(const char *s, int single)
{
    size_t n = strlen(s);
    int plain_bytes = 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            plain_bytes = 0;
    char *out = malloc(4 * n + 3); /* worst case: every byte as \xNN */
    if (!out)
        return NULL;
    size_t o = 0;
    if (single && plain_bytes) {
        out[o++] = '\'';
        for (const char *p = s; *p; p++) {
            if (*p == '\'')
                out[o++] = '\'';
            out[o++] = *p;
        }
        out[o++] = '\'';
        out[o] = '\0';
        return out;
    }
    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else if (*p == '\n') {
            memcpy(out + o, "\\n", 2);
            o += 2;
        } else if (*p == '\t') {
            memcpy(out + o, "\\t", 2);
            o += 2;
        } else if (*p < 0x20 || *p == 0x7f) {
            o += (size_t)snprintf(out + o, 5, "\\x%02x", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

void aft_cfg_origin_label(const aft_config *cfg, aft_key id, char *buf, size_t size)
{
    switch (aft_config_origin(cfg, id)) {
    case AFT_ORIGIN_FILE: {
        const char *path = aft_config_path(cfg);
        const char *base = path ? strrchr(path, '/') : NULL;
        base = base ? base + 1 : path ? path : "workspace";
        snprintf(buf, size, "%s:%zu", base, aft_config_line(cfg, id));
        break;
    }
    case AFT_ORIGIN_SET:
        snprintf(buf, size, "--set");
        break;
    case AFT_ORIGIN_LIVE:
        snprintf(buf, size, "live");
        break;
    case AFT_ORIGIN_DEFAULT:
    default:
        snprintf(buf, size, "default");
        break;
    }
}

void aft_cfg_sb_printf(aft_strbuf *sb, const char *fmt, ...)
{
    if (sb->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || sb->len + (size_t)n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 1024;
        while (n >= 0 && sb->len + (size_t)n + 1 > cap)
            cap *= 2;
        char *bigger = n < 0 ? NULL : realloc(sb->buf, cap);
        if (!bigger) {
            sb->oom = 1;
            return;
        }
        sb->buf = bigger;
        sb->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

/* A PATH is written resolved so the output reads the same from any folder. */
static char *render_scalar(const aft_config *cfg, const aft_key_info *k)
{
    int text = k->type == AFT_T_STRING || k->type == AFT_T_PATH;
    const char *s = k->type == AFT_T_PATH ? aft_config_string(cfg, k->id)
                                          : aft_config_text(cfg, k->id);
    if (text && aft_cfg_needs_quotes(s))
        return aft_cfg_quote(s, 0);
    return strdup(s);
}

/* Comments line up at one column, but a long path does not push every other
 * comment far to the right. */
enum { COMMENT_COL_MAX = 40 };

/* Terminal columns, so comments stay aligned after CJK text. */
static size_t text_width(const char *s)
{
    size_t w = 0, len = strlen(s);
    while (len > 0) {
        uint32_t cp = '?';
        size_t used = aft_utf8_decode(s, len, &cp);
        if (used == 0)
            used = 1;
        w += aft_cp_is_cjk(cp) ? 2 : 1;
        s += used;
        len -= used;
    }
    return w;
}

static size_t line_width(const aft_key_info *k, const char *scalar)
{
    return (k->section[0] ? 2 : 0) + strlen(k->name) + 2 + text_width(scalar);
}

char *aft_config_render(const aft_config *cfg)
{
    if (!cfg)
        return NULL;
    char *scalars[AFT_K_COUNT] = {0};
    size_t nkeys;
    const aft_key_info *keys = aft_schema(&nkeys);
    size_t col = 0;
    aft_strbuf sb = {0};
    for (size_t i = 0; i < nkeys; i++) {
        scalars[i] = render_scalar(cfg, &keys[i]);
        if (!scalars[i])
            sb.oom = 1;
        else if (line_width(&keys[i], scalars[i]) > col &&
                 line_width(&keys[i], scalars[i]) <= COMMENT_COL_MAX)
            col = line_width(&keys[i], scalars[i]);
    }
    const char *sections[AFT_K_COUNT];
    size_t nsec = aft_cfg_sections(sections, AFT_K_COUNT);
    for (size_t s = 0; s < nsec && !sb.oom; s++) {
        if (sections[s][0])
            aft_cfg_sb_printf(&sb, "%s:\n", sections[s]);
        for (size_t i = 0; i < nkeys; i++) {
            if (strcmp(keys[i].section, sections[s]) != 0)
                continue;
            char where[256];
            aft_cfg_origin_label(cfg, keys[i].id, where, sizeof where);
            size_t w = line_width(&keys[i], scalars[i]);
            aft_cfg_sb_printf(&sb, "%s%s: %s%*s  # %s\n", sections[s][0] ? "  " : "", keys[i].name,
                      scalars[i], (int)(w < col ? col - w : 0), "", where);
        }
    }
    for (size_t i = 0; i < nkeys; i++)
        free(scalars[i]);
    if (sb.oom) {
        free(sb.buf);
        return NULL;
    }
    return sb.buf;
}
