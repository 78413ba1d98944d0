# End-to-end: agentft bench on the tiny size (a couple of seconds): the
# table, the JSON figures that are fixed by the model's shape, bad options.
. "$SRCDIR/tests/e2e/lib.sh"

run 0 bench --size tiny --steps 2 --threads 1
expect out "sgemm"
expect out "tiny "
expect out "MFU"
run 0 bench --size tiny --steps 2 --threads 1 --json
cp "$WORK/out" "$WORK/bench.json"
jcheck "$WORK/bench.json" 'r["sizes"][0]["size"] == "tiny" and r["sizes"][0]["steps"] == 2'
jcheck "$WORK/bench.json" 'r["sizes"][0]["params"] == 931344 and r["sizes"][0]["tokens_per_s"] > 0'
jcheck "$WORK/bench.json" 'r["sizes"][0]["config"]["d_model"] == 128 and r["machine"]["cores"] >= 1'

run 2 bench --size bogus
expect err "unknown size 'bogus' (tiny, small, base or all)"
run 2 bench --steps 0
expect err "--steps 0 is out of range (1..100000)"
run 2 bench --threads 5000
run 2 bench extra
finish
