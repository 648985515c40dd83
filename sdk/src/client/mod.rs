//! An async client of a gpunet chain over JSON-RPC (`solana-client`'s nonblocking
//! `RpcClient`): one method per user action, readers that decode every gpunet account,
//! and errors decoded to the program error's name.
//!
//! A [`GpunetClient`] acts as one wallet, its `signer`: that key signs and pays for every
//! transaction it sends, in whatever role the action needs (admin, device owner, device
//! agent, renter, consumer, model owner). To act as another key, take
//! [`GpunetClient::with_signer`], which shares the connection.
//!
//! Token accounts are the wallets' associated token accounts ([`tokens`]); the client
//! creates the payees' accounts when a payment needs them.
//!
//! Addresses: the sdk's [`Pubkey`] (Anchor's) and `solana-client`'s `Pubkey`/`Address`
//! are the same type in this workspace (solana-pubkey 3 and 4 both re-export
//! solana-address 2's `Address`), so keys pass between the instruction builders and the
//! RPC client unchanged, with no conversion code.

mod connection;
mod devices;
pub mod due;
pub mod error;
pub mod keyfile;
mod leases;
mod network;
mod proof;
mod read;
pub mod tokens;

pub use connection::{GpunetClient, MAX_TRANSACTION_BYTES, Progress, transaction_size};
pub use devices::{Registered, sign_attestation};
pub use due::{DUE_PATIENCE, Done, program_error};
pub use error::{ClientError, Result};
pub use network::{NetworkInit, NetworkInitialized};
pub use proof::Voucher;
pub use read::{ChainClock, RawAccount};
/// Transaction signatures, as the client returns them.
pub use solana_transaction::Signature;
