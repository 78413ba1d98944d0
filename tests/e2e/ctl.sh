# End-to-end: agentft ctl, its usage errors and a run that is not live; with
# python3, also against a stand-in run that answers on RUN/control.sock like
# the trainer does (what is sent, what is printed, the exit status).
. "$SRCDIR/tests/e2e/lib.sh"

run 1 ctl /nonexistent pause
expect err "no live run at /nonexistent: control.sock missing (the run has finished or was never started)"
run 1 ctl "$WORK" set lr -1
expect err "no live run at $WORK: control.sock missing"

run 2 ctl
expect err "usage: agentft ctl"
run 2 ctl "$WORK"
run 2 ctl "$WORK" frob
expect err "unknown command 'frob' (expected one of: set, pause, resume, stop, checkpoint, eval, status)"
run 2 ctl "$WORK" set lr
expect err "set takes a KEY and a VALUE"
run 2 ctl "$WORK" pause now
expect err "pause takes no more arguments"
run 2 ctl "$WORK" pause --bogus
expect err "unknown option '--bogus'"
run 2 ctl "$WORK" pause --timeout 0
run 2 ctl "$WORK" pause --timeout
run 0 ctl --help
expect out "usage: agentft ctl RUN set KEY VALUE"
run 0 help ctl
expect out "--timeout S"

if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP (partly): the stand-in run needs python3"
    finish
fi
RUN="$WORK/run"
mkdir "$RUN"
if [ ${#RUN} -gt 90 ]; then
    echo "SKIP (partly): $RUN is too long a path for a Unix socket"
    finish
fi

# A stand-in run: answers one request per connection, logs what it got, and
# exits (removing its socket) after stop. It says "ready" through a FIFO once
# it listens, so nothing here waits by sleeping.
cat > "$WORK/run.py" <<'PY'
import json, os, socket, sys
path, log, ready = sys.argv[1:4]
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(4)
    state = "ready"
except OSError as e:
    state = "failed: %s" % e
with open(ready, "w") as r:
    r.write(state + "\n")
if state != "ready":
    sys.exit(1)
with open(log, "a") as out:
    while True:
        c, _ = s.accept()
        f = c.makefile("rwb")
        line = f.readline().decode()
        out.write(line)
        out.flush()
        req = json.loads(line)
        reply = {"ok": True}
        if req["cmd"] == "set" and req["key"] == "n_layer":
            reply = {"ok": False, "error": "n_layer cannot change during a run"}
        elif req["cmd"] == "status":
            reply = {"ok": True, "step": 12, "state": "running", "lr": 0.0001}
        f.write((json.dumps(reply, separators=(",", ":")) + "\n").encode())
        f.close()
        c.close()
        if req["cmd"] == "stop":
            break
os.unlink(path)
PY
mkfifo "$WORK/ready"
python3 "$WORK/run.py" "$RUN/control.sock" "$WORK/log" "$WORK/ready" &
pid=$!
read -r state < "$WORK/ready"
if [ "$state" != ready ]; then
    echo "FAIL: the stand-in run did not start: $state"
    FAILS=$((FAILS + 1))
    finish
fi

run 0 ctl "$RUN" pause
expect out "ok"
run 0 ctl "$RUN" set lr 1e-4
run 0 ctl "$RUN" set warmup_steps -5
run 0 ctl "$RUN" set optimizer.name "adam w"
run 0 ctl "$RUN" set eval.fast true
run 0 ctl "$RUN" set note -- -x
run 1 ctl "$RUN" set n_layer 6
expect err "agentft ctl: the run refused set: n_layer cannot change during a run"
run 0 ctl "$RUN" status
expect out "step: 12"
expect out "state: running"
expect out "lr: 0.0001"
refute out "ok"
run 0 ctl "$RUN" stop
# The stand-in exits by itself once it has answered stop.
[ "$status" -eq 0 ] || kill "$pid" 2>/dev/null
wait "$pid"
cp "$WORK/log" "$WORK/out"
expect out '{"cmd":"pause"}'
expect out '{"cmd":"set","key":"lr","value":0.0001}'
expect out '{"cmd":"set","key":"warmup_steps","value":-5}'
expect out '{"cmd":"set","key":"optimizer.name","value":"adam w"}'
expect out '{"cmd":"set","key":"eval.fast","value":true}'
expect out '{"cmd":"set","key":"note","value":"-x"}'
expect out '{"cmd":"stop"}'

run 1 ctl "$RUN" pause
expect err "control.sock missing"

# A socket left behind by a run that died: nobody answers.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$RUN/control.sock"
run 1 ctl "$RUN" eval
expect err "no live run at $RUN: control.sock not answering (the run is not live)"

finish
