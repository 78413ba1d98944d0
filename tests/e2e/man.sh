# End-to-end: the man pages are in step with the code (every key of the
# schema and every command is documented).
. "$SRCDIR/tests/e2e/lib.sh"

page="$SRCDIR/man/agentft-formats.5"
sed -n '/^\.\\" BEGIN KEYS/,/^\.\\" END KEYS/p' "$page" | sed '1d;$d' > "$WORK/man-keys"
run 0 config keys --man
if ! cmp -s "$WORK/out" "$WORK/man-keys"; then
    echo "FAIL: the key list in man/agentft-formats.5 is out of date; run tools/update-man-keys.sh"
    diff "$WORK/out" "$WORK/man-keys" | head -n 20
    FAILS=$((FAILS + 1))
fi

run 0 --help
awk '/^commands:/ { f = 1; next } f && /^  [a-z]/ { print substr($0, 3, 17) }' "$WORK/out" |
    sed 's/ *$//' > "$WORK/commands"
check test -s "$WORK/commands"
while read -r c; do
    [ "$c" = help ] && continue
    CHECKS=$((CHECKS + 1))
    grep -q "^\.B[IR]* \"$c " "$SRCDIR/man/agentft.1" ||
        { echo "FAIL: man/agentft.1 does not document '$c'"; FAILS=$((FAILS + 1)); }
done < "$WORK/commands"

finish
