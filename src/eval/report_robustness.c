/* Robustness section of the report: perturbed contexts and adversarial edits. */
#include "agentft/report.h"

cJSON *aft_report_robustness(aft_eval_input *in, const aft_report_opts *opts, aft_error *err)
{
    (void)in;
    (void)opts;
    (void)err;
    return cJSON_CreateObject(); /* placeholder until the perturbation runs land */
}
