//! A transaction of the gpunet programs as the indexer needs it, from either source (a
//! Geyser update or JSON-RPC's `getTransaction`), and what it contributes to the store:
//! receipt batches, events, and the accounts it closed.

use gpunet_sdk::Pubkey;
use gpunet_sdk::proof::{ProofInstruction, SubmittedBatch};

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
    /// The program log (`emit!` events are its `Program data:` lines).
    pub logs: Vec<String>,
}

/// A batch seen in a transaction of `slot`.
#[derive(Clone, Debug)]
pub struct SlotBatch {
    pub slot: u64,
    pub batch: SubmittedBatch,
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
    pub logs: Vec<String>,
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
            logs: raw.logs,
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

    /// The events our programs emitted: first those of `emit_cpi!` (an inner
    /// self-invocation whose data starts with Anchor's event tag), in execution order, then
    /// those of `emit!` (`Program data:` log lines, attributed to the program running when
    /// it logged), in log order. Both sources give the same order, so ordinals are stable.
    pub fn events(&self) -> Vec<Event> {
        let tag = gpunet_sdk::EVENT_IX_TAG_LE;
        let cpi = self
            .instructions
            .iter()
            .filter(|ix| ix.inner && gpunet_sdk::PROGRAM_IDS.contains(&ix.program))
            .filter_map(|ix| Some((ix.program, ix.data.strip_prefix(tag)?.to_vec())));
        cpi.chain(logged_events(&self.logs))
            .filter_map(|(program, body)| {
                let name = gpunet_sdk::GpunetEvent::decode(&program, &body)?.name();
                Some((program, name, body))
            })
            .enumerate()
            .map(|(ordinal, (program, name, data))| Event {
                signature: self.signature.clone(),
                ordinal: ordinal as i32,
                slot: self.slot,
                program,
                name,
                data,
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

/// The `Program data:` lines of our programs in a transaction's log, with the program that
/// wrote each (the top of the invoke stack the log describes).
fn logged_events(logs: &[String]) -> Vec<(Pubkey, Vec<u8>)> {
    use base64::Engine;
    let mut stack: Vec<Pubkey> = Vec::new();
    let mut events = Vec::new();
    for line in logs {
        let Some(rest) = line.strip_prefix("Program ") else {
            continue;
        };
        if let Some(data) = rest.strip_prefix("data: ") {
            let Some(&program) = stack.last() else {
                continue;
            };
            let first = data.split(' ').next().unwrap_or_default();
            if gpunet_sdk::PROGRAM_IDS.contains(&program)
                && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(first)
            {
                events.push((program, bytes));
            }
            continue;
        }
        let mut words = rest.split(' ');
        let (Some(id), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        match what {
            "invoke" => stack.push(id.parse().unwrap_or_default()),
            "success" | "failed" => {
                stack.pop();
            }
            _ => {}
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_events_belong_to_the_program_running_when_they_were_logged() {
        let registry = gpunet_sdk::registry::PROGRAM_ID;
        let staking = gpunet_sdk::staking::PROGRAM_ID;
        let system = Pubkey::default();
        let logs: Vec<String> = [
            format!("Program {registry} invoke [1]"),
            "Program log: Instruction: AttestUptime".into(),
            format!("Program {system} invoke [2]"),
            "Program data: AQID".into(), // not ours: the system program is running
            format!("Program {system} success"),
            "Program data: BAUG".into(),
            format!("Program {registry} consumed 5000 of 200000 compute units"),
            format!("Program {registry} success"),
            format!("Program {staking} invoke [1]"),
            "Program data: Bwg= extra".into(),
            format!("Program {staking} success"),
            "Program data: CQ==".into(), // nothing running
        ]
        .into();
        assert_eq!(
            logged_events(&logs),
            vec![(registry, vec![4, 5, 6]), (staking, vec![7, 8])]
        );
    }
}
