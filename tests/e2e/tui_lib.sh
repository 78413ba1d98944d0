# Helpers for the workbench tests (tests/e2e/tui*.sh), sourced after lib.sh:
# the workbench runs in a private tmux server, keys go in with send-keys and
# the screen comes back with capture-pane. Every wait polls the screen (or
# a file) until the expected text shows up, with a deadline; none is a
# fixed sleep. Skips the test (status 77) where tmux or a UTF-8 locale is
# missing.

skip() {
    echo "$1: the workbench checks are skipped"
    [ "$FAILS" -eq 0 ] || finish
    exit 77
}
command -v tmux >/dev/null 2>&1 || skip "tmux not found"
locale -a 2>/dev/null | grep -qi '^c\.utf-\?8$' || skip "no C.UTF-8 locale"

SOCK="aft-e2e-$$"
T="tmux -L $SOCK -f /dev/null"
trap '$T kill-server >/dev/null 2>&1; rm -rf "$WORK"' EXIT
# Sanitizer builds are several times slower; the deadlines allow for it.
DEADLINE=${AFT_TUI_DEADLINE:-60}

screen() {
    $T capture-pane -p -t aft 2>/dev/null
}

# gone: the session ended (the program exited or crashed); says why.
gone() {
    $T has-session -t aft 2>/dev/null && return 1
    echo "FAIL: the workbench exited (status $(cat "$WORK/exit" 2>/dev/null)); stderr:"
    head -n 20 "$WORK/stderr" 2>/dev/null
    FAILS=$((FAILS + 1))
    return 0
}

# wait_grep F|E TEXT [LINE]: polls the screen until grep -F (a fixed string)
# or -E (an extended regular expression) finds TEXT, on LINE when given, or
# the deadline passes.
wait_grep() {
    CHECKS=$((CHECKS + 1))
    end=$(($(date +%s) + DEADLINE))
    while [ "$(date +%s)" -le "$end" ]; do
        gone && return 1
        if [ -n "${3:-}" ]; then
            screen | sed -n "${3}p" | grep -q"$1" -- "$2" && return 0
        else
            screen | grep -q"$1" -- "$2" && return 0
        fi
        sleep 0.1
    done
    echo "FAIL: timed out waiting for: $2${3:+ (line $3)}"
    echo "--- screen"; screen
    FAILS=$((FAILS + 1))
    return 1
}

# wait_for TEXT [LINE]: TEXT appears; wait_match REGEX [LINE]: a line matches.
wait_for() {
    wait_grep F "$@"
}
wait_match() {
    wait_grep E "$@"
}

# wait_gone TEXT: polls until TEXT is no longer on the screen.
wait_gone() {
    CHECKS=$((CHECKS + 1))
    end=$(($(date +%s) + DEADLINE))
    while [ "$(date +%s)" -le "$end" ]; do
        gone && return 1
        screen | grep -qF -- "$1" || return 0
        sleep 0.1
    done
    echo "FAIL: still on the screen: $1"
    FAILS=$((FAILS + 1))
    return 1
}

# wait_file FILE: polls until FILE exists.
wait_file() {
    CHECKS=$((CHECKS + 1))
    end=$(($(date +%s) + DEADLINE))
    while [ "$(date +%s)" -le "$end" ]; do
        [ -s "$1" ] && return 0
        sleep 0.1
    done
    echo "FAIL: timed out waiting for the file $1"
    echo "--- screen"; screen
    FAILS=$((FAILS + 1))
    return 1
}

# The session runs `sh -c 'agentft ...; echo $? > exit'`: written by hand
# because quoting through tmux and sh twice is easy to get wrong.
cat > "$WORK/run.sh" <<EOS
#!/bin/sh
echo \$\$ > "$WORK/pid"
"\$@" 2>"$WORK/stderr"
echo \$? > "$WORK/exit"
EOS
chmod +x "$WORK/run.sh"

# start COLS ROWS ENV=... COMMAND...: runs the command in a fresh tmux
# server with that terminal size and environment.
start() {
    cols=$1 rows=$2
    shift 2
    $T kill-server >/dev/null 2>&1
    rm -f "$WORK/exit" "$WORK/pid"
    $T new-session -d -s aft -x "$cols" -y "$rows" -c "$WORK" \
        env "$@" 2>/dev/null || { echo "FAIL: tmux did not start"; FAILS=$((FAILS + 1)); }
}

UTF8="LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color"
