#!/usr/bin/env bash
# RRD on delayed PickLite with demonstrations (issue 16): 100 noisy scripted episodes, recorded with the dense reward and
# terminations ignored, sit beside the online data of all three arms (oracle SAC on the dense reward, SAC on the delayed
# reward, SAC on RRD's learned reward), half of every batch; then the oracle and K = 8 over 20,000 env steps. Run from
# the project root (about 45 min on 2 CPU cores):
#   bash experiments/rrd_picklite_demos.sh
# The sweeps land in runs/sweep-rrd_picklite_demos*; the findings page reads copies of their table.csv, final.csv and
# curves.csv in data/sweeps/.
set -euo pipefail
D=runs/rrd-picklite-demos
if [ ! -f $D.h5 ]; then
  # noise 0.5 on every action: the controller reaches the goal in most episodes but jitters out of it (mean return 7.6)
  rlnb record PickLite-v0 $D -n 100 --num-envs 50 --policy scripted --noise 0.5 --seed 0 --reward dense --ignore-terminations
fi
for s in rrd_picklite_demos_sac rrd_picklite_demos rrd_picklite_demos_sac_20k rrd_picklite_demos_20k; do
  rlnb sweep experiments/sweeps/$s.yaml --parallel 2
  mkdir -p data/sweeps/$s
  cp runs/sweep-$s/{table.csv,final.csv,sweep.yaml} data/sweeps/$s/
  python experiments/rrd_curves.py runs/sweep-$s data/sweeps/$s/curves.csv
done
