# End-to-end: data-parallel training under mpirun with two ranks: the same
# losses as one process, the same weights on both ranks bit for bit, live
# commands through rank 0's control socket, resume with another rank count,
# and a killed rank ending the job. Skipped (77) when agentft was built
# without MPI or there is no mpirun.
. "$SRCDIR/tests/e2e/lib.sh"

if ! "$AGENTFT" --version | grep -q '^MPI: yes'; then
    echo "SKIP: agentft was built without MPI (./configure --with-mpi)"
    exit 77
fi
if ! command -v mpirun >/dev/null 2>&1; then
    echo "SKIP: no mpirun (apt-get install openmpi-bin)"
    exit 77
fi
# As CI runs it (root, two ranks on any number of cores). Containers often
# forbid the single-copy transfers between processes: copy through memory.
MPIRUN=${AFT_MPIRUN:-mpirun --allow-run-as-root --oversubscribe -np 2}
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# Marks this test's ranks, to find rank 1 among other processes.
AFT_MPI_TEST_TAG="mpi-sh-$$"
export AFT_MPI_TEST_TAG

flight_workspace
# No dropout: each rank draws its own masks, so runs with dropout differ.
TINY="$TINY --set dropout=0 --set attn_dropout=0 --set max_steps=20 --set eval_every=10
      --set checkpoint_every=10"
run 0 data split "$WS" --seed 7

# agentft on the ranks, bounded in time so that a hang fails the test.
RANKS="$WORK/agentft-on-ranks"
printf '#!/bin/sh\nexec timeout 300 %s "%s" "$@"\n' "$MPIRUN" "$AGENTFT" >"$RANKS"
chmod +x "$RANKS"

# mpi EXPECTED ARGS...: as run, on the ranks.
mpi() {
    AGENTFT="$RANKS" run "$@"
}

# losses RUN: "step loss" for each train line of the run's metrics.jsonl.
losses() {
    sed -n 's/^{"step":\([0-9]*\),"kind":"train","epoch":[0-9]*,"loss":\([^,]*\),.*/\1 \2/p' \
        "$1/metrics.jsonl"
}

# same_losses A B: 20 steps in both, each loss within 1e-5.
same_losses() {
    losses "$1" >"$WORK/a"
    losses "$2" >"$WORK/b"
    awk 'NR == FNR { a[$1] = $2; next }
         ($1 in a) { n++; d = a[$1] - $2; if (d < 0) d = -d
                     if (d > 1e-5) { print "step " $1 ": " a[$1] " vs " $2; bad = 1 } }
         END { if (n != 20) { print n " steps in common"; bad = 1 }; exit bad }' \
        "$WORK/a" "$WORK/b"
}

# val_lines RUN: the validation lines without their times.
val_lines() {
    grep '"kind":"val"' "$1/metrics.jsonl" | sed 's/,"time":[0-9.]*//'
}

# The reference: one process.
run 0 train "$WS" --run one $TINY

# Two ranks, the same global batch and seed: the same losses and validation
# figures; rank 0 alone wrote the run; each rank's final weights, byte for byte.
mkdir "$WORK/dump"
AGENTFT_DIST_DUMP="$WORK/dump" mpi 0 train "$WS" --run two $TINY
expect out "ranks: 2 (MPI)"
expect out "finished at step 20 of 20"
check same_losses "$RUNS/one" "$RUNS/two"
check test "$(val_lines "$RUNS/one")" = "$(val_lines "$RUNS/two")"
check test "$(grep -c '"kind":"train"' "$RUNS/two/metrics.jsonl")" -eq 20
check test "$(grep -c 'training started' "$RUNS/two/train.log")" -eq 1
check grep -q '"allreduce_ms"' "$RUNS/two/metrics.jsonl"
check grep -q 'the weights are identical on all 2 ranks' "$RUNS/two/train.log"
check test -s "$WORK/dump/rank-0.f32"
check cmp "$WORK/dump/rank-0.f32" "$WORK/dump/rank-1.f32"

# Resume with another rank count from the same checkpoint (step 10): one
# process from the two ranks' run, two ranks from the one process's run.
cp -r "$RUNS/two" "$RUNS/two-on-one"
cp -r "$RUNS/one" "$RUNS/one-on-two"
rm -rf "$RUNS/two-on-one/checkpoints/step-20" "$RUNS/two-on-one/checkpoints/best" \
    "$RUNS/one-on-two/checkpoints/step-20" "$RUNS/one-on-two/checkpoints/best"
run 0 resume "$RUNS/two-on-one"
expect err "resuming from checkpoints/step-10 at step 10"
check same_losses "$RUNS/one" "$RUNS/two-on-one"
mpi 0 resume "$RUNS/one-on-two"
expect err "resuming from checkpoints/step-10 at step 10"
check same_losses "$RUNS/one" "$RUNS/one-on-two"
check grep -q 'the weights are identical on all 2 ranks' "$RUNS/one-on-two/train.log"

# Waits (bounded) until a file holds a line matching a string.
wait_grep() {
    i=0
    while ! grep -qF -- "$2" "$1" 2>/dev/null && [ $i -lt 1200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    check grep -qF -- "$2" "$1"
}

# A live run on two ranks, started paused, driven through rank 0's socket.
"$RANKS" train "$WS" --run live $TINY --set start_paused=true \
    --set max_steps=30 >"$WORK/live.out" 2>&1 </dev/null &
live=$!
wait_grep "$RUNS/live/metrics.jsonl" '"event":"pause"'
run 0 ctl "$RUNS/live" status
expect out "state: paused"
run 0 ctl "$RUNS/live" set lr 1e-3
run 0 ctl "$RUNS/live" resume
wait "$live"
check test $? -eq 0
check grep -q '"event":"set","key":"lr","old":"3e-3","new":"0.001"' "$RUNS/live/metrics.jsonl"
check test "$(grep -c '"kind":"train"' "$RUNS/live/metrics.jsonl")" -eq 30
check grep -q 'the weights are identical on all 2 ranks' "$RUNS/live/train.log"

# A rank that fails says why and ends the job: here rank 1 trains on other
# data than rank 0 (mpirun's MPMD form gives each rank its own workspace).
if [ -z "${AFT_MPIRUN:-}" ]; then
    mkdir "$WORK/other"
    head -n 3000 "$WORK/ws/data.jsonl" >"$WORK/other/data.jsonl"
    cp "$WS" "$WORK/other/workspace.yaml"
    CHECKS=$((CHECKS + 1))
    # shellcheck disable=SC2086
    timeout 300 mpirun --allow-run-as-root --oversubscribe \
        -np 1 "$AGENTFT" train "$WS" --run mixed $TINY : \
        -np 1 "$AGENTFT" train "$WORK/other/workspace.yaml" --run mixed $TINY \
        --set runs="$RUNS" >"$WORK/out" 2>"$WORK/err" </dev/null
    status=$?
    if [ "$status" -eq 0 ] || [ "$status" -eq 124 ]; then
        echo "FAIL: ranks on different data: exit $status"
        FAILS=$((FAILS + 1))
    fi
    expect err "rank 1 has other data, model or step than rank 0 at step 0"
fi

# rank_pid R: the process of this test's rank R.
rank_pid() {
    for env in /proc/[0-9]*/environ; do
        vars=$(tr '\0' '\n' 2>/dev/null <"$env") || continue
        if echo "$vars" | grep -qx "AFT_MPI_TEST_TAG=$AFT_MPI_TEST_TAG" &&
           echo "$vars" | grep -Eqx "(OMPI_COMM_WORLD_RANK|PMI_RANK)=$1"; then
            pid=${env#/proc/}
            echo "${pid%/environ}"
            return
        fi
    done
}

# A rank killed in the middle of a run ends the job with a message, no hang.
"$RANKS" train "$WS" --run killed $TINY --set max_steps=0 \
    --set epochs=1000 >"$WORK/killed.out" 2>"$WORK/killed.err" </dev/null &
job=$!
wait_grep "$RUNS/killed/metrics.jsonl" '"kind":"train"'
victim=$(rank_pid 1)
check test -n "$victim"
if [ -n "$victim" ]; then
    kill -9 "$victim"
else
    kill "$job" # mpirun ends the ranks
fi
wait "$job"
status=$?
check test "$status" -ne 0
check test "$status" -ne 124
CHECKS=$((CHECKS + 1))
if ! grep -q 'rank 0: asked to stop' "$WORK/killed.err"; then
    echo "FAIL: no message from rank 0 after rank 1 was killed"
    cat "$WORK/killed.err"
    FAILS=$((FAILS + 1))
fi

finish
