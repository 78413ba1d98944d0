# End-to-end: the model's forward, backward and AdamW step agree with PyTorch
# on the same weights and batch (tests/torch_ref_driver writes them,
# tests/torch_reference.py recomputes them), with LoRA off and on.
# Skips (exit 77) where Debian's python3-torch is not installed.
. "$SRCDIR/tests/e2e/lib.sh"

PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -c "import torch, numpy" >/dev/null 2>&1; then
    echo "SKIP: $PY cannot import torch and numpy (apt-get install python3-torch)"
    exit 77
fi
DRIVER=$(dirname "$AGENTFT")/tests/torch_ref_driver

for rank in 0 4; do
    dir="$WORK/ref-lora$rank"
    if [ "$rank" -eq 0 ]; then
        check "$DRIVER" "$dir"
    else
        check "$DRIVER" "$dir" --lora "$rank"
    fi
    check "$PY" "$SRCDIR/tests/torch_reference.py" "$dir"
done

finish
