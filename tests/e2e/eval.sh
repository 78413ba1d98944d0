# End-to-end: agentft eval on tiny runs of the bundled example: the report
# files and their fields, --json, --data with an action the model never
# saw, --checkpoint and RUN:step-N, bad runs and data, and --compare.
. "$SRCDIR/tests/e2e/lib.sh"

flight_workspace
TINY="$TINY --set eval_every=10 --set checkpoint_every=10"
run 0 data split "$WS" --seed 7
run 0 train "$WS" --run a $TINY --set max_steps=30 --test
test_line=$(grep '^test (best checkpoint)' "$WORK/out")
run 0 train "$WS" --run b $TINY --set max_steps=20 --set seed=3


# The report of the best checkpoint on the test split.
run 0 eval "$RUNS/a" --no-timing
R="$RUNS/a/report.json"
check test -s "$R"
check test -s "$RUNS/a/report.md"
check cmp -s "$WORK/out" "$RUNS/a/report.md"
expect out "# Evaluation report: $RUNS/a"
expect out "test split of $WORK/ws/data.jsonl: 360 examples"
expect out "## Per action"
expect out "## Misclassified ("
expect out "### By context length (tokens)"
expect out "are cut from the left"
expect out "## Calibration"
refute out "## Efficiency"
expect err "wrote $RUNS/a/report.json and report.md"
jcheck "$R" 'r["version"] == 1 and r["kind"] == "report" and r["checkpoint"] == "best"'
jcheck "$R" 'r["examples"] == 360 and r["model"]["max_seq"] == 48 and r["model"]["actions"] == 14'
jcheck "$R" '"efficiency" not in r and all(k in r for k in ("task", "slices", "calibration", "robustness", "generation"))'
jcheck "$R" 'len(r["task"]["per_action"]) == 14 and len(r["task"]["confusion"]["matrix"]) == 14'
jcheck "$R" 'sum(map(sum, r["task"]["confusion"]["matrix"])) == 360'
jcheck "$R" 'r["task"]["misclassified_total"] == round(360 * (1 - r["task"]["accuracy"]))'
jcheck "$R" 'r["task"]["unknown_actions"]["count"] == 0'
jcheck "$R" '[b["name"] for b in r["slices"]["length"]] == ["0-12", "13-24", "25-36", "37-47", "48-94", "95+"]'
jcheck "$R" 'r["slices"]["length"][5]["hi"] is None and r["slices"]["truncation"]["cut"] > 0'
jcheck "$R" 'sum(b["examples"] for b in r["slices"]["length"]) == 360'
jcheck "$R" 'len(r["calibration"]["bins"]) == 10 and 0 <= r["calibration"]["ece"] <= 1'
# The same test accuracy as the run's own evaluation at the end of training.
acc=$(python3 -c 'import json, sys; print("%.2f%%" % (100 * json.load(open(sys.argv[1]))["task"]["accuracy"]))' "$R" 2>/dev/null)
check test -n "$acc"
case "$test_line" in *"accuracy $acc,"*) ;; *) check false "train --test said '$test_line', the report $acc" ;; esac
# A mistake's line is that record's line in the data file.
line=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["task"]["misclassified"][0]["line"])' "$R" 2>/dev/null)
gold=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["task"]["misclassified"][0]["gold"])' "$R" 2>/dev/null)
if [ -n "$line" ]; then
    check sh -c "sed -n '${line}p' '$WORK/ws/data.jsonl' | grep -Eq '\"agent_action\": ?\"$gold\"'"
fi

# --json prints the document; timing adds the efficiency section.
run 0 eval "$RUNS/a" --json --quick
check cmp -s "$WORK/out" "$R"
jcheck "$R" '"latency_ms" in r["efficiency"] and r["efficiency"]["qps_batch32"] > 0'

# Data with an action the model never saw: listed, not scored.
grep '"split":"test"' "$WORK/ws/data.jsonl" | head -n 20 > "$WORK/new.jsonl"
printf '%s\n' '{"context": "Find me a hotel in Lisbon for two nights", "agent_action": "book_hotel"}' \
    '{"context": "I need a room near the airport", "agent_action": "book_hotel"}' \
    '{"context": "Rent me a car at the airport", "agent_action": "rent_car"}' >> "$WORK/new.jsonl"
run 0 eval "$RUNS/a" --data "$WORK/new.jsonl" --no-timing
expect out "## Actions the model does not know"
expect out '`book_hotel`, `rent_car`'
expect out "23 examples, 20 scored (3 with actions the model does not know)"
jcheck "$R" 'r["examples"] == 23 and r["task"]["examples"] == 20 and r["source"].endswith("new.jsonl")'
jcheck "$R" 'r["task"]["unknown_actions"] == {"count": 3, "actions": ["book_hotel", "rent_car"]}'
jcheck "$R" 'sum(map(sum, r["task"]["confusion"]["matrix"])) == 20'

# Another checkpoint: --checkpoint, or RUN:step-N.
run 0 eval "$RUNS/a" --checkpoint step-10 --no-timing
expect out "Checkpoint: step-10"
jcheck "$R" 'r["checkpoint"] == "step-10"'
run 0 eval "$RUNS/a:step-20" --no-timing --json
jcheck "$R" 'r["checkpoint"] == "step-20"'

# Bad runs, checkpoints and data: exit 1 with a message.
run 1 eval "$WORK/nowhere"
expect err "$WORK/nowhere: no such run directory"
run 1 eval "$WORK/ws"
expect err "not a run directory"
run 1 eval "$RUNS/a" --checkpoint step-999
expect err "no checkpoint step-999"
run 1 eval "$RUNS/a" --checkpoint latest
expect err "expected best or step-N"
printf '%s\n' '{"context": "hi", "agent_action": "book_flight"}' '{"context": ' > "$WORK/bad.jsonl"
run 1 eval "$RUNS/a" --data "$WORK/bad.jsonl"
expect err "$WORK/bad.jsonl:2:"
expect err "1 bad line in all"
run 1 eval "$RUNS/a" --data "$WORK/missing.jsonl"
expect err "missing.jsonl"
# Usage errors: exit 2.
run 2 eval
run 2 eval "$RUNS/a" "$RUNS/b"
run 2 eval --compare "$RUNS/a"
run 2 eval "$RUNS/a" --bogus
run 2 eval "$RUNS/a" --seed many
run 2 eval "$RUNS/a" --set lr=1

# A/B: two runs on the same test split, and a checkpoint per side.
run 0 eval --compare "$RUNS/a" "$RUNS/b" --quick
expect out "# A/B comparison: $RUNS/a vs $RUNS/b"
expect out "McNemar"
expect out "## Latency (batch 1, end to end) and throughput"
C="$RUNS/a/compare-b.json"
check test -s "$C"
check test -s "$RUNS/a/compare-b.md"
jcheck "$C" 'r["kind"] == "compare" and r["examples"] == 360 and len(r["ci95"]) == 2'
run 0 eval --compare "$RUNS/a" "$RUNS/a:step-10" --data "$WORK/new.jsonl" --json
check test -s "$RUNS/a/compare-a-step-10.json"
jcheck "$RUNS/a/compare-a-step-10.json" 'r["b"]["checkpoint"] == "step-10" and r["examples"] == 23'
# Runs tested on different data are not compared without --data.
mkdir "$WORK/ws2"
grep -v '"split":"test"' "$WORK/ws/data.jsonl" > "$WORK/ws2/data.jsonl"
grep '"split":"test"' "$WORK/ws/data.jsonl" | head -n 50 >> "$WORK/ws2/data.jsonl"
cp "$WORK/ws/workspace.yaml" "$WORK/ws2/"
run 0 train "$WORK/ws2/workspace.yaml" --run c $TINY --set max_steps=10
run 1 eval --compare "$RUNS/a" "$WORK/ws2/runs/c"
expect err "are tested on different data"
run 0 eval --compare "$RUNS/a" "$WORK/ws2/runs/c" --data "$WORK/new.jsonl" --no-timing

finish
