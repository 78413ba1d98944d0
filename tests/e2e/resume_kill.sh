# End-to-end: a run killed with SIGKILL at several points (each just after
# it wrote checkpoint k) and resumed ends with the same metrics.jsonl as an
# uninterrupted run of the same seed, and no checkpoint on disk is corrupt.
. "$SRCDIR/tests/e2e/lib.sh"

flight_workspace
run 0 data split "$WS" --seed 7
set -- --set n_layer=1 --set n_head=2 --set d_model=32 --set max_seq=48 --set vocab_size=400 \
    --set batch_size=16 --set grad_accum=2 --set warmup_steps=5 --set lr=3e-3 --set threads=1 \
    --set dropout=0.1 --set max_steps=120 --set eval_every=15 --set checkpoint_every=10 \
    --set patience=0 --quiet

# The metrics without the time fields (time, step_ms, tokens_per_s).
strip() {
    sed -E 's/,"(time|step_ms|tokens_per_s)":[-+0-9.eE]+//g' "$1"
}

run 0 train "$WS" --run ref "$@"
strip "$RUNS/ref/metrics.jsonl" > "$WORK/ref.jsonl"
check test "$(grep -c '"kind":"train"' "$WORK/ref.jsonl")" -eq 120

for k in 10 40 80; do
    "$AGENTFT" train "$WS" --run "kill$k" "$@" >/dev/null 2>&1 </dev/null &
    pid=$!
    # Bounded poll for checkpoint k, then the kill lands wherever the run is.
    i=0
    while [ ! -d "$RUNS/kill$k/checkpoints/step-$k" ] && [ $i -lt 2400 ]; do
        sleep 0.02
        i=$((i + 1))
    done
    check test -d "$RUNS/kill$k/checkpoints/step-$k"
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    newest=$(ls "$RUNS/kill$k/checkpoints" | sed -n 's/^step-\([0-9]*\)$/\1/p' | sort -n | tail -n 1)
    echo "killed after checkpoint $k (newest step-N on disk: step-$newest)"
    run 0 resume "$RUNS/kill$k" --quiet
    run 0 resume "$RUNS/kill$k" --check
    refute out "corrupt"
    strip "$RUNS/kill$k/metrics.jsonl" > "$WORK/kill$k.jsonl"
    CHECKS=$((CHECKS + 1))
    if ! cmp -s "$WORK/ref.jsonl" "$WORK/kill$k.jsonl"; then
        echo "FAIL: kill at $k: metrics differ from the uninterrupted run"
        diff "$WORK/ref.jsonl" "$WORK/kill$k.jsonl" | head -n 10
        FAILS=$((FAILS + 1))
    fi
    # The losses agree (within 1e-5) line by line.
    CHECKS=$((CHECKS + 1))
    if ! awk -F'"loss":' 'NR == FNR { a[FNR] = $2 + 0; next }
            { d = a[FNR] - ($2 + 0); if (d > 1e-5 || d < -1e-5) bad = 1 }
            END { exit bad }' "$WORK/ref.jsonl" "$WORK/kill$k.jsonl"; then
        echo "FAIL: kill at $k: losses differ by more than 1e-5"
        FAILS=$((FAILS + 1))
    fi
done

finish
