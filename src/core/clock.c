/* The monotonic clock shared by the engine, the CLI and the workbench. */
#include "agentft/clock.h"

#include <time.h>

double aft_monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double aft_monotonic_ms(void)
{
    return aft_monotonic_s() * 1e3;
}
