#!/usr/bin/env bash
# The checks that need a GPU, in one command (run it where CUDA is present; results are also written to $OUT or ./gpu_out):
#   bash benchmarks/gpu_checks.sh [env] [sac] [train] [ppo]      (no argument: all five)
# env:   the GPU, torch, torch.compile (inductor) on a toy function;
# sac:   benchmarks/sac_update.py on CUDA: rlnb's SAC update against the CleanRL-style reference (2 and 10 critics),
#        eager and with torch.compile (compile=default, compile=reduce-overhead), at 256 x 2; eager at 64 x 2;
# train: short SAC runs on PickLite, wall clock: device=auto (must pick CUDA) vs cpu, and on CUDA eager vs compile=reduce-overhead,
#        for SAC (UTD 1, 2 critics) and an RLPD-sized update (UTD 20, 10 critics with LayerNorm, actor every 20);
# pipeline: on CUDA, 50 noisy scripted PickLite demos, `QA_STEPS=500 rlnb pipeline iql-sac` on them, and online RRD
#        (SAC on a learned reward) eager vs compile=reduce-overhead;
# ppo:   benchmarks/ppo_update.py and benchmarks/replay_sample.py on CUDA.
# rlnb need not be installed: the script puts the repository on PYTHONPATH (torch, numpy, pandas, h5py, yaml, tqdm,
# tensorboard, gymnasium and ipywidgets must be importable).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu_out}; mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
py=${PYTHON:-python3}
parts=${*:-env sac train pipeline ppo}
has() { [[ " $parts " == *" $1 "* ]]; }
log() { echo; echo "== $*"; }

if has env; then
  log environment
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv 2>&1 | tee "$out/env.txt"
  $py - <<'EOF' 2>&1 | tee -a "$out/env.txt"
import time, torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), torch.cuda.get_device_name(0))
t = time.perf_counter()
f = torch.compile(lambda x: torch.sin(x) * 2 + 1)
x = torch.randn(1000, device="cuda")
assert torch.allclose(f(x), torch.sin(x) * 2 + 1)
print(f"torch.compile (inductor) on CUDA: works, first call {time.perf_counter() - t:.1f} s")
EOF
fi

if has sac; then
  log "SAC update, CUDA: eager and compiled at 256 x 2, eager at 64 x 2"
  (cd benchmarks && $py sac_update.py --device cuda --hidden 256 --repeats 100 --compile default reduce-overhead &&
   $py sac_update.py --device cuda --hidden 64 --repeats 100) 2>&1 | tee "$out/sac_update_cuda.txt"
fi

if has train; then
  log "SAC on PickLite: 2000 critic steps after 1000 random steps (UTD 1), and 6000 RLPD-sized ones (UTD 20, 10 critics)"
  common="-s grad_steps_SAC=2000 -s learning_starts=1000 -s eval_every=1000 -s runs_dir=/tmp/gpu-runs -s log_file=/tmp/gpu-runs/log.md -s quiet=true"
  rlpd="-s grad_steps_SAC=6000 -s utd=20 -s actor_every=20 -s n_critics=10 -s layer_norm=true -s actor_q=mean"
  for run in "auto none sac" "cpu none sac" "cuda reduce-overhead sac" "cuda none rlpd" "cuda reduce-overhead rlpd"; do
    set -- $run
    extra=""; [ "$3" = rlpd ] && extra="$rlpd"
    /usr/bin/time -f "device=$1 compile=$2 $3: %e s wall" $py -c "from rlnb.cli import main; raise SystemExit(main())" \
      train sac -s device=$1 -s compile=$2 $common $extra -s name=gpu-$3-$1-$2 2>&1 | grep -E "final:|wall|rror"
    grep -h '"hardware"' /tmp/gpu-runs/gpu-$3-$1-$2/run.json
  done 2>&1 | tee "$out/sac_picklite.txt"
fi

if has pipeline; then
  log "IQL -> SAC pipeline (QA_STEPS=500) and online RRD, CUDA"
  R="$py -c 'from rlnb.cli import main; raise SystemExit(main())'"
  common="-s runs_dir=/tmp/gpu-runs -s log_file=/tmp/gpu-runs/log.md -s quiet=true"
  {
    eval $R record PickLite-v0 /tmp/gpu-demos -n 50 --policy scripted --noise 0.3 --device cuda | tail -1
    QA_STEPS=500 /usr/bin/time -f "pipeline iql-sac, QA_STEPS=500: %e s wall" \
      $py -c 'from rlnb.cli import main; raise SystemExit(main())' pipeline iql-sac /tmp/gpu-demos.h5 -s iql.device=cuda -s sac.device=cuda 2>&1 | grep -E "final:|wall|rror"
    for mode in none reduce-overhead; do
      /usr/bin/time -f "rrd --online compile=$mode: %e s wall" $py -c 'from rlnb.cli import main; raise SystemExit(main())' \
        rrd --online -s grad_steps_SAC=1000 -s learning_starts=500 -s eval_every=500 -s compile=$mode $common -s name=gpu-rrd-$mode 2>&1 | grep -E "final:|wall|rror"
    done
  } 2>&1 | tee "$out/pipeline_cuda.txt"
fi

if has ppo; then
  log "PPO update phase and replay sampling, CUDA"
  (cd benchmarks && $py ppo_update.py --device cuda && $py replay_sample.py --device cuda) 2>&1 | tee "$out/ppo_replay_cuda.txt"
fi
