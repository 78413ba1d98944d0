# Fake translator for tests/unit/test_translate: exits at once without
# reading, so that writing to it raises SIGPIPE.
exit 0
