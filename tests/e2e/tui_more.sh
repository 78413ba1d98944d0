# End-to-end: more of the workbench inside tmux (helpers in tui_lib.sh):
# editing a dialogue context turn by turn (the file keeps a list of turns),
# the mouse (a click selects a record, focuses a pane, the wheel scrolls),
# switching themes while open (T and the form's theme key, NO_COLOR and 8
# colours honoured), and a second run overlaid on the charts.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/tui_lib.sh"

WS="$WORK/ws"
mkdir -p "$WS"
# The themes beside the workspace (one of the places the workbench looks):
# in a build outside the source tree (make distcheck) the binary has none
# beside it.
cp -r "$SRCDIR/themes" "$WS/themes"
DATA="$WS/data.jsonl"
cat > "$WS/workspace.yaml" <<'EOF'
name: more
dataset:
  path: data.jsonl
EOF
cat > "$DATA" <<'EOF'
{"id":"dlg-1","context":[{"role":"user","content":"我要去东京"},{"role":"assistant","content":"Which day?","name":"bot"},{"role":"user","content":"Friday"}],"agent_action":"search_flights","complexity":2}
{"id":"txt-2", "context": "Cancel my booking", "agent_action": "cancel_booking", "extra": {"kept": true}}
{"id":"txt-3","context":"Where is my bag?","agent_action":"baggage_status"}
{"id":"txt-4","context":"Refund please","agent_action":"refund_request"}
{"id":"txt-5","context":"Seat by the window","agent_action":"change_seat"}
{"id":"txt-6","context":"Weather in Oslo","agent_action":"weather_lookup"}
{"id":"txt-7","context":"Talk to a person","agent_action":"escalate_human"}
EOF
cp "$DATA" "$WORK/data.orig"
OPEN="$WORK/run.sh $AGENTFT open $WS/workspace.yaml"
esc=$(printf '\033')

# ---- a dialogue context, edited turn by turn ------------------------------------
start 140 40 $UTF8 $OPEN
wait_for "7 records"
$T send-keys -t aft 2
wait_for "record 1  dlg-1"
wait_for "user: 我要去东京"
$T send-keys -t aft Enter
wait_for "r role  R types one"
wait_for "user:       我要去东京"
# the second turn's content
$T send-keys -t aft Down Enter
wait_for "Enter keeps the turn"
$T send-keys -t aft End ' please' Enter
wait_for "record 1: changed turn 2 (journalled)"
# the journal holds the list of turns, not the text shown
check grep -qF '"key":"context","value":[{"role":"user"' "$DATA.journal"
# a turn added after it (the other speaker), typed, then given the next role
$T send-keys -t aft a
wait_for "Enter keeps the turn"
$T send-keys -t aft 'Book the first one' Enter
wait_for "record 1: added turn 3 (journalled)"
wait_for "user:       Book the first one"
$T send-keys -t aft r
wait_for "turn 3 is now assistant"
# an added turn given up with Esc is not written
$T send-keys -t aft a
wait_for "Enter keeps the turn"
$T send-keys -t aft 'never mind' Escape
wait_for "no turn added"
# the last turn removed, after the question
$T send-keys -t aft Down d
wait_for "remove turn 4 (user)? (y/n)"
$T send-keys -t aft y
wait_for "record 1: removed turn 4 (journalled)"
wait_gone "Friday"
# a role typed in
$T send-keys -t aft Up Up R
wait_for "Enter keeps the role"
$T send-keys -t aft C-u 'customer' Enter
wait_for "record 1: changed turn 1 (journalled)"
$T send-keys -t aft Escape
wait_for "Enter edits  +/- complexity"
$T send-keys -t aft s
wait_for "saved $DATA"
check grep -qF '"context":[{"role":"customer","content":"我要去东京"},{"role":"assistant","content":"Which day? please","name":"bot"},{"role":"assistant","content":"Book the first one"}]' "$DATA"
# every other line is untouched, byte for byte
sed 1d "$WORK/data.orig" > "$WORK/data.orig.rest"
check sh -c "sed 1d '$DATA' | cmp -s - '$WORK/data.orig.rest'"
check "$AGENTFT" data check "$DATA"

# ---- the mouse ------------------------------------------------------------------
# mouse COL ROW CODE: an xterm mouse report (1-based cell; code 0 = the
# first button pressed, 3 = released, 64/65 = wheel up/down) typed into the
# terminal; click COL ROW presses and releases, as a terminal reports it.
mouse() {
    b=$((32 + $3)) x=$((32 + $1)) y=$((32 + $2))
    $T send-keys -t aft -l "$(printf "${esc}[M\\$(printf %o $b)\\$(printf %o $x)\\$(printf %o $y)")"
}
click() {
    mouse "$1" "$2" 0
    mouse "$1" "$2" 3
}
$T send-keys -t aft 1
wait_for "F3Search" 40
$T send-keys -t aft m
wait_for "mouse on"
# the dataset's rows start on the sixth line of the screen: txt-4 is on the ninth
click 10 9
wait_for "record 4  txt-4"
# the wheel moves the list (and the editor follows)
mouse 10 9 65
wait_for "record 7  txt-7"
mouse 10 9 64
wait_for "record 4  txt-4"
# a click in the hyperparameters focuses them (their keys show in the bar)
click 100 25
wait_for "Write" 40
$T send-keys -t aft m
wait_for "mouse off"
# narrow: a click on a tab
$T resize-window -t aft -x 80 -y 24
wait_for "1 Data" 1
$T send-keys -t aft m
wait_for "mouse on"
click 12 1
wait_for "2 Editor" 2
wait_for "record 4  txt-4" 2
$T send-keys -t aft q q
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0

# ---- themes while open ------------------------------------------------------------
# colours256: whether the screen shows 256-colour escapes now
colours256() {
    $T capture-pane -p -e -t aft | grep -q "$esc\\[\\(38\\|48\\);5;"
}
any_colour() {
    $T capture-pane -p -e -t aft | grep -q "$esc\\[\\(3[0-7]\\|4[0-7]\\|38;5\\|48;5\\)"
}
start 140 40 $UTF8 $OPEN --theme dark
wait_for "7 records"
check colours256
$T send-keys -t aft T
wait_for "theme high-contrast" 39
$T send-keys -t aft T
wait_for "theme light" 39
check colours256
$T send-keys -t aft T
wait_for "theme mono" 39
check sh -c "! $T capture-pane -p -e -t aft | grep -q '$esc\\[\\(3[0-7]\\|4[0-7]\\|38;5\\|48;5\\)'"
check sh -c "$T capture-pane -p -e -t aft | grep -q '$esc\\[7m'"
$T send-keys -t aft T
wait_for "theme dark" 39
check any_colour
# the form's theme key: applied at once, a theme that does not exist refused
theme_row=$("$AGENTFT" config keys | grep -n '^theme ' | cut -d: -f1)
$T send-keys -t aft 3
i=1
while [ "$i" -lt "$theme_row" ]; do $T send-keys -t aft Down; i=$((i + 1)); done
$T send-keys -t aft Enter C-u 'no-such-theme' Enter
wait_for "theme 'no-such-theme' not found" 39
$T send-keys -t aft C-u 'mono' Enter
wait_for "theme mono" 39
check sh -c "! $T capture-pane -p -e -t aft | grep -q '$esc\\[\\(3[0-7]\\|4[0-7]\\|38;5\\|48;5\\)'"
$T send-keys -t aft w
wait_for "wrote $WS/workspace.yaml"
check grep -q '^theme: mono' "$WS/workspace.yaml"
$T send-keys -t aft q
wait_file "$WORK/exit"
sed -i '/^theme:/d' "$WS/workspace.yaml"

# NO_COLOR stays honoured after a switch; an 8-colour terminal gets 8 colours
start 140 40 $UTF8 NO_COLOR=1 $OPEN --theme light
wait_for "7 records"
$T send-keys -t aft T
wait_for "theme mono" 39
$T send-keys -t aft T
wait_for "NO_COLOR is set" 39
check sh -c "! $T capture-pane -p -e -t aft | grep -q '$esc\\[\\(3[0-7]\\|4[0-7]\\|38;5\\|48;5\\)'"
$T send-keys -t aft q
wait_file "$WORK/exit"
start 140 40 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm $OPEN --theme dark
wait_for "7 records"
$T send-keys -t aft T
wait_for "theme high-contrast (8 colours)" 39
$T send-keys -t aft q
wait_file "$WORK/exit"

# ---- two runs overlaid on the charts --------------------------------------------
# run NAME LOSS_SCALE LAST_STEP: a finished run's metrics
fake_run() {
    mkdir -p "$WS/runs/$1"
    awk -v scale="$2" -v last="$3" 'BEGIN {
        for (s = 1; s <= last; s++) {
            printf "{\"step\":%d,\"kind\":\"train\",\"loss\":%.4f,\"lr\":0.001,\"grad_norm\":1.5,\"tokens_per_s\":9000}\n", s, scale / (1 + s / 20)
            if (s % 40 == 0) {
                printf "{\"step\":%d,\"kind\":\"val\",\"loss\":%.4f,\"accuracy\":%.3f,\"macro_f1\":%.3f,\"patience_left\":3}\n", s, scale / (1 + s / 25), s / 200, s / 220
                printf "{\"step\":%d,\"kind\":\"event\",\"event\":\"best\",\"metric\":\"val_loss\",\"value\":%.4f}\n", s, scale / (1 + s / 25)
            }
            if (s == 60) printf "{\"step\":60,\"kind\":\"event\",\"event\":\"set\",\"key\":\"lr\",\"old\":\"0.001\",\"new\":\"0.0005\"}\n"
        }
    }' > "$WS/runs/$1/metrics.jsonl"
}
fake_run alpha 3 120
fake_run beta 2 160
touch -d '2 minutes ago' "$WS/runs/alpha/metrics.jsonl"
start 200 50 $UTF8 $OPEN --run alpha --theme dark
wait_for "alpha  step 120  ended"
$T send-keys -t aft 4 c
wait_for "Overlay which run?"
wait_for "beta         best val_loss 0.2703"
wait_for "alpha        best val_loss 0.5172  (shown)"
# the run shown is not a second run
$T send-keys -t aft Down Enter
wait_for "alpha is the run shown"
$T send-keys -t aft Up Enter
wait_for "overlaid run beta (C removes it)"
wait_for "alpha  step 120  ended  vs beta"
wait_for "vs beta:  smooth"
# the second run in the compare colour (dark: #ff8700, colour 208)
check sh -c "$T capture-pane -p -e -t aft | grep -q '38;5;208m'"
# zoom and scroll keep it, and the markers stay on the first run's steps
$T send-keys -t aft + Left
wait_for "vs beta  (zoomed)"
wait_for "vs beta:  smooth"
wait_for "| @60 set lr 0.001 -> 0.0005"
$T send-keys -t aft 0
wait_gone "(zoomed)"
$T send-keys -t aft C
wait_for "run beta no longer overlaid"
wait_gone "vs beta"
# Esc leaves the chooser without a change
$T send-keys -t aft c
wait_for "Overlay which run?"
$T send-keys -t aft Escape
wait_gone "Overlay which run?"
$T send-keys -t aft q
wait_file "$WORK/exit"
check test "$(cat "$WORK/exit")" -eq 0

finish
