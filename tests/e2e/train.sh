# End-to-end: agentft train on the bundled example with a tiny model, the
# run directory, agentft ctl against a live run, Ctrl-C and SIGHUP, resume.
. "$SRCDIR/tests/e2e/lib.sh"

flight_workspace

# Records without a split: the message says what to do.
run 1 train "$WS" $TINY
expect err "have no split field; run 'agentft data split"
check test ! -e "$RUNS"
run 0 data split "$WS" --seed 7

# A short run: progress lines (not a terminal), the summary, the layout.
run 0 train "$WS" --run first $TINY --set max_steps=30 --set eval_every=10 --set checkpoint_every=10
expect out "run: $RUNS/first"
expect out "step 10: val loss"
expect out "step 30: checkpoint checkpoints/step-30"
expect out "finished at step 30 of 30"
expect out "best val_loss"
for f in config.yaml metrics.jsonl train.log tokenizer.json checkpoints/best/model.safetensors \
         checkpoints/step-10/optimizer.safetensors checkpoints/step-30/trainer_state.json; do
    check test -s "$RUNS/first/$f"
done
check test ! -e "$RUNS/first/control.sock"
check test "$(grep -c '"kind":"train"' "$RUNS/first/metrics.jsonl")" -eq 30
check test "$(grep -c '"kind":"val"' "$RUNS/first/metrics.jsonl")" -eq 3
check grep -q "max_steps: 30" "$RUNS/first/config.yaml"
check grep -q "training started" "$RUNS/first/train.log"

# model.lowercase: the run's tokenizer is uncased, and so is its
# checkpoints'; with a given tokenizer, that one is made uncased.
run 0 train "$WS" --run uncased $TINY --set max_steps=2 --set lowercase=true
check grep -q '"type":	"Lowercase"' "$RUNS/uncased/tokenizer.json"
check grep -q '"type":	"Lowercase"' "$RUNS/uncased/checkpoints/step-2/tokenizer.json"
run 0 train "$WS" --run uncased2 $TINY --set max_steps=1 --set lowercase=true \
    --set tokenizer="$RUNS/first/tokenizer.json"
check grep -q '"type":	"Lowercase"' "$RUNS/uncased2/tokenizer.json"
check sh -c "! grep -q Lowercase '$RUNS/first/tokenizer.json'"

# Never over another run; usage errors.
run 1 train "$WS" --run first $TINY
expect err "a run never replaces another"
run 2 train "$WORK/ws/data.jsonl"
expect err "is not a workspace"
run 2 train
run 2 train "$WS" --bogus

# Resume: --check, a finished run, more steps, a key the checkpoints depend on.
run 0 resume "$RUNS/first" --check
expect out "checkpoints/step-30: ok, step 30"
expect out "checkpoints/best: ok"
run 0 resume "$RUNS/first"
expect err "the run had finished at step 30"
run 0 resume "$RUNS/first" --set max_steps=40 --set eval_every=5
expect err "resuming from checkpoints/step-30 at step 30"
expect out "finished at step 40 of 40"
check test "$(grep -c '"kind":"train"' "$RUNS/first/metrics.jsonl")" -eq 40
check grep -q '"event":"set","key":"max_steps","old":"30","new":"40"' "$RUNS/first/metrics.jsonl"
run 1 resume "$RUNS/first" --set batch_size=4
expect err "batch_size cannot change when a run is resumed"
printf 'garbage' > "$RUNS/first/checkpoints/step-40/model.safetensors"
run 1 resume "$RUNS/first" --check
expect out "checkpoints/step-40: corrupt"
run 1 resume "$WORK/nowhere"

# Waits (bounded) until a file exists: synchronisation on the run's own files.
wait_file() {
    i=0
    while [ ! -e "$1" ] && [ $i -lt 1200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    check test -e "$1"
}

# A live run, started paused, driven with agentft ctl.
"$AGENTFT" train "$WS" --run live $TINY --set start_paused=true --set max_steps=20 \
    --set eval_every=10 >"$WORK/live.out" 2>&1 </dev/null &
pid=$!
wait_file "$RUNS/live/control.sock"
check test "$(stat -c %a "$RUNS/live/control.sock")" = 600
run 0 ctl "$RUNS/live" status
expect out "state: paused"
run 0 ctl "$RUNS/live" set lr 1e-3
expect out "ok"
run 1 ctl "$RUNS/live" set batch_size 8
expect err "batch_size cannot change during a run (takes effect at the next start)"
run 1 ctl "$RUNS/live" set lr 50
expect err "1e-08..10"
run 0 ctl "$RUNS/live" eval
run 0 ctl "$RUNS/live" checkpoint
run 0 ctl "$RUNS/live" resume
wait $pid
check test $? -eq 0
check grep -q '"event":"set","key":"lr"' "$RUNS/live/metrics.jsonl"
check grep -q '"event":"pause"' "$RUNS/live/metrics.jsonl"
check test -d "$RUNS/live/checkpoints/step-0"
check test ! -e "$RUNS/live/control.sock"
run 1 ctl "$RUNS/live" status
check grep -q "finished at step 20 of 20" "$WORK/live.out"

# SIGHUP does not stop a headless run; Ctrl-C checkpoints and stops (130).
"$AGENTFT" train "$WS" --run int $TINY --set start_paused=true --set max_steps=100000 \
    >"$WORK/int.out" 2>&1 </dev/null &
pid=$!
wait_file "$RUNS/int/control.sock"
kill -HUP $pid
run 0 ctl "$RUNS/int" status
expect out "state: paused"
run 0 ctl "$RUNS/int" resume
i=0
while ! grep -q '"kind":"train"' "$RUNS/int/metrics.jsonl" && [ $i -lt 1200 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -INT $pid
wait $pid
check test $? -eq 130
check grep -q "stopping: saving a checkpoint first" "$WORK/int.out"
check grep -q "^stopped at step" "$WORK/int.out"
check sh -c "ls '$RUNS/int/checkpoints/' | grep -q '^step-'"
run 0 resume "$RUNS/int" --check
refute out "corrupt"

finish
