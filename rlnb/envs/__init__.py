"rlnb.envs: the batched protocol, PickLite, ManiSkill and gymnasium adapters, and `make_env` (rlnb.envs.registry). Imports rlnb.core."
