/* Theme switching while open (see theme_pick.h). A switch re-runs
 * theme_apply, so NO_COLOR, terminals without colour and the 8-colour
 * fallback are decided exactly as at start. */
#include "theme_pick.h"

#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcurses.h"

void theme_pick_dirs(const char *ws_path, theme_dir dirs[THEME_DIRS])
{
    char self[4096], exe[4096] = "", wsdir[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        snprintf(exe, sizeof exe, "%s", dirname(self));
    }
    snprintf(wsdir, sizeof wsdir, "%s", ws_path ? ws_path : ".");
    snprintf(dirs[0], sizeof dirs[0], "%s/themes", AFT_DATADIR);
    snprintf(dirs[1], sizeof dirs[1], "%s/themes", exe);
    snprintf(dirs[2], sizeof dirs[2], "%s/../themes", exe);
    snprintf(dirs[3], sizeof dirs[3], "%s/themes", dirname(wsdir));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds NAME for each NAME.yaml in dir; -1 when out of memory. */
static int add_dir(const char *dir, char ***names, size_t *n, size_t *cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 8;
            char **nn = realloc(*names, nc * sizeof *nn);
            if (!nn) {
                rc = -1;
                break;
            }
            *names = nn;
            *cap = nc;
        }
        (*names)[*n] = strndup(e->d_name, len - 5);
        if (!(*names)[*n])
            rc = -1;
        else
            (*n)++;
    }
    closedir(d);
    return rc;
}

size_t theme_pick_names(const char *const *dirs, size_t ndirs, char ***names)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < ndirs; i++)
        if (add_dir(dirs[i], &v, &n, &cap) < 0)
            break;
    if (n > 1)
        qsort(v, n, sizeof *v, by_name);
    /* The same theme installed and in the build tree counts once. */
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u > 0 && !strcmp(v[u - 1], v[i]))
            free(v[i]);
        else
            v[u++] = v[i];
    }
    *names = v;
    return u;
}

void theme_pick_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

const char *theme_pick_next(char *const *names, size_t n, const char *current)
{
    if (n == 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (current && !strcmp(names[i], current))
            return names[(i + 1) % n];
    return names[0];
}

int theme_pick_use(tui_app *app, const char *name)
{
    theme_dir dirs[THEME_DIRS];
    theme_pick_dirs(app->ws_path, dirs);
    const char *d[THEME_DIRS] = {dirs[0], dirs[1], dirs[2], dirs[3]};
    theme *t = malloc(sizeof *t);
    char err[1024];
    if (!t) {
        app_message(app, ROLE_ERROR, "out of memory");
        return -1;
    }
    if (theme_load(t, name, d, THEME_DIRS, err, sizeof err) < 0) {
        app_message(app, ROLE_ERROR, "%s; the theme stays %s", err, theme_current_name());
        free(t);
        return -1;
    }
    theme_depth depth = theme_apply(t);
    int plain = t->force_mono; /* a theme without colour on purpose (mono) */
    free(t);
    /* Every window is drawn again in the new attributes, and the terminal
     * repainted whole: cells whose characters did not change must change
     * colour too. */
    app->relayout = 1;
    clearok(curscr, TRUE);
    app_message(app, ROLE_OK, "theme %s%s", theme_current_name(),
                depth == THEME_MONO && !plain ? " (no colour here: NO_COLOR is set, or the "
                                                "terminal has none)"
                : depth == THEME_8 ? " (8 colours)" : "");
    return 0;
}

void theme_pick_cycle(tui_app *app)
{
    theme_dir dirs[THEME_DIRS];
    theme_pick_dirs(app->ws_path, dirs);
    const char *d[THEME_DIRS] = {dirs[0], dirs[1], dirs[2], dirs[3]};
    char **names;
    size_t n = theme_pick_names(d, THEME_DIRS, &names);
    const char *next = theme_pick_next(names, n, theme_current_name());
    if (!next)
        app_message(app, ROLE_WARNING, "no theme files found (themes/*.yaml)");
    else if (theme_pick_use(app, next) == 0 &&
             aft_config_set(app->cfg, AFT_K_THEME, next, AFT_ORIGIN_SET, NULL) == 0)
        app_mark(app, P_FORM);
    theme_pick_free_names(names, n);
}
