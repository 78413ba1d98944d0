# Fake reward environment for tests/unit/test_env: two-step episodes. Step 0
# scores 0.5 and goes on with the observation "second"; step 1 scores 1 and
# ends the episode ("done" inside "info").
while IFS= read -r line; do
    id=$(printf '%s\n' "$line" | sed 's/.*"id":"\([^"]*\)".*/\1/')
    case "$line" in
    *'"step":0'*) printf '{"id":"%s","reward":0.5,"info":{"done":false,"observation":"second"}}\n' "$id" ;;
    *) printf '{"id":"%s","reward":1,"info":{"done":true}}\n' "$id" ;;
    esac
done
