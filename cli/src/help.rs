//! Help text several commands share.

/// How amounts are written on the command line.
pub const AMOUNTS: &str = "Amounts are in whole tokens, as with spl-token and the Solana CLI: 1.5 = \
                       1.5 USDC, 200 = 200 network tokens. Base units take a `u` suffix: \
                       1500000u = 1.5 USDC (1 USDC = 1000000u, 1 network token = \
                       1000000000u, 1 SOL = 1000000000u lamports).";
