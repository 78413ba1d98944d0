# End-to-end: agentft tokenizer train, encode and convert on workspaces of
# each kind (one file without splits, one file with splits, separate files).
. "$SRCDIR/tests/e2e/lib.sh"

# A workspace over a small dataset with no split fields: every record trains.
mkdir "$WORK/ws"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    printf '{"id":"a%s","context":"please book a flight to Tokyo number %s","agent_action":"book_flight","expected_response":"Booking your flight to Tokyo.","reasoning":"a booking request"}\n' "$i" "$i"
    printf '{"id":"b%s","context":[{"role":"user","content":"取消订单%s"},{"role":"assistant","content":"好的"}],"agent_action":"cancel_booking"}\n' "$i" "$i"
done > "$WORK/ws/data.jsonl"
printf 'dataset:\n  path: data.jsonl\nmodel:\n  vocab_size: 300\n' > "$WORK/ws/ws.yaml"

run 0 tokenizer train "$WORK/ws/ws.yaml"
expect out "vocab:   300 tokens (256 bytes, 40 merged, 4 special)"
expect out "texts:   140 from 40 records"   # 20 x (context, action, response, reasoning) + 20 x (2 turns, action)
expect out "tokens per word"
expect out "time:"
expect out "wrote $WORK/ws/tokenizer.json"
check test -s "$WORK/ws/tokenizer.json"
check grep -q '"content":	"<|response|>"' "$WORK/ws/tokenizer.json"

# An existing file is kept unless --force; --set changes the size.
run 1 tokenizer train "$WORK/ws/ws.yaml"
expect err "tokenizer.json exists; use --force"
run 0 tokenizer train "$WORK/ws/ws.yaml" --force --set vocab_size=5000
expect out "5000 asked for, but no pair of tokens is left that occurs twice"
run 0 tokenizer train "$WORK/ws/ws.yaml" --out "$WORK/small.json" --set model.vocab_size=260
expect out "vocab:   260 tokens (256 bytes, 0 merged, 4 special)"
run 1 tokenizer train "$WORK/ws/ws.yaml" --out "$WORK/x.json" --set vocab_size=100
expect err "vocab_size"

# model.lowercase: an uncased vocabulary, kept in the file; case does not
# change the ids, and convert keeps the normalizer.
run 0 tokenizer train "$WORK/ws/ws.yaml" --out "$WORK/uncased.json" --set lowercase=true
expect out "vocab:   300 tokens (256 bytes, 40 merged, 4 special), uncased"
check grep -q '"type":	"Lowercase"' "$WORK/uncased.json"
run 0 tokenizer encode "$WORK/uncased.json" "PLEASE Book a FLIGHT to tokyo"
cp "$WORK/out" "$WORK/upper"
run 0 tokenizer encode "$WORK/uncased.json" "please book a flight to Tokyo"
check cmp -s "$WORK/out" "$WORK/upper"
run 0 tokenizer convert "$WORK/uncased.json" "$WORK/uncased2.json"
check cmp -s "$WORK/uncased.json" "$WORK/uncased2.json"

# Encoding: specials only when asked for; ids decode back (checked via convert).
run 0 tokenizer encode "$WORK/small.json" "<|endoftext|>"
refute out "256"
run 0 tokenizer encode "$WORK/small.json" "ab<|endoftext|>" --specials
expect out "64 65 256"
run 0 tokenizer encode "$WORK/small.json" "<|pad|><|action|><|response|>" --specials
expect out "257 258 259"
run 0 tokenizer encode "$WORK/ws/tokenizer.json" "please book a flight to Tokyo"
check test "$(wc -w < "$WORK/out")" -le 6

printf '"please book"\n"取消订单"\n""\n' | "$AGENTFT" tokenizer encode "$WORK/ws/tokenizer.json" --stdin-jsonl > "$WORK/lines"
check test "$(wc -l < "$WORK/lines")" -eq 3
check test "$(sed -n 3p "$WORK/lines")" = ""
printf '"ok"\n{"text":"no"}\n' | "$AGENTFT" tokenizer encode "$WORK/small.json" --stdin-jsonl > "$WORK/lines" 2> "$WORK/err"
check test $? -eq 1
expect err "stdin:2: expected a JSON string"

run 0 tokenizer convert "$WORK/ws/tokenizer.json" "$WORK/copy.json"
expect out "wrote $WORK/copy.json"
check cmp -s "$WORK/ws/tokenizer.json" "$WORK/copy.json"
run 1 tokenizer convert "$WORK/ws/tokenizer.json" "$WORK/copy.json"
expect err "exists; use --force"

# A file whose records carry splits: only the train split trains.
sed 's/"id":"a\([0-9]*\)"/"id":"a\1","split":"train"/; s/"id":"b\([0-9]*\)"/"id":"b\1","split":"valid"/' \
    "$WORK/ws/data.jsonl" > "$WORK/ws/split.jsonl"
printf 'dataset:\n  path: split.jsonl\nmodel:\n  vocab_size: 300\n' > "$WORK/ws/split.yaml"
run 0 tokenizer train "$WORK/ws/split.yaml" --out "$WORK/split.json"
expect out "texts:   80 from 20 records"

# Separate files: only dataset.train trains.
grep '"id":"a' "$WORK/ws/data.jsonl" | head -n 5 > "$WORK/ws/train.jsonl"
grep '"id":"b' "$WORK/ws/data.jsonl" > "$WORK/ws/valid.jsonl"
printf 'dataset:\n  train: train.jsonl\n  valid: valid.jsonl\nmodel:\n  vocab_size: 270\n' > "$WORK/ws/files.yaml"
run 0 tokenizer train "$WORK/ws/files.yaml" --out "$WORK/files.json"
expect out "texts:   20 from 5 records"

# Problems: the message says what and where; usage errors exit 2.
run 2 tokenizer train "$WORK/ws/data.jsonl"
expect err "is not a workspace"
run 2 tokenizer train
run 2 tokenizer encode "$WORK/small.json"
expect err "usage: agentft tokenizer encode"
run 2 tokenizer encode "$WORK/small.json" "x" --bogus
run 1 tokenizer encode "$WORK/missing.json" "x"
expect err "missing.json: No such file or directory"
printf '{"model": {"vocab": {"a": 0,}}}\n' > "$WORK/broken.json"
run 1 tokenizer encode "$WORK/broken.json" "x"
expect err "broken.json:1:30: invalid JSON"
mkdir "$WORK/emptydir"
run 1 tokenizer encode "$WORK/emptydir" "x"
expect err "neither tokenizer.json nor encoder.json"
printf '{"dataset":{"path":"none.jsonl"}}\n' > "$WORK/ws/nodata.yaml"
run 1 tokenizer train "$WORK/ws/nodata.yaml" --out "$WORK/n.json"
expect err "none.jsonl"

run 0 help tokenizer
expect out "usage: agentft tokenizer train"
expect out "usage: agentft tokenizer encode"
expect out "usage: agentft tokenizer convert"

finish
