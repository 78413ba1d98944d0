/* The monotonic clock, for timing and deadlines (never for dates). */
#ifndef AGENTFT_CLOCK_H
#define AGENTFT_CLOCK_H

double aft_monotonic_s(void);   /* seconds since an arbitrary start */
double aft_monotonic_ms(void);  /* the same in milliseconds */

#endif
