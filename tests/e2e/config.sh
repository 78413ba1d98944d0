# End-to-end: agentft config show, check and --set on workspaces.
. "$SRCDIR/tests/e2e/lib.sh"

printf '%s\n' '{"context":"hi","agent_action":"greet"}' > "$WORK/d.jsonl"
cat > "$WORK/ws.yaml" <<'YAML'
# a small workspace
dataset:
  path: d.jsonl
optimizer:
  lr: 0.001
seed: 3
YAML

run 0 config show "$WORK/ws.yaml"
expect out "lr: 0.001"
expect out "ws.yaml:5"
expect out "# default"

run 0 config show "$WORK/ws.yaml" --set lr=1e-4 --set model.n_layer=6
expect out "# --set"
expect out "n_layer: 6"

run 1 config show "$WORK/ws.yaml" --set learning_rat=1
expect err "did you mean"

run 1 config show "$WORK/ws.yaml" --set lr=50
expect err "lr"
expect err "1e-08..10"

run 1 config show "$WORK/ws.yaml" --set lr
expect err "KEY=VALUE"

run 0 config check "$WORK/ws.yaml"
expect out "ws.yaml: ok (1 dataset file, 1 records)"

cat > "$WORK/bad.yaml" <<'YAML'
dataset:
  path: d.jsonl
optimizer:
  learing_rate: 0.1
model:
  n_layer: 500
YAML
run 1 config check "$WORK/bad.yaml"
expect err "bad.yaml:4:"
expect err "did you mean"
expect err "bad.yaml:6:"
expect err "1..48"

cat > "$WORK/cross.yaml" <<'YAML'
dataset: d.jsonl
model:
  d_model: 100
  n_head: 3
YAML
run 1 config check "$WORK/cross.yaml"
expect err "n_head"

cat > "$WORK/nodata.yaml" <<'YAML'
dataset:
  path: nothere.jsonl
YAML
run 1 config check "$WORK/nodata.yaml"
expect err "nothere.jsonl"

run 2 config show
expect err "expected one workspace file (WS.yaml), got 0 arguments"

run 1 config show "$WORK/absent.yaml"
expect err "absent.yaml"

if [ -f "$SRCDIR/examples/flight-agent/workspace.yaml" ]; then
    run 0 config check "$SRCDIR/examples/flight-agent/workspace.yaml"
    expect out ": ok"
fi

finish
