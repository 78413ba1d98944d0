# Fake reward environment for tests/unit/test_env: keeps its pipes open and
# never answers (exec, so killing it leaves no child behind).
exec sleep 600
