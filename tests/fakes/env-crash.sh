# Fake reward environment for tests/unit/test_env: dies with status 3 on its
# first request, after a word on stderr.
read -r line
echo "fake env: giving up" >&2
exit 3
