# End to end: the ops-agent example, supervised fine-tuning then PPO against
# its simulated environment (examples/ops-agent/ops_env, built by make). The
# greedy evaluation episodes over the valid incidents (the same episodes at
# every evaluation) must score more after PPO than at its supervised start.
# Shortened: 6 epochs, 15 updates, one thread, seeded.
. "$SRCDIR/tests/e2e/lib.sh"

env_bin="$(dirname "$AGENTFT")/examples/ops-agent/ops_env"
ex="$SRCDIR/examples/ops-agent"
cp "$ex/sft.yaml" "$ex/ppo.yaml" "$ex/data.jsonl" "$WORK/" && cp "$env_bin" "$WORK/ops_env" ||
    { echo "FAIL: the example or its ops_env is missing"; exit 1; }

run 0 train "$WORK/sft.yaml" --run sft --quiet --set epochs=6 --set threads=1
run 0 train "$WORK/ppo.yaml" --run ppo --quiet --set updates=15 --set threads=1
expect out "best val_reward"
metrics="$WORK/runs/ppo/metrics.jsonl"

# one "ppo" line per update, with the figures the charts show
check test "$(grep -c '"kind":"ppo"' "$metrics")" -eq 15
for f in reward_mean reward_std kl kl_coef entropy clip_fraction value_loss explained_variance \
    timeouts; do
    check grep -q "\"$f\":" "$metrics"
done

# evaluations at updates 0 (the supervised model), 5, 10 and 15
rewards=$(grep '"kind":"val"' "$metrics" | sed -n 's/.*"reward":\([-0-9.e]*\).*/\1/p')
check test "$(echo "$rewards" | wc -l)" -eq 4
start=$(echo "$rewards" | head -n 1)
end=$(echo "$rewards" | tail -n 1)
echo "mean reward over the valid incidents: $start (supervised) -> $end (PPO, 15 updates)"
check awk -v a="$start" -v b="$end" 'BEGIN { exit !(b > a + 0.1) }'

# the reference policy is kept with the run; the checkpoints resume
check test -f "$WORK/runs/ppo/reference/model.safetensors"
run 0 resume "$WORK/runs/ppo" --set updates=16
expect out "update 16/16: loss "
refute out "epoch"
check test "$(grep -c '"kind":"ppo"' "$metrics")" -eq 16

# an environment that cannot run is a clear error, not a run
run 1 train "$WORK/ppo.yaml" --run bad --quiet --set env=./no-such-env
expect err "cannot run reward environment './no-such-env' in $WORK: No such file"

finish
