# Fake translator for tests/unit/test_translate: answers every request
# ("ok ID"), then exits with status 4 when its input ends.
while read -r line; do
    id=$(printf '%s\n' "$line" | sed 's/^{"id":\([0-9]*\),.*$/\1/')
    printf '{"id":%s,"text":"ok %s"}\n' "$id" "$id"
done
echo "fake: failing at the end" >&2
exit 4
