/* Efficiency section of the report: latency at batch 1 and throughput. */
#include "agentft/report.h"

cJSON *aft_report_efficiency(aft_eval_input *in, const aft_report_opts *opts, aft_error *err)
{
    (void)in;
    (void)opts;
    (void)err;
    return cJSON_CreateObject(); /* placeholder until the timing code lands */
}
