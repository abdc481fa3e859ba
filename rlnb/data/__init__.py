"rlnb.data: trajectory datasets in ManiSkill's format, evaluation, Monte-Carlo re-rollouts. Imports rlnb.core and rlnb.envs."
