//! The gpunet client library: the one place that knows program ids, PDAs, instruction
//! layouts and account decoding, so tests, the CLI, the indexer and the agents never
//! rebuild them by hand.
//!
//! Address types: `anchor_lang::prelude::Pubkey` (solana-pubkey 3) and the client crates'
//! `Address`/`Pubkey` (solana-address 2 / solana-pubkey 4) resolve to the same type in this
//! workspace (solana-pubkey 3 and 4 both re-export solana-address 2's `Address`), so values
//! pass between them unchanged. `Pubkey` below is that one type.

pub use anchor_lang::event::EVENT_IX_TAG_LE;
pub use anchor_lang::prelude::Pubkey;
pub use anchor_lang::{AccountDeserialize, Discriminator};
pub use solana_instruction::{AccountMeta, Instruction};

mod anchor;
pub use anchor::{anchor_instruction, pda, program_data_address};
pub mod amount;
/// Epoch math, the same functions the programs execute (`programs/common`).
pub use common::epoch;
#[cfg(feature = "client")]
pub mod client;
mod decode;
pub use decode::{GpunetAccount, GpunetEvent, decode_account, decode_event};
pub mod escrow;
pub mod proof;
pub mod registry;
pub mod staking;
#[cfg(feature = "client")]
pub mod voucher;

/// Lower-case hex of `bytes` (digests and hashes, as the CLI and the explorer API show
/// them).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// The ids of the four gpunet programs: registry, escrow, staking, proof.
pub const PROGRAM_IDS: [Pubkey; 4] = [
    crate::registry::PROGRAM_ID,
    crate::escrow::PROGRAM_ID,
    crate::staking::PROGRAM_ID,
    crate::proof::PROGRAM_ID,
];

/// The upgradeable loader's account headers (program and program data).
pub use ::registry::state::upgradeable_loader;
