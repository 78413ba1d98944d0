# Fake translator for tests/unit/test_translate: answers its first request
# with a line that is not JSON, then reads on.
read -r line
echo 'this is not JSON'
exec cat >/dev/null
