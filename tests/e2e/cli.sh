# End-to-end: global options, help, and usage errors of the agentft command.
. "$SRCDIR/tests/e2e/lib.sh"

run 0 --help
expect out "usage: agentft COMMAND"
for c in "data check" "data stats" "data split" "config show" "config check" "config keys"; do
    expect out "$c"
done

run 0 --version
expect out "agentft 0."

run 0 help data split
expect out "usage: agentft data split"
expect out "--valid F"

run 0 help data
expect out "usage: agentft data check"
expect out "usage: agentft data stats"

run 0 data split --help
expect out "usage: agentft data split"

run 2 frobnicate
expect err "unknown command 'frobnicate'"
expect err "usage: agentft COMMAND"

run 2 --frobnicate
expect err "unknown option '--frobnicate'"

run 2 data
expect err "'data' needs a command"

run 2 data frob
expect err "unknown command 'data frob'"

run 2 data check --bogus x.jsonl
expect err "unknown option '--bogus'"
expect err "usage: agentft data check"

run 2 data check
expect err "expected one FILE or WS"

run 2 data split x.jsonl --valid
expect err "option '--valid' needs a value"

run 2 help nonsense
expect err "no such command 'nonsense'"

run 0 config keys
expect out "optimizer.lr"
expect out "[live]"

run 0 config keys --man
expect out ".TP"

finish
