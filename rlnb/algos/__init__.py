"rlnb.algos: one module per algorithm, each registering itself with the runner; importing this package registers them all."
from . import demo, ppo, awr, iql, sac, rrd, empo_exact, empo, awsc, dsrl  # noqa: F401  (registration)
