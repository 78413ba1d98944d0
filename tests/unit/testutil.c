/* Scratch folders for the unit tests, under the build tree when make check
 * runs them (AFT_TEST_TMP) so a failed run leaves its files to look at. */
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int aft_test_mkdtemp(char *buf, size_t size, const char *name)
{
    const char *base = getenv("AFT_TEST_TMP");
    char cwd[PATH_MAX];
    if (!base || !*base)
        base = "/tmp";
    int n;
    if (base[0] != '/' && getcwd(cwd, sizeof cwd))
        n = snprintf(buf, size, "%s/%s/%s.XXXXXX", cwd, base, name);
    else
        n = snprintf(buf, size, "%s/%s.XXXXXX", base, name);
    if (n < 0 || (size_t)n >= size)
        return -1;
    return mkdtemp(buf) ? 0 : -1;
}

int aft_test_rmtree(const char *dir)
{
    char cmd[PATH_MAX + 16];
    int n = snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (n < 0 || (size_t)n >= sizeof cmd)
        return -1;
    return system(cmd) == 0 ? 0 : -1;
}
