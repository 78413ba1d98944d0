# End-to-end: the workbench's augmentation review, driven inside tmux
# (helpers in tui_lib.sh), on a split copy of the bundled example with a
# small synonym file and the tiny WordNet of tests/data (no system WordNet
# needed). Candidates of one record: one rejected, one edited, one
# accepted, then written; the file gets exactly those two, as the CLI would
# make them; made again, the written one is a duplicate. Valid records get
# none, and say why; closing and quitting with candidates not written ask
# first; a hung translator is cancelled at once.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/tui_lib.sh"

WS="$WORK/ws"
mkdir -p "$WS"
cp "$SRCDIR/examples/flight-agent/workspace.yaml" "$SRCDIR/examples/flight-agent/data.jsonl" "$WS/"
DATA="$WS/data.jsonl"
run 0 data split "$DATA" --valid 0.1 --test 0.1 --seed 7
printf 'flight\tplane\tjourney\ttrip\nbook\treserve\tarrange\n' > "$WS/synonyms.tsv"
cat >> "$WS/workspace.yaml" <<EOF
augment:
  methods: synonym,eda
  per_record: 3
  synonyms: synonyms.tsv
  wordnet: $SRCDIR/tests/data/wordnet
EOF
cp "$DATA" "$WORK/before.jsonl"
OPEN="$WORK/run.sh $AGENTFT open $WS/workspace.yaml"

# What the CLI makes of the whole file, to compare with: a training record
# with three candidates whose texts need no JSON escapes.
run 0 data augment "$WS/workspace.yaml" --dry-run
ID=$(grep -v '["\\]' "$WORK/out" | sed -n 's/^\[[a-z_]*\] \(flt-[0-9]*\): .*/\1/p' | uniq -c |
     awk '$1 == 3 { print $2; exit }')
CHECKS=$((CHECKS + 1))
if [ -z "$ID" ] || [ "$(grep -c "^\[[a-z_]*\] $ID: " "$WORK/out")" -ne 3 ]; then
    echo "FAIL: no training record with three plain candidates in the dry run"
    FAILS=$((FAILS + 1))
    finish
fi
method() { grep "^\[[a-z_]*\] $ID: " "$WORK/out" | sed -n "${1}s/^\[\([a-z_]*\)\].*/\1/p"; }
text() { grep "^\[[a-z_]*\] $ID: " "$WORK/out" | sed -n "${1}s/^\[[a-z_]*\] $ID: //p"; }
VID=$(sed -n 's/.*"id":"\(flt-[0-9]*\)".*"split":"valid".*/\1/p' "$DATA" | head -n 1)

start 120 40 $UTF8 $OPEN
wait_for "3600 records"

# ---- a valid record: no candidates, and why ---------------------------------
$T send-keys -t aft '/'
wait_for "search:"
$T send-keys -t aft "$VID" Enter
wait_for "1 of 3600"
$T send-keys -t aft v
wait_for "no candidates of $VID"
wait_for "it is in the valid split"
wait_for "7 Augment"

# ---- every valid record in the list: none either ------------------------------
$T send-keys -t aft 1 X t t
wait_for "split=valid"
wait_for "360 of 3600"
$T send-keys -t aft V
wait_for "no candidates of the 360 records shown"
wait_for "360 valid/test records left alone"
$T send-keys -t aft 1 X
wait_for "3600 records"

# ---- candidates of one record: reject, edit, accept, write --------------------
$T send-keys -t aft '/'
wait_for "search:"
$T send-keys -t aft "$ID" Enter
wait_for "1 of 3600"
$T send-keys -t aft v
wait_for "3 candidates of $ID"
wait_for "candidate 1 of 3  $(method 1)  review"
check cmp -s "$DATA" "$WORK/before.jsonl"
$T send-keys -t aft r
wait_for "candidate 2 of 3  $(method 2)  review"
$T send-keys -t aft e
wait_for "Enter keeps (and accepts)"
$T send-keys -t aft End ' thanks' Enter
wait_for "candidate 2 edited and accepted"
$T send-keys -t aft j a
wait_for "0 to review, 2 accepted, 1 rejected"
check cmp -s "$DATA" "$WORK/before.jsonl"
$T send-keys -t aft w
wait_for "added 2 candidates to $DATA (saved)"
check test "$(wc -l < "$DATA")" -eq 3602
check test ! -e "$DATA.journal"
tail -n 2 "$DATA" > "$WORK/added"
check test "$(grep -c "\"augmented\":{\"method\":\"$(method 2)\",\"source_id\":\"$ID\"}" "$WORK/added")" -eq 1
check test "$(grep -c "\"augmented\":{\"method\":\"$(method 3)\",\"source_id\":\"$ID\"}" "$WORK/added")" -eq 1
check grep -qF "\"context\":\"$(text 2) thanks\"" "$WORK/added"
check grep -qF "\"context\":\"$(text 3)\"" "$WORK/added"
check test "$(grep -c '"split":"train"' "$WORK/added")" -eq 2
check test "$(grep -c "$ID-aug" "$WORK/added")" -eq 2
CHECKS=$((CHECKS + 1))
if grep -qF "\"context\":\"$(text 1)\"" "$DATA"; then
    echo "FAIL: the rejected candidate was written"
    FAILS=$((FAILS + 1))
fi
check test "$(grep -c '"augmented"' "$DATA")" -eq 2

# ---- again: the written variant is a duplicate now; unwritten ones hold ------
$T send-keys -t aft 1 v
wait_for "2 candidates of $ID (from 1 training record); 1 duplicate dropped"
$T send-keys -t aft q
wait_for "2 candidates are not written (w writes the accepted): quit anyway? (y/n)"
$T send-keys -t aft n
wait_for "cancelled"
$T send-keys -t aft Escape
wait_for "2 candidates are not written: drop them? (y/n)"
$T send-keys -t aft y
wait_for "augmentation review closed"
wait_for "2 Editor"
$T send-keys -t aft q
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0
check test "$(wc -l < "$DATA")" -eq 3602

# ---- back-translation through a translator that never answers: Esc stops it --
cat >> "$WS/workspace.yaml" <<EOF
  translator: /bin/sh $SRCDIR/tests/fakes/translator-hang.sh
  translate_timeout_ms: 600000
EOF
sed -i 's/^  methods: synonym,eda$/  methods: backtranslate/' "$WS/workspace.yaml"
start 120 40 $UTF8 $OPEN
wait_for "3602 records"
$T send-keys -t aft '/'
wait_for "search:"
$T send-keys -t aft "$ID" Enter
wait_for "3 of 3602"
$T send-keys -t aft g v
wait_for "making candidates of $ID: 0 of 1 records (Esc cancels)"
$T send-keys -t aft Escape
wait_for "no candidates of $ID (cancelled after 0 of 1 records)"
$T send-keys -t aft q
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0

finish
