# Fake reward environment for tests/unit/test_env: answers a request with a
# line that is not JSON.
while IFS= read -r line; do
    echo "reward: lots"
done
