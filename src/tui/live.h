/* A training run inside the workbench: started from a key in the trainer's
 * own thread, watched through its snapshot API (the trainer writes a byte to
 * the loop's self-pipe when there is news), and driven by its command queue. */
#ifndef TUI_LIVE_H
#define TUI_LIVE_H

#include <stddef.h>

#include "agentft/config.h"
#include "agentft/control.h"
#include "app.h"

/* Starts a run of the workspace (saving unsaved edits first, since the run
 * reads the dataset file); its charts replace the ones shown. */
int live_start(tui_app *app);
/* Pause/resume (a toggle), stop, checkpoint or evaluate the running run. */
void live_command(tui_app *app, aft_cmd_kind kind);
/* Sends a live hyperparameter to this process's run: 1 sent, 0 no run
 * of ours is going, -1 refused (the reason is on the message line). */
int live_set(tui_app *app, const aft_key_info *k, const char *value);
/* A run of this process is going (not finished, not failed). */
int live_running(const tui_app *app);
/* The status line's run part: phase, step, epoch, ETA, last val metric, patience. */
void live_status(const tui_app *app, char *buf, size_t size);
/* Detaching on purpose: saves the dataset, stops this workbench's run with
 * a checkpoint and continues it in a new background process (`agentft
 * resume`, its own session, so a closed terminal does not reach it), then
 * quits. Returns 1 when it detached. */
int live_detach(tui_app *app);
/* At exit: wait for the run to end (after SIGHUP it trains on to the end)
 * and free it. `stop` asks it to stop first (with a checkpoint). */
void live_finish(tui_app *app, int stop);

#endif
