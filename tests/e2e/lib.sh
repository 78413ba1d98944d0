# Helpers for the end-to-end tests: run the built agentft, check its exit
# status and output. Sourced by each tests/e2e/*.sh.
set -u
: "${AGENTFT:?AGENTFT must point at the built agentft}"
: "${SRCDIR:=.}"
: "${AFT_TEST_TMP:=/tmp}"
WORK=$(mktemp -d "$AFT_TEST_TMP/e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FAILS=0
CHECKS=0

# run EXPECTED_STATUS ARGS...: runs agentft, keeps stdout in $WORK/out and
# stderr in $WORK/err.
run() {
    expected=$1
    shift
    CHECKS=$((CHECKS + 1))
    "$AGENTFT" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
    status=$?
    if [ "$status" -ne "$expected" ]; then
        echo "FAIL: agentft $*: exit $status, expected $expected"
        echo "--- stdout"; head -n 20 "$WORK/out"
        echo "--- stderr"; head -n 20 "$WORK/err"
        FAILS=$((FAILS + 1))
    fi
}

# expect FILE(out|err) PATTERN: the last run's output matches the fixed string.
expect() {
    CHECKS=$((CHECKS + 1))
    if ! grep -qF -- "$2" "$WORK/$1"; then
        echo "FAIL: expected in $1: $2"
        echo "--- $1"; head -n 30 "$WORK/$1"
        FAILS=$((FAILS + 1))
    fi
}

# refute FILE PATTERN: the last run's output does not contain the string.
refute() {
    CHECKS=$((CHECKS + 1))
    if grep -qF -- "$2" "$WORK/$1"; then
        echo "FAIL: did not expect in $1: $2"
        FAILS=$((FAILS + 1))
    fi
}

# flight_workspace: the bundled example copied into $WORK/ws; sets WS and
# RUNS, and TINY: --set options for a model and schedule small enough that a
# run takes seconds (scripts add their own evaluation and checkpoint steps).
flight_workspace() {
    mkdir "$WORK/ws"
    cp "$SRCDIR/examples/flight-agent/data.jsonl" "$SRCDIR/examples/flight-agent/workspace.yaml" \
        "$WORK/ws/"
    WS="$WORK/ws/workspace.yaml"
    RUNS="$WORK/ws/runs"
    TINY="--set n_layer=1 --set n_head=2 --set d_model=32 --set max_seq=48 --set vocab_size=400
      --set batch_size=16 --set warmup_steps=5 --set lr=3e-3 --set threads=1"
}

check() {
    CHECKS=$((CHECKS + 1))
    if ! "$@"; then
        echo "FAIL: $*"
        FAILS=$((FAILS + 1))
    fi
}

finish() {
    echo "$CHECKS checks, $FAILS failed"
    [ "$FAILS" -eq 0 ]
    exit $?
}

# jcheck FILE EXPR: a Python expression over the JSON document r is true.
# Without python3 the JSON checks are left out (said once, when first used).
if command -v python3 >/dev/null 2>&1; then
    jcheck() {
        CHECKS=$((CHECKS + 1))
        if ! python3 -c 'import json, os, sys
path = sys.argv[1]  # a .jsonl file is left to the expression, as path
r = None if path.endswith(".jsonl") else json.load(open(path))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"; then
            echo "FAIL: in $1: $2"
            FAILS=$((FAILS + 1))
        fi
    }
else
    jcheck() {
        [ -n "${JCHECK_SAID:-}" ] || echo "SKIP (partly): the JSON field checks need python3"
        JCHECK_SAID=1
    }
fi
