#!/bin/sh
# Regenerates the key list of man/agentft-formats.5 from the schema, through
# the built agentft, so the man page cannot drift from the code.
set -e
cd "$(dirname "$0")/.."
page=man/agentft-formats.5
keys=$(./agentft config keys --man)
awk -v keys="$keys" '
    /^\.\\" BEGIN KEYS/ { print; print keys; skip = 1; next }
    /^\.\\" END KEYS/ { skip = 0 }
    !skip { print }
' "$page" > "$page.new"
mv "$page.new" "$page"
