/* Helpers shared by the unit tests: a scratch folder per test program. */
#ifndef AGENTFT_TESTUTIL_H
#define AGENTFT_TESTUTIL_H

#include <stddef.h>

/* Creates a fresh folder NAME.XXXXXX under $AFT_TEST_TMP (or /tmp), as an
 * absolute path in buf. Returns 0, or -1 if it could not. */
int aft_test_mkdtemp(char *buf, size_t size, const char *name);
/* Removes a folder and everything in it. Returns 0 on success. */
int aft_test_rmtree(const char *dir);

#endif
