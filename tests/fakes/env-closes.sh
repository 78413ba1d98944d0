# Fake reward environment for tests/unit/test_env: closes its standard
# output at once, then reads its input until it ends.
exec 1>&-
exec cat >/dev/null
