/* Small numeric helpers shared across the engine. */
#include "agentft/numeric.h"

#include <stdio.h>
#include <stdlib.h>

double aft_float_to_decimal(float x)
{
    char buf[32];
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)x);
        double d = strtod(buf, NULL);
        if ((float)d == x)
            return d;
    }
    return x;
}
