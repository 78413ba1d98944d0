# End-to-end: the workbench (agentft open) driven inside tmux with send-keys
# and read back with capture-pane (helpers in tui_lib.sh). Every wait polls
# the screen (or a file) until the expected text shows up, with a deadline;
# none is a fixed sleep.
. "$SRCDIR/tests/e2e/lib.sh"

# The man page lists the keys of the key table (no terminal needed).
sed -n '/^\.\\" BEGIN TUI KEYS/,/^\.\\" END TUI KEYS/p' "$SRCDIR/man/agentft.1" | sed '1d;$d' \
    > "$WORK/man-keys"
run 0 open --keys-man
if ! cmp -s "$WORK/out" "$WORK/man-keys"; then
    echo "FAIL: the KEYS list in man/agentft.1 is out of date: replace the lines between"
    echo "      BEGIN TUI KEYS and END TUI KEYS with the output of 'agentft open --keys-man'"
    diff "$WORK/out" "$WORK/man-keys" | head -n 20
    FAILS=$((FAILS + 1))
fi

# Without a terminal, `agentft` alone prints the overview as before.
run 0
expect out "usage: agentft COMMAND"
expect out "open"

. "$SRCDIR/tests/e2e/tui_lib.sh"

WS="$WORK/ws"
mkdir -p "$WS"
cp "$SRCDIR/examples/flight-agent/workspace.yaml" "$SRCDIR/examples/flight-agent/data.jsonl" "$WS/"
DATA="$WS/data.jsonl"
OPEN="$WORK/run.sh $AGENTFT open $WS/workspace.yaml"

# ---- the panes, side by side --------------------------------------------------
start 120 40 $UTF8 $OPEN
wait_for "1 Dataset"
wait_for "2 Editor"
wait_for "3 Hyperparameters"
wait_for "4 Charts"
wait_for "5 Log"
wait_for "3600 records"
wait_for "F1Help"
wait_for "No run yet"

# ---- help overlay, generated from the key table ------------------------------
$T send-keys -t aft '?'
wait_for "Keys (Esc"
wait_for "search the text of the records"
$T send-keys -t aft Escape
wait_gone "Keys (Esc"

# ---- filtering ----------------------------------------------------------------
n=$(grep -c '北京' "$DATA")
$T send-keys -t aft '/'
wait_for "search:"
$T send-keys -t aft '北京' Enter
wait_for "$n of 3600"
wait_for 'text="北京"'
$T send-keys -t aft X
wait_for "3600 records"
n=$(grep -c '"agent_action": *"book_flight"' "$DATA")
$T send-keys -t aft f
wait_for "action:"
$T send-keys -t aft 'book_fl' Tab
wait_for "actions: book_flight"
$T send-keys -t aft Enter
wait_for "$n of 3600"
wait_for "action=book_flight"
$T send-keys -t aft X
wait_for "3600 records"

# ---- an edit of a Chinese record, journalled, then saved ----------------------
$T send-keys -t aft '/'
wait_for "search:"
$T send-keys -t aft 'flt-00004' Enter
wait_for "1 of 3600"
$T send-keys -t aft Enter
wait_for "record 4  flt-00004"
$T send-keys -t aft Enter
wait_for "Enter keeps"
$T send-keys -t aft End ' 谢谢' Enter
wait_for "context kept (journalled)"
check test -s "$DATA.journal"
$T send-keys -t aft s
wait_for "saved $DATA"
check sh -c "grep '\"flt-00004\"' '$DATA' | grep -q '经济舱。 谢谢'"
check test ! -e "$DATA.journal"
check test "$(wc -l < "$DATA")" -eq 3600

# ---- layout: tabs on a narrow terminal, a message on a tiny one ---------------
$T resize-window -t aft -x 80 -y 24
wait_for "5 Log" 1
wait_for "1 Data" 1
wait_for "7 Aug" 1
$T resize-window -t aft -x 50 -y 12
wait_for "Terminal too small: 50x12"
$T resize-window -t aft -x 60 -y 16
wait_for "1 Data" 1
$T resize-window -t aft -x 120 -y 40
wait_for "agentft  flight-agent" 1
wait_for "4 Charts"

# ---- quitting ----------------------------------------------------------------
$T send-keys -t aft q
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0

# ---- `agentft` alone in a terminal opens the bundled example ------------------
# (found beside the binary in a build tree, or where `make install` puts it)
if [ -f "$(dirname "$AGENTFT")/examples/flight-agent/workspace.yaml" ]; then
    start 120 40 $UTF8 $WORK/run.sh $AGENTFT
    wait_for "flight-agent" 1
    wait_for "3600 records"
    $T send-keys -t aft q
    wait_file "$WORK/exit"
    check test "$(cat "$WORK/exit")" -eq 0
fi

# ---- charts from a run's metrics.jsonl ------------------------------------
RUN="$WS/runs/fake"
mkdir -p "$RUN"
awk 'BEGIN {
    for (s = 1; s <= 120; s++) {
        printf "{\"step\":%d,\"kind\":\"train\",\"loss\":%.4f,\"lr\":0.001,\"grad_norm\":1.5,\"tokens_per_s\":9000}\n", s, 3 / (1 + s / 20)
        if (s % 40 == 0) printf "{\"step\":%d,\"kind\":\"val\",\"loss\":%.4f,\"accuracy\":%.3f,\"macro_f1\":%.3f,\"patience_left\":3}\n", s, 3 / (1 + s / 25), s / 150, s / 170
        if (s == 60) printf "{\"step\":60,\"kind\":\"event\",\"event\":\"set\",\"key\":\"lr\",\"old\":\"0.001\",\"new\":\"0.0005\"}\n"
    }
}' > "$RUN/metrics.jsonl"
start 120 40 $UTF8 $OPEN
wait_for "fake  step 120"
wait_for "set lr 0.001 -> 0.0005"
wait_for "val_loss"
$T send-keys -t aft q
wait_file "$WORK/exit"

# ---- plain terminals: vt100 without UTF-8, and a TERM with no terminfo ------
start 100 30 LANG=C LC_ALL=C TERM=vt100 $OPEN
wait_for "3600 records"
wait_for "4 Charts"
check sh -c "! $T capture-pane -p -t aft | grep -q '…'"
$T send-keys -t aft q
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0

# NO_COLOR: attributes only (bold, reverse...), no colour escapes at all.
start 100 30 $UTF8 NO_COLOR=1 $OPEN
wait_for "3600 records"
esc=$(printf '\033')
check sh -c "! $T capture-pane -p -e -t aft | grep -q '$esc\\[\\(3[0-7]\\|4[0-7]\\|38;5\\|48;5\\)'"
check sh -c "$T capture-pane -p -e -t aft | grep -q '$esc\\[7m'"
$T send-keys -t aft q
wait_file "$WORK/exit"

start 100 30 $UTF8 TERM=no-such-terminal-xyz $OPEN
wait_for "has no terminfo entry"
wait_for "3600 records"
$T send-keys -t aft q
wait_file "$WORK/exit"
check grep -q "no terminfo entry" "$WORK/stderr"

# ---- a run started from the workbench, its lr changed live ------------------
"$AGENTFT" data split "$DATA" --valid 0.1 --test 0.1 --seed 7 >/dev/null 2>&1
rm -rf "$WS/runs"
lr_row=$("$AGENTFT" config keys | grep -n '^optimizer\.lr ' | cut -d: -f1)
start 120 40 $UTF8 $OPEN --set max_steps=40 --set eval_every=20 --set threads=2
wait_for "3600 records"
$T send-keys -t aft F5
wait_for "run started"
$T send-keys -t aft F6
wait_for "paused  step"
$T send-keys -t aft 3
i=1
while [ "$i" -lt "$lr_row" ]; do $T send-keys -t aft Down; i=$((i + 1)); done
$T send-keys -t aft Enter C-u '2e-4' Enter
wait_for "lr = 2e-4: applied to the run"
$T send-keys -t aft F6
wait_for "finished  step 40/"
wait_for "set lr"
check sh -c "grep '\"event\":\"set\"' '$WS'/runs/*/metrics.jsonl | grep -q '\"key\":\"lr\"'"
$T send-keys -t aft q
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0

# ---- SIGHUP (the SSH connection dropped): the run trains on to its end -----
rm -rf "$WS/runs"
start 120 40 $UTF8 $OPEN --set max_steps=30 --set eval_every=15 --set threads=2
wait_for "3600 records"
$T send-keys -t aft F5
wait_for "running  step"
wait_file "$WORK/pid"
kill -HUP "$(pgrep -P "$(cat "$WORK/pid")")"
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 129
check sh -c "tail -n 3 '$WS'/runs/*/metrics.jsonl | grep -q '\"step\":30,'"

# ---- agentft watch: the run that trained on after SIGHUP, from a new session -
RUN=$(ls -d "$WS"/runs/*/ | head -n 1)
start 120 40 $UTF8 "$WORK/run.sh" "$AGENTFT" watch "$RUN"
wait_for "step 30"
wait_for "ended"
$T send-keys -t aft q
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0
run 1 watch "$WORK/no-such-run"
expect err "not a run directory"

# ---- watch a live headless run and drive it through its control socket -----
"$AGENTFT" train "$WS/workspace.yaml" --run bg --quiet --set max_steps=30 --set eval_every=15 \
    --set threads=1 --set start_paused=true >"$WORK/bg.out" 2>&1 &
bg=$!
CHECKS=$((CHECKS + 1))
end=$(($(date +%s) + DEADLINE))
until [ -S "$WS/runs/bg/control.sock" ] || [ "$(date +%s)" -gt "$end" ]; do sleep 0.1; done
[ -S "$WS/runs/bg/control.sock" ] || { echo "FAIL: no control socket"; FAILS=$((FAILS + 1)); }
start 120 40 $UTF8 "$WORK/run.sh" "$AGENTFT" watch "$WS/runs/bg"
wait_for "live, paused"
$T send-keys -t aft F6
wait_for "resuming (run bg)"
wait_for "ended"
wait "$bg"
check test $? -eq 0
check grep -q '"event":"resume"' "$WS/runs/bg/metrics.jsonl"
$T send-keys -t aft q
wait_file "$WORK/exit"

# ---- Q detaches on purpose: the run goes on in a background process --------
rm -rf "$WS/runs"
start 120 40 $UTF8 $OPEN --set max_steps=30 --set eval_every=15 --set threads=1
wait_for "3600 records"
$T send-keys -t aft F5
wait_for "running  step"
$T send-keys -t aft Q
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0
check grep -q "detached: the run trains on in process" "$WORK/stderr"
CHECKS=$((CHECKS + 1))
end=$(($(date +%s) + DEADLINE))
until tail -n 3 "$WS"/runs/*/metrics.jsonl 2>/dev/null | grep -q '"step":30,' ||
    [ "$(date +%s)" -gt "$end" ]; do sleep 0.1; done
tail -n 3 "$WS"/runs/*/metrics.jsonl | grep -q '"step":30,' ||
    { echo "FAIL: the detached run did not reach step 30"; FAILS=$((FAILS + 1)); }
check grep -q 'resumed at step' "$WS"/runs/*/train.log

# ---- SIGTERM: the terminal is restored and the status says so ---------------
start 100 30 $UTF8 $OPEN
wait_for "3600 records"
wait_file "$WORK/pid"
kill -TERM "$(pgrep -P "$(cat "$WORK/pid")")"
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 143

finish
