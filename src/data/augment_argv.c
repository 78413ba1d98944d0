/* Splitting a translator's command line (a workspace string) into an argv
 * for execvp, with simple quoting and nothing a shell would expand. */
#include "agentft/augment.h"

#include <stdlib.h>
#include <string.h>

void aft_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

int aft_argv_split(const char *cmdline, char ***argv, aft_error *err)
{
    size_t len = strlen(cmdline), n = 0;
    char **v = calloc(len / 2 + 2, sizeof *v); /* at most one word per two bytes, + NULL */
    char *word = malloc(len + 1);
    if (!v || !word) {
        free(v);
        free(word);
        return aft_error_set(err, "out of memory");
    }
    const char *p = cmdline;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        size_t w = 0;
        char quote = 0;
        for (; *p && (quote || (*p != ' ' && *p != '\t')); p++) {
            if (quote == '\'' && *p == '\'')
                quote = 0;
            else if (quote == '"' && *p == '"')
                quote = 0;
            else if (!quote && (*p == '\'' || *p == '"'))
                quote = *p;
            else if (*p == '\\' && quote != '\'' && p[1] &&
                     (!quote || p[1] == '"' || p[1] == '\\'))
                word[w++] = *++p;
            else
                word[w++] = *p;
        }
        if (quote) {
            aft_argv_free(v);
            free(word);
            return aft_error_set(err, "command '%s': unterminated %c quote", cmdline, quote);
        }
        if (!(v[n] = malloc(w + 1))) {
            aft_argv_free(v);
            free(word);
            return aft_error_set(err, "out of memory");
        }
        memcpy(v[n], word, w);
        v[n++][w] = '\0';
    }
    free(word);
    if (n == 0) {
        free(v);
        return aft_error_set(err, "the command is empty");
    }
    *argv = v;
    return 0;
}
