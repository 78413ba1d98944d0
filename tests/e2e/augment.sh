# End-to-end: `agentft data augment` on a generated workspace with the stand-in
# translator and the tiny WordNet of tests/data/wordnet (machine-independent).
. "$SRCDIR/tests/e2e/lib.sh"

translator="$(dirname "$AGENTFT")/examples/translator/translator"
data="$WORK/data.jsonl"
: > "$data"
i=0
for city in Paris Boston Denver Tokyo Lima Oslo Rome Cairo Delhi Seoul; do
    for kind in book cancel refund baggage; do
        i=$((i + 1))
        case $kind in
            book) text="Please book a cheap flight to $city for the kids." ;;
            cancel) text="I want to cancel my flight to $city, thanks." ;;
            refund) text="I need a refund for my ticket to $city." ;;
            baggage) text="My bag is lost after the flight to $city." ;;
        esac
        case $((i % 10)) in
            0) split=test ;;
            5) split=valid ;;
            *) split=train ;;
        esac
        printf '{"id":"r%02d","context":"%s","agent_action":"%s","split":"%s"}\n' \
            "$i" "$text" "$kind" "$split" >> "$data"
    done
done
# a dialogue: only its last user turn is augmented
printf '%s\n' '{"id":"d1","context":[{"role":"user","content":"book a car"},{"role":"assistant","content":"which day?"},{"role":"user","content":"a cheap car tomorrow please"}],"agent_action":"book","split":"train"}' >> "$data"
# a test record equal to what back-translation makes of a training one
printf '%s\n' '{"id":"leak","context":"Reserve an inexpensive flight to Paris for the kids please.","agent_action":"book","split":"test"}' >> "$data"
printf 'refund\treimbursement\trepayment\nticket\tfare\n' > "$WORK/synonyms.tsv"
cat > "$WORK/ws.yaml" <<EOF
dataset:
  path: data.jsonl
augment:
  methods: synonym,eda,backtranslate
  per_record: 3
  synonyms: synonyms.tsv
  wordnet: $SRCDIR/tests/data/wordnet
  translator: $translator
  translate_timeout_ms: 10000
seed: 3
EOF
cp "$data" "$WORK/before.jsonl"

# --dry-run: counts and variants, nothing written
run 0 data augment "$WORK/ws.yaml" --dry-run
expect out "33 training records augmented, 9 valid/test records left alone"
expect out "backtranslate"
expect out "eda_swap"
expect out "dry run: nothing written"
expect out "[backtranslate] r02: I wish to call off my flight to Paris, thank you."
refute out "] leak:"
refute out "] r05:"
refute out "] r10:"
check cmp -s "$data" "$WORK/before.jsonl"
kept=$(awk '$1 == "total" { print $2 + 0 }' "$WORK/out")
check test "$kept" -gt 40
# the back-translation of r01 equals the test record "leak": dropped
check test "$(awk '$1 == "backtranslate" { print $4 }' "$WORK/out")" -eq 1

# --out: the same variants as a separate file, the dataset untouched
run 0 data augment "$WORK/ws.yaml" --out "$WORK/aug.jsonl"
expect out "wrote $kept records to $WORK/aug.jsonl"
check test "$(wc -l < "$WORK/aug.jsonl")" -eq "$kept"
check cmp -s "$data" "$WORK/before.jsonl"
CHECKS=$((CHECKS + 1))
if grep -E '"source_id":"(r05|r10|r15|r20|r25|r30|r35|r40|leak)"' "$WORK/aug.jsonl"; then
    echo "FAIL: a variant of a valid or test record"
    FAILS=$((FAILS + 1))
fi
check grep -q '"id":"d1-aug1","context":\[{"role":"user","content":"book a car"},{"role":"assistant","content":"which day?"},{"role":"user","content":' "$WORK/aug.jsonl"
CHECKS=$((CHECKS + 1))
if grep -q '"Reserve an inexpensive flight to Paris for the kids please."' "$WORK/aug.jsonl"; then
    echo "FAIL: a variant equal to a test record was kept"
    FAILS=$((FAILS + 1))
fi

# into the dataset through the store; then a second run adds nothing new
run 0 data augment "$WORK/ws.yaml"
expect out "added $kept records to $WORK/data.jsonl"
run 0 data check "$WORK/data.jsonl"
expect out "$((42 + kept)) records, 0 bad lines"
check test "$(grep -c '"augmented"' "$WORK/data.jsonl")" -eq "$kept"
check test "$(grep '"augmented"' "$WORK/data.jsonl" | grep -vc '"split":"train"')" -eq 0
run 0 data augment "$WORK/ws.yaml"
expect out "$kept variants themselves not augmented again"
expect out "added 0 records"

# --only and --methods
cp "$WORK/before.jsonl" "$data"
run 0 data augment "$WORK/ws.yaml" --only refund --methods synonym --per-record 1 --dry-run
expect out "8 training records augmented"
expect out "with other actions left out (--only)"
refute out "] r01:"
run 1 data augment "$WORK/ws.yaml" --only fly --dry-run
expect err "no training record has the action 'fly'"
run 2 data augment "$WORK/ws.yaml" --methods magic
expect err "unknown augmentation method 'magic'"
run 2 data augment "$WORK/ws.yaml" --per-record 0

# translators that fail: a clear error and exit 1, nothing written
run 1 data augment "$WORK/ws.yaml" --set translator=/nonexistent/mt
expect err "cannot run translator '/nonexistent/mt': No such file or directory"
run 1 data augment "$WORK/ws.yaml" --set "translator=/bin/sh $SRCDIR/tests/fakes/translator-hang.sh" \
    --set translate_timeout_ms=200
expect err "did not answer request 1 within 200 ms"
run 1 data augment "$WORK/ws.yaml" --set "translator=/bin/sh $SRCDIR/tests/fakes/translator-crash.sh"
expect err "killed by signal 11"
run 1 data augment "$WORK/ws.yaml" --set "translator=/bin/sh '$SRCDIR/tests/fakes/translator-garbage.sh'"
expect err "answered garbage on line 1 of its output"
run 1 data augment "$WORK/ws.yaml" --set translator=
expect err "backtranslate needs augment.translator"
check cmp -s "$data" "$WORK/before.jsonl"

# a file without splits is not augmented
sed 's/,"split":"[a-z]*"//' "$WORK/before.jsonl" > "$WORK/nosplit.jsonl"
run 1 data augment "$WORK/nosplit.jsonl" --methods eda
expect out "42 records have no split and were left alone: run 'agentft data split' first"
expect err "no training records to augment"

finish
