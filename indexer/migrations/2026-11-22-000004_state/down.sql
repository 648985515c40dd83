DROP TABLE sessions, models, hires, leases, slashes, epoch_rewards, stakes, staking_config, network;
