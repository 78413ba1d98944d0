# Fake reward environment for tests/unit/test_env: answers every request
# with reward 1 for the action "good" and 0 otherwise (one-step episodes).
while IFS= read -r line; do
    id=$(printf '%s\n' "$line" | sed 's/.*"id":"\([^"]*\)".*/\1/')
    case "$line" in
    *'"action":"good"'*) r=1 ;;
    *) r=0 ;;
    esac
    printf '{"id":"%s","reward":%s}\n' "$id" "$r"
done
