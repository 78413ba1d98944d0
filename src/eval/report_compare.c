/* A/B comparison of two models on the same data. */
#include "agentft/report.h"

cJSON *aft_report_compare(aft_eval_input *a, aft_eval_input *b, const aft_report_opts *opts,
                          aft_error *err)
{
    (void)a;
    (void)b;
    (void)opts;
    (void)err;
    return cJSON_CreateObject(); /* placeholder until the comparison lands */
}
