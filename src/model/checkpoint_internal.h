/* What the model-folder files share: checkpoint.c (saving), checkpoint_config.c
 * (reading config.json) and checkpoint_load.c (reading model.safetensors). */
#ifndef AGENTFT_CHECKPOINT_INTERNAL_H
#define AGENTFT_CHECKPOINT_INTERNAL_H

#include "agentft/error.h"
#include "agentft/fileio.h"

/* agentft.format_version in config.json: written, and the newest read. */
#define AFT_CKPT_FORMAT_VERSION 1
#define AFT_CKPT_PATH_SIZE 4096

/* dir/name into buf (AFT_CKPT_PATH_SIZE bytes). */
static inline int aft_ckpt_join(char *buf, const char *dir, const char *name, aft_error *err)
{
    return aft_path_join(buf, AFT_CKPT_PATH_SIZE, dir, name, err);
}

#endif
