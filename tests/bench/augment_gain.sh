#!/bin/bash
# Measures what augmentation buys on little data: a 10% slice of banking77's
# training set (../shared/datasets), trained with the banking77 example's
# config with and without `data augment --per-record 4 --methods synonym,eda`,
# three seeds each; prints test accuracy and macro-F1 and the means. Not part
# of `make check` (about 15 minutes on 2 cores). The figures in issue 7's note
# (57.70% -> 63.68%) were measured before the example became uncased.
#   tests/bench/augment_gain.sh [AGENTFT] [WORKDIR]
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
A=${1:-$here/agentft}
W=${2:-$(mktemp -d /tmp/augment_gain.XXXXXX)}
D=$here/../shared/datasets/banking77
if [ ! -f "$D/train.jsonl" ]; then
    echo "augment_gain: $D is absent, nothing measured"
    exit 0
fi
mkdir -p "$W"
cd "$W"
awk 'NR % 10 == 1' "$D/train.jsonl" > slice.jsonl
cp slice.jsonl slice_aug.jsonl
sed -e "s|../../../shared/datasets/banking77/train.jsonl|$W/TRAIN|" \
    -e "s|../../../shared/datasets/banking77/|$D/|g" \
    "$here/examples/banking77/workspace.yaml" > ws.tmpl
sed "s|TRAIN|slice.jsonl|" ws.tmpl > ws_plain.yaml
sed "s|TRAIN|slice_aug.jsonl|" ws.tmpl > ws_aug.yaml
"$A" data augment ws_aug.yaml --per-record 4 --methods synonym,eda --seed 1 | tail -n 2
echo "records: $(wc -l < slice.jsonl) plain, $(wc -l < slice_aug.jsonl) augmented"
# validate once an epoch, whatever the number of records
every_plain=$(( ($(wc -l < slice.jsonl) + 31) / 32 ))
every_aug=$(( ($(wc -l < slice_aug.jsonl) + 31) / 32 ))
for seed in 1 2 3; do
    for v in plain aug; do
        every=$every_plain
        [ "$v" = aug ] && every=$every_aug
        "$A" train "ws_$v.yaml" --test --quiet --run "$v-$seed" --set seed=$seed \
            --set eval_every=$every > "$v-$seed.out" 2>&1
        line=$(grep '^test ' "$v-$seed.out" | tail -n 1)
        echo "$v seed $seed: $line"
        echo "$v $line" >> results
    done
done
for v in plain aug; do
    grep "^$v " results | sed 's/.*accuracy \([0-9.]*\)%, macro-F1 \([0-9.]*\).*/\1 \2/' |
        awk -v v="$v" '{a += $1; f += $2; n++} END {printf "%s: mean accuracy %.2f%%, macro-F1 %.4f over %d seeds\n", v, a / n, f / n, n}'
done
