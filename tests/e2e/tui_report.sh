# End-to-end: the workbench's Report pane, driven inside tmux (helpers in
# tui_lib.sh). A run whose report.json is the hand-written fixture of
# tests/data: the summary, the heat map and its labels, the mistakes, Enter
# opening a record in the editor, a comparison, a report about another data
# file, damaged and missing reports; then E evaluating a real (tiny) run.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/tui_lib.sh"

# A short path of its own: the report pane shows the data file's path, and a
# deep build folder (make distcheck) would push it past the pane's width.
WS=$(mktemp -d /tmp/aft-report.XXXXXX)
trap '$T kill-server >/dev/null 2>&1; rm -rf "$WORK" "$WS"' EXIT
RUN="$WS/runs/fixture"
mkdir -p "$RUN"
cp "$SRCDIR/examples/flight-agent/workspace.yaml" "$SRCDIR/examples/flight-agent/data.jsonl" "$WS/"
DATA="$WS/data.jsonl"
printf '{"step":1,"kind":"train","loss":2.5,"lr":0.001}\n' > "$RUN/metrics.jsonl"
# report FIXTURE DATAFILE > OUT: a fixture about DATAFILE
report() {
    sed "s|@DATA@|$2|g" "$SRCDIR/tests/data/$1"
}
report report-fixture.json "$DATA" > "$RUN/report.json"
OPEN="$WORK/run.sh $AGENTFT open $WS/workspace.yaml"

# ---- the summary, in the charts' place ----------------------------------------
start 200 50 $UTF8 $OPEN
wait_for "3600 records"
wait_for "4 Charts"
$T send-keys -t aft 6
wait_for "6 Report"
wait_gone "4 Charts"
wait_for "report.json  order: F1"
wait_for "accuracy     89.72%"
wait_for "macro-F1     0.9010"
wait_for "weighted-F1  0.8981"
wait_for "examples     360   misclassified 37"
wait_for "run          fixture   checkpoint best"
wait_for "source       test split of $DATA"

# ---- the per-action table, ordered by F1 then by support ----------------------
$T send-keys -t aft Right
wait_for "action                prec.   recall       F1  support  predicted"
wait_for "special_assistance   0.7500   0.8182   0.7826       11         12"
check sh -c "$T capture-pane -p -t aft | grep -A1 'prec.   recall' | grep -q special_assistance"
$T send-keys -t aft o
wait_for "order: support"
check sh -c "$T capture-pane -p -t aft | grep -A1 'prec.   recall' | grep -q search_flights"

# ---- the confusion heat map and the largest confusions -------------------------
$T send-keys -t aft Right
wait_for "top 11 of 14 actions by confusions"
wait_for " 1 book_flight         29  7"
wait_for " 2 search_flights       4 44"
wait_for " 3 cancel_booking"
wait_for "largest confusions: gold → predicted"
wait_for "7  book_flight → search_flights"
wait_for "gold rows, predicted columns"
# the counts take the theme's heat colours (red for the largest: ESC[41m)
esc=$(printf '\033')
check sh -c "$T capture-pane -p -e -t aft | grep -q '$esc\\[41m'"
# zoomed, the whole matrix fits, in the matrix's own order
$T send-keys -t aft z
wait_for "14 visa_info            ·  ·  ·  ·  ·  ·  1"
wait_for " 1 baggage_info        41"
$T send-keys -t aft z
wait_for "top 11 of 14 actions by confusions"

# ---- a mistake opens in the editor -------------------------------------------
$T send-keys -t aft Right
wait_for "5 of 37 misclassified, the most confident first"
wait_for "book_flight    → search_flights  0.91  4"
$T send-keys -t aft Enter
wait_for "record 4  flt-00004"
wait_for "record 4 opened in the editor (gold book_flight)"
wait_for "订4位乘客4号杭州到长沙的经济舱。"
# Enter on a confusion shows its first listed mistake, which Enter opens
$T send-keys -t aft 6 Left Down Enter Enter
wait_for "record 100  flt-00100"
$T send-keys -t aft 6 Left Down Enter
wait_for "no listed mistake is change_flight -> book_flight"

# ---- a comparison of two runs ---------------------------------------------------
report compare-fixture.json "$DATA" > "$RUN/compare-baseline.json"
$T send-keys -t aft 6 c
wait_for "compare-baseline.json"
wait_for "accuracy A - B  +2.50 points   95% CI [+1.39, +5.83]"
wait_for "McNemar        p = 0.0241"
$T send-keys -t aft Right
wait_for "F1 A      F1 B     A - B"
$T send-keys -t aft Right
wait_for "3 examples where A and B disagree"
$T send-keys -t aft Down Down Enter
wait_for "record 42  flt-00042"
$T send-keys -t aft 6 c
wait_for "showing report.json"

# ---- a report about another data file: said, not opened -----------------------
cp "$DATA" "$WS/other.jsonl"
report report-fixture.json "$WS/other.jsonl" > "$RUN/report.tmp"
mv "$RUN/report.tmp" "$RUN/report.json"
wait_for "source       test split of $WS/other.jsonl"
$T send-keys -t aft Right Right Right Enter
wait_for "this example is from $WS/other.jsonl, not from the workbench's dataset"

# ---- damaged, wrongly shaped and missing reports -------------------------------
head -c 400 "$SRCDIR/tests/data/report-fixture.json" > "$RUN/report.json"
wait_for "report.json: not valid JSON at line 24, column 12"
wait_for "E evaluates the run again"
printf '{"task": {"accuracy": "high"}}' > "$RUN/report.json"
wait_for "report.json: task.accuracy is a string, expected a number"
rm "$RUN/report.json"
wait_for "no report yet: press E to evaluate"
report report-fixture.json "$DATA" > "$RUN/report.json"
wait_for "accuracy     89.72%"

# ---- tabs on a narrow terminal -------------------------------------------------
$T resize-window -t aft -x 80 -y 24
wait_for "6 Report" 1
wait_for "accuracy     89.72%"
$T send-keys -t aft 1
wait_for "3600 records"
$T send-keys -t aft q
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0

# ---- E: evaluating a real run in the background ------------------------------
WS2="$WORK/ws2"
mkdir -p "$WS2"
cp "$SRCDIR/examples/flight-agent/workspace.yaml" "$WS2/"
head -n 600 "$SRCDIR/examples/flight-agent/data.jsonl" > "$WS2/data.jsonl"
run 0 data split "$WS2/data.jsonl" --valid 0.1 --test 0.1 --seed 7
run 0 train "$WS2/workspace.yaml" --set max_steps=8 --set eval_every=8 --set threads=2 \
    --set vocab_size=512
RUN2=$(ls -d "$WS2"/runs/*/ | head -n 1)
start 200 50 $UTF8 "$WORK/run.sh" "$AGENTFT" open "$WS2/workspace.yaml"
wait_for "600 records"
$T send-keys -t aft 6
wait_for "no report yet: press E to evaluate"
$T send-keys -t aft E
wait_for "evaluating"
wait_for "report written: "
wait_for "examples     60"
check test -s "$RUN2/report.json"
check test -s "$RUN2/report.md"
$T send-keys -t aft Right Right Right Enter
wait_for "opened in the editor"
$T send-keys -t aft q
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0

finish
