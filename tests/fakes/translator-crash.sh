# Fake translator for tests/unit/test_translate: dies of SIGSEGV on its first
# request, after a word on stderr.
ulimit -c 0 2>/dev/null  # no core file in the build tree
read -r line
echo "fake: crashing now" >&2
kill -SEGV $$
