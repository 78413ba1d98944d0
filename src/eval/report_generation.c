/* Generation section of the report: the LM head's action and response. */
#include "agentft/report.h"

cJSON *aft_report_generation(aft_eval_input *in, const aft_report_opts *opts, aft_error *err)
{
    (void)in;
    (void)opts;
    (void)err;
    return cJSON_CreateObject(); /* placeholder until decoding lands */
}
