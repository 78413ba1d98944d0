# End-to-end: the workbench's model views, driven inside tmux (helpers in
# tui_lib.sh), on a tiny run of part of the bundled example trained headless
# with its LM head: the dataset list shows each record's predicted action and
# confidence, the "model got it wrong" filter keeps only records whose
# prediction differs, the "uncertain first" order puts the lowest confidence
# on top; the Try pane classifies a typed context with the best checkpoint
# (top actions with probabilities, the generated answer) and, once a run of
# the workbench is going (paused), with its live weights.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/tui_lib.sh"

WS="$WORK/ws"
mkdir -p "$WS"
head -n 600 "$SRCDIR/examples/flight-agent/data.jsonl" > "$WS/data.jsonl"
cat > "$WS/workspace.yaml" <<'EOY'
name: try-test
dataset:
  path: data.jsonl
model:
  n_layer: 1
  n_head: 2
  d_model: 32
  max_seq: 48
  vocab_size: 400
threads: 1
seed: 7
train:
  batch_size: 16
  lm_loss_weight: 0.5
  start_paused: true
schedule:
  warmup_steps: 5
optimizer:
  lr: 3e-3
eval:
  eval_every: 10
  checkpoint_every: 10
EOY
run 0 data split "$WS/data.jsonl" --valid 0.1 --test 0.1 --seed 7
run 0 train "$WS/workspace.yaml" --run tiny --set max_steps=30 --set start_paused=false
check test -s "$WS/runs/tiny/checkpoints/best/model.safetensors"

# rows: the dataset list's rows on the screen (the left column), as
# "number id action predicted conf".
rows() {
    screen | cut -c1-110 | awk '$1 ~ /^[0-9]+$/ && $2 ~ /^flt-/ && $5 ~ /^[01]\.[0-9][0-9]$/ {print $1, $2, $3, $4, $5}'
}

start 200 50 $UTF8 "$WORK/run.sh" "$AGENTFT" open "$WS/workspace.yaml"
wait_for "600 records"
# ---- the dataset list: predicted actions, once the pass is done -------------------
wait_for "model: best, step 30"
wait_for "predicted          conf"
wait_gone "predicting"
check sh -c "test \$($T capture-pane -p -t aft | cut -c1-110 | awk '\$1 ~ /^[0-9]+\$/ && \$5 ~ /^[01]\\.[0-9][0-9]\$/' | wc -l) -ge 20"
rows > "$WORK/all"
check test -s "$WORK/all"

# ---- the "model got it wrong" filter ---------------------------------------------
$T send-keys -t aft w
wait_for "model wrong | order: file"
wait_match "Dataset +[0-9]+ of 600"
rows > "$WORK/wrong"
check test -s "$WORK/wrong"
check sh -c "awk '\$3 == \$4 {bad = 1} END {exit bad}' '$WORK/wrong'"
# and what it left out: the records of the full list predicted wrong are all there
check sh -c "awk 'NR == FNR {w[\$1] = 1; next} \$3 != \$4 && !(\$1 in w) {bad = 1} END {exit bad}' '$WORK/wrong' '$WORK/all'"

# ---- the "uncertain first" order -------------------------------------------------
$T send-keys -t aft X o o o o
wait_for "all records | order: uncertain first"
wait_gone "scanning"
rows > "$WORK/uncertain"
check test "$(wc -l < "$WORK/uncertain")" -ge 20
check sh -c "awk 'NR > 1 && \$5 < last {bad = 1} {last = \$5} END {exit bad}' '$WORK/uncertain'"
least=$(cut -d' ' -f5 "$WORK/all" | sort -n | head -n 1)
top=$(head -n 1 "$WORK/uncertain" | cut -d' ' -f5)
check awk "BEGIN {exit !(${top:-9} <= ${least:-0})}"

# ---- the Try pane: the checkpoint ------------------------------------------------
$T send-keys -t aft 8
wait_for "8 Try"
wait_gone "4 Charts"
$T send-keys -t aft -l "book a flight from paris to rome"
$T send-keys -t aft Enter
wait_for "best checkpoint, step 30"
wait_match "│[a-z_]+ +[^ ]* +[0-9]+\.[0-9]%│"
wait_for "writes: "
wait_for "no run is going in this workbench"

# ---- ... and the live weights of a run of the workbench, paused ------------------
$T send-keys -t aft F5
wait_for "run started"
wait_for "paused  step 0"
$T send-keys -t aft r
wait_for "live weights, step 0 (paused)"
wait_match "│[a-z_]+ +[^ ]* +[0-9]+\.[0-9]%$"
$T send-keys -t aft q
wait_for "a run is going: stop it"
$T send-keys -t aft y
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0

finish
