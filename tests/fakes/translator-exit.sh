# Fake translator for tests/unit/test_translate: gives up with exit status 3
# on its first request.
read -r line
echo "fake: giving up" >&2
exit 3
