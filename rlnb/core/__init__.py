"rlnb.core: configs, the runner, checkpoints, logs, the experiment log and run folders. Imports nothing else of rlnb."
