# Fake translator for tests/unit/test_translate: reads two requests, then
# answers them in reverse order ("pair ID"); needs two requests in flight.
reply() {
    id=$(printf '%s\n' "$1" | sed 's/^{"id":\([0-9]*\),.*$/\1/')
    printf '{"id":%s,"text":"pair %s"}\n' "$id" "$id"
}
while read -r a && read -r b; do
    reply "$b"
    reply "$a"
done
