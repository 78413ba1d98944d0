# End-to-end: agentft data check, stats and split on real files.
. "$SRCDIR/tests/e2e/lib.sh"

EX="$SRCDIR/examples/flight-agent"

# A good file and a file with one of each kind of bad line.
printf '%s\n' \
  '{"id":"a","context":"book me a flight","agent_action":"book_flight","complexity":1}' \
  '{"id":"b","context":"cancel it","agent_action":"cancel_booking"}' > "$WORK/good.jsonl"
printf '%s\n' \
  '{"context":"ok","agent_action":"x"}' \
  '{"context":"no action"}' \
  '{"context":"broken", "agent_action":' \
  '{"context":"c","agent_action":"x","complexity":"hard"}' \
  '{"context":5,"agent_action":"x"}' > "$WORK/bad.jsonl"
printf '{"context":"\377","agent_action":"x"}\n' >> "$WORK/bad.jsonl"

run 0 data check "$WORK/good.jsonl"
expect out "good.jsonl: 2 records, 0 bad lines, 0 warnings: ok"

run 1 data check "$WORK/bad.jsonl"
expect err "bad.jsonl:2:"
expect err "agent_action"
expect err "bad.jsonl:3:"
expect err "bad.jsonl:4:"
expect err "complexity"
expect err "bad.jsonl:5:"
expect err "bad.jsonl:6:"
expect out "1 records, 5 bad lines"

run 1 data check --strict "$WORK/bad.jsonl"
expect err "bad.jsonl:2:"
refute err "bad.jsonl:3:"

: > "$WORK/empty.jsonl"
run 1 data check "$WORK/empty.jsonl"
expect err "empty.jsonl:1:1:"

run 1 data check "$WORK/missing.jsonl"
expect err "missing.jsonl"

# The bad lines survive a split untouched.
cp "$WORK/bad.jsonl" "$WORK/bad-copy.jsonl"
run 0 data split "$WORK/bad-copy.jsonl" --valid 0 --test 0
expect err "5 bad lines are kept"
check test "$(sed -n 2p "$WORK/bad-copy.jsonl")" = '{"context":"no action"}'
check test "$(sed -n 3p "$WORK/bad-copy.jsonl")" = '{"context":"broken", "agent_action":'

run 0 data stats "$WORK/good.jsonl"
expect out "2 records in 1 file, 2 actions"
expect out "book_flight"
expect out "(1 computed from context length)"

run 0 data stats --json "$WORK/good.jsonl"
expect out '"records":2'
expect out '{"action":"book_flight","count":1'

if [ -f "$EX/data.jsonl" ]; then
    run 0 data check "$EX/workspace.yaml"
    expect out "0 bad lines"
    run 0 data stats "$EX/workspace.yaml"
    expect out "search_flights"
    expect out "context length in words"

    # Split: counts add up, seeded, refuses to overwrite without --force.
    cp "$EX/data.jsonl" "$WORK/a.jsonl"
    cp "$EX/data.jsonl" "$WORK/b.jsonl"
    run 0 data split "$WORK/a.jsonl" --valid 0.1 --test 0.2 --seed 7
    expect out "strata by action and complexity, seed 7"
    total=$(wc -l < "$EX/data.jsonl")
    n_test=$(grep -c '"split":"test"' "$WORK/a.jsonl")
    n_valid=$(grep -c '"split":"valid"' "$WORK/a.jsonl")
    n_train=$(grep -c '"split":"train"' "$WORK/a.jsonl")
    check test $((n_test + n_valid + n_train)) -eq "$total"
    want_test=$(( (total * 2 + 5) / 10 ))
    check test "$n_test" -ge $((want_test - 1))
    check test "$n_test" -le $((want_test + 1))
    run 0 data split "$WORK/b.jsonl" --valid 0.1 --test 0.2 --seed 7
    check cmp -s "$WORK/a.jsonl" "$WORK/b.jsonl"
    check test ! -e "$WORK/a.jsonl.journal"
    run 1 data split "$WORK/a.jsonl"
    expect err "already have a split"
    expect err "--force"
    check cmp -s "$WORK/a.jsonl" "$WORK/b.jsonl"
    run 0 data split "$WORK/a.jsonl" --force --seed 8
    expect out "replaced $total earlier splits"
    run 0 data stats "$WORK/a.jsonl"
    expect out "split:      train"
else
    echo "SKIP part: $EX/data.jsonl not found"
fi

run 2 data split "$WORK/good.jsonl" --valid abc
expect err "--valid expects a number, got 'abc'"
run 1 data split "$WORK/good.jsonl" --valid 0.6 --test 0.5
expect err "leaves no training records"

# A workspace with separate files, as ../shared/datasets lays them out.
B77="$SRCDIR/../shared/datasets/banking77"
if [ -f "$B77/train.jsonl" ]; then
    cat > "$WORK/b77.yaml" <<YAML
dataset:
  train: $B77/train.jsonl
  valid: $B77/valid.jsonl
  test: $B77/test.jsonl
YAML
    run 0 data stats "$WORK/b77.yaml"
    expect out "13083 records in 3 files, 77 actions"
    expect out "split:      train 9000, valid 1003, test 3080, none 0"
    run 1 data split "$WORK/b77.yaml"
    expect err "separate train/valid/test files"
else
    echo "SKIP part: $B77 not found (../shared/datasets absent)"
fi

finish
