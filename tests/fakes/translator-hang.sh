# Fake translator for tests/unit/test_translate: keeps its pipes open and
# never answers (exec, so that killing it leaves no child behind).
exec sleep 600
