//! A transaction of the gpunet programs as the indexer needs it, from either source (a
//! Geyser update or JSON-RPC's `getTransaction`), and what it contributes to the store:
//! receipt batches, events, and the accounts it closed.

use gpunet_sdk::Pubkey;
use gpunet_sdk::proof::{ProofInstruction, SubmittedBatch};

use crate::receipts::SlotBatch;

/// One instruction with its keys resolved.
#[derive(Clone, Debug)]
pub struct Ix {
    pub program: Pubkey,
    pub accounts: Vec<Pubkey>,
    pub data: Vec<u8>,
    /// An inner instruction (a CPI), as `emit_cpi!` events are.
    pub inner: bool,
}

/// A successful transaction.
#[derive(Clone, Debug)]
pub struct TxView {
    pub signature: String,
    pub slot: u64,
    /// Position in its block (Geyser only; 0 from RPC).
    pub index: u64,
    /// Top-level instructions, then inner ones in the order the runtime recorded them.
    pub instructions: Vec<Ix>,
    /// Accounts that had lamports before and none after: the runtime removed them.
    pub closed: Vec<Pubkey>,
}

/// An event of one of our programs, where it sits in its transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub signature: String,
    /// Among the transaction's events, in execution order.
    pub ordinal: i32,
    pub slot: u64,
    pub program: Pubkey,
    pub name: &'static str,
    /// Discriminator and borsh body (the `emit_cpi!` tag removed).
    pub data: Vec<u8>,
}

/// An account closed by a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Close {
    pub address: Pubkey,
    pub slot: u64,
    /// Position of the closing transaction in its block.
    pub index: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("malformed transaction: {0}")]
pub struct Malformed(pub String);

/// Raw parts shared by both sources: keys (static then loaded), and instructions as
/// (program index, account indexes, data, inner).
pub struct RawTx<'a> {
    pub signature: String,
    pub slot: u64,
    pub index: u64,
    pub keys: Vec<Pubkey>,
    pub instructions: Vec<(u32, &'a [u8], Vec<u8>, bool)>,
    pub pre_balances: &'a [u64],
    pub post_balances: &'a [u64],
}

impl TxView {
    pub fn resolve(raw: RawTx<'_>) -> Result<Self, Malformed> {
        let key = |i: usize| {
            raw.keys
                .get(i)
                .copied()
                .ok_or_else(|| Malformed(format!("{}: key index {i} out of range", raw.signature)))
        };
        let instructions = raw
            .instructions
            .iter()
            .map(|(program, accounts, data, inner)| {
                Ok(Ix {
                    program: key(*program as usize)?,
                    accounts: accounts
                        .iter()
                        .map(|&a| key(a as usize))
                        .collect::<Result<_, _>>()?,
                    data: data.clone(),
                    inner: *inner,
                })
            })
            .collect::<Result<_, Malformed>>()?;
        let closed = raw
            .pre_balances
            .iter()
            .zip(raw.post_balances)
            .enumerate()
            .filter(|(_, (pre, post))| **pre > 0 && **post == 0)
            .map(|(i, _)| key(i))
            .collect::<Result<_, _>>()?;
        Ok(TxView {
            signature: raw.signature,
            slot: raw.slot,
            index: raw.index,
            instructions,
            closed,
        })
    }

    /// The receipt batches submitted by its proof-program instructions, top-level and inner
    /// (a batch submitted through another program counts too).
    pub fn receipt_batches(&self) -> Result<Vec<SlotBatch>, Malformed> {
        let mut batches = Vec::new();
        for ix in &self.instructions {
            if ix.program != gpunet_sdk::proof::PROGRAM_ID {
                continue;
            }
            let proof_ix = ProofInstruction {
                signature: self.signature.clone(),
                accounts: ix.accounts.clone(),
                data: ix.data.clone(),
            };
            let decoded = SubmittedBatch::decode(&proof_ix)
                .map_err(|e| Malformed(format!("{}: {e:?}", self.signature)))?;
            if let Some(batch) = decoded {
                batches.push(SlotBatch {
                    slot: self.slot,
                    batch,
                });
            }
        }
        Ok(batches)
    }

    /// The events our programs emitted (`emit_cpi!`: an inner self-invocation whose data
    /// starts with Anchor's event tag).
    pub fn events(&self) -> Vec<Event> {
        let tag = gpunet_sdk::EVENT_IX_TAG_LE;
        self.instructions
            .iter()
            .filter(|ix| ix.inner && gpunet_sdk::PROGRAM_IDS.contains(&ix.program))
            .filter_map(|ix| {
                let body = ix.data.strip_prefix(tag)?;
                Some((ix.program, gpunet_sdk::event_kind(body)?, body))
            })
            .enumerate()
            .map(|(ordinal, (program, name, body))| Event {
                signature: self.signature.clone(),
                ordinal: ordinal as i32,
                slot: self.slot,
                program,
                name,
                data: body.to_vec(),
            })
            .collect()
    }

    pub fn closes(&self) -> Vec<Close> {
        self.closed
            .iter()
            .map(|&address| Close {
                address,
                slot: self.slot,
                index: self.index,
            })
            .collect()
    }
}
