"rlnb.policies: networks, advantage estimation, policies from checkpoints, the Gaussian-policy algorithm base. Imports core, envs, data."
