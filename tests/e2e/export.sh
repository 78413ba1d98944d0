# End-to-end: agentft export --int8 of a tiny run of the bundled example:
# the folder and its size, eval of the export (the run's test split, the same
# report, accuracy close to float32), eval --compare with both latencies,
# replacing an export, another checkpoint, and bad uses and files.
. "$SRCDIR/tests/e2e/lib.sh"

flight_workspace
TINY="$TINY --set eval_every=10 --set checkpoint_every=10"
run 0 data split "$WS" --seed 7
run 0 train "$WS" --run a $TINY --set max_steps=30

size() { wc -c < "$1" | tr -d ' '; }

# The export: a folder with the int8 model, config, tokenizer and run config.
E="$RUNS/a/export-int8"
run 0 export "$RUNS/a" --int8
expect out "wrote $E (INT8 of $RUNS/a/checkpoints/best)"
expect out "of the float32 checkpoint's"
expect out "int8 kernel on this machine:"
for f in model.safetensors config.json tokenizer.json config.yaml; do
    check test -s "$E/$f"
done
jcheck "$E/config.json" 'r["agentft"]["quantization"] == "int8" and r["quantization_config"]["bits"] == 8'
# Tiny models keep relatively more in float32 (LayerNorm, biases, scales).
float_size=$(size "$RUNS/a/checkpoints/best/model.safetensors")
int8_size=$(size "$E/model.safetensors")
check test $((int8_size * 10)) -lt $((float_size * 4))

# eval on the export: the run's test split, the same report, close accuracy.
run 0 eval "$RUNS/a" --no-timing
run 0 eval "$E" --no-timing
expect out "# Evaluation report: $E"
expect out "test split of $WORK/ws/data.jsonl: 360 examples"
expect out "; INT8 weights"
jcheck "$E/report.json" 'r["model"]["weights"] == "int8" and r["examples"] == 360'
jcheck "$E/report.json" 'all(k in r for k in ("task", "slices", "calibration", "robustness", "generation"))'
CHECKS=$((CHECKS + 1))
if command -v python3 >/dev/null 2>&1 &&
    ! python3 -c 'import json, sys
f = json.load(open(sys.argv[1]))["task"]; q = json.load(open(sys.argv[2]))["task"]
sys.exit(0 if abs(f["macro_f1"] - q["macro_f1"]) <= 0.05 and abs(f["accuracy"] - q["accuracy"]) <= 0.05 else 1)' \
        "$RUNS/a/report.json" "$E/report.json"; then
    echo "FAIL: the INT8 export's accuracy or macro-F1 is more than 5 points from float32's"
    FAILS=$((FAILS + 1))
fi

# --compare: the accuracy change and both latencies.
run 0 eval --compare "$RUNS/a" "$E" --quick
expect out "# A/B comparison: $RUNS/a vs $E"
expect out "## Latency (batch 1, end to end) and throughput"
expect out "int8 ("
C="$RUNS/a/compare-export-int8.json"
jcheck "$C" 'r["examples"] == 360 and r["efficiency"]["b"]["weights"] == "int8"'
jcheck "$C" 'r["efficiency"]["a"]["weights"] == "float32" and r["efficiency"]["latency_p50_ratio"] > 0'
run 0 eval --compare "$RUNS/a" "$E" --no-timing --json
jcheck "$C" '"efficiency" not in r'

# Exporting again replaces the export (and the report in it); another
# checkpoint goes where --out says.
run 0 export "$RUNS/a" --int8
check test ! -e "$E/report.json"
run 0 export "$RUNS/a" --int8 --checkpoint step-10 --out "$WORK/e10"
expect out "wrote $WORK/e10 (INT8 of $RUNS/a/checkpoints/step-10)"
run 0 eval "$WORK/e10" --no-timing --json
jcheck "$WORK/e10/report.json" 'r["examples"] == 360 and r["model"]["weights"] == "int8"'

# A run whose fallback threshold is calibrated at each validation: the
# export keeps the best checkpoint's, and evaluating either applies it.
run 0 train "$WS" --run r $TINY --set max_steps=20 --set reject_action=handoff_to_human \
    --set reject_score=energy --set reject_keep=0.9
jcheck "$RUNS/r/metrics.jsonl" 'all("reject_threshold" in v for v in [json.loads(x) for x in open(path)] if v["kind"] == "val")'
run 0 export "$RUNS/r" --int8
check cmp "$RUNS/r/checkpoints/best/trainer_state.json" "$RUNS/r/export-int8/trainer_state.json"
run 0 eval "$RUNS/r" --no-timing --quick
expect out "- Fallback: handoff_to_human when the energy is under "
expect out "(calibrated on the validation split to keep 90.00% of other actions' examples)"
run 0 eval "$RUNS/r/export-int8" --no-timing --quick
jcheck "$RUNS/r/export-int8/report.json" 'r["reject"]["applied"] and r["reject"]["below"] == json.load(open(os.path.join(os.path.dirname(path), "trainer_state.json")))["reject_threshold"]'
# --reject-keep calibrates on the run's valid split at evaluation: the
# trainer's share gives the trainer's threshold, another share another one.
run 0 eval "$RUNS/r" --no-timing --quick --json --reject-keep 0.9
jcheck "$RUNS/r/report.json" 'abs(r["reject"]["below"] - json.load(open(os.path.join(os.path.dirname(path), "checkpoints/best/trainer_state.json")))["reject_threshold"]) < 1e-9 and r["reject"]["keep"] == 0.9 and "valid split of" in r["reject"]["calibrated_on"]'
run 0 eval "$RUNS/r" --no-timing --quick --reject-keep 0.5
expect out "(calibrated for this report on the valid split of $WORK/ws/data.jsonl ("
expect out "to keep 50.00% of other actions' examples)"
jcheck "$RUNS/r/report.json" 'r["reject"]["below"] > json.load(open(os.path.join(os.path.dirname(path), "checkpoints/best/trainer_state.json")))["reject_threshold"]'
run 2 eval "$RUNS/r" --reject-keep 0
expect err "--reject-keep 0 is out of range"
run 1 eval "$RUNS/a" --no-timing --quick --reject-keep 0.9
expect err "the run has no eval.reject_action"

# The threshold has no fixed scale for the energy: one must be calibrated.
run 1 train "$WS" --run bad $TINY --set reject_action=handoff_to_human --set reject_score=energy
expect err "reject_score = energy (--set) needs eval.reject_keep"

# Bad uses: exit 2 for usage, 1 for what cannot be done.
run 2 export "$RUNS/a"
expect err "--int8"
run 2 export --int8
run 2 export "$RUNS/a" --int8 --bogus
run 1 export "$RUNS/a" --int8 --out "$WORK/ws"
expect err "$WORK/ws exists and is not an INT8 export"
check test -s "$WORK/ws/data.jsonl"
run 1 export "$E" --int8 --out "$WORK/again"
expect err "is an INT8 export already"
run 1 export "$WORK/nowhere" --int8
expect err "$WORK/nowhere"
run 1 export "$RUNS/a" --int8 --checkpoint step-999
expect err "no checkpoint step-999"

# A damaged export is an error naming the file.
head -c 1000 "$E/model.safetensors" > "$WORK/cut"
cp "$WORK/cut" "$E/model.safetensors"
run 1 eval "$E" --no-timing
expect err "$E/model.safetensors"

finish
