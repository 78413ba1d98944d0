/* Small numeric helpers shared across the engine. */
#ifndef AGENTFT_NUMERIC_H
#define AGENTFT_NUMERIC_H

/* The shortest decimal (6 to 9 significant digits) that reads back as the
 * same float: 0.1f gives 0.1, not 0.10000000149011612. Used where a float
 * setting meets doubles (JSON files, PyTorch's Python-double betas). */
double aft_float_to_decimal(float x);

#endif
