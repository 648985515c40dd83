//! surfpool's Geyser events in Yellowstone's protobuf form. The published
//! `yellowstone-grpc-proto` has no conversion helpers, so they are written here, field by
//! field, as the Yellowstone plugin fills them (transaction errors bincode-encoded, optional
//! lists flagged with their `*_none` companions).

use gpunet_sdk::Pubkey;
use solana_message::VersionedMessage;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_status_client_types::{
    InnerInstructions, Reward, TransactionStatusMeta, TransactionTokenBalance,
};
use surfpool_core::surfnet::{
    GeyserBlockMetadata, GeyserEntryInfo, GeyserEvent, GeyserSlotStatus, GeyserTransactionEvent,
};
use surfpool_core::types::GeyserAccountUpdate;
use yellowstone_grpc_proto::prelude as proto;

use super::update::{AccountUpdate, SlotStatus, TransactionUpdate, Update};

/// The update an event becomes; `None` for events Yellowstone has no message for.
pub fn update(event: GeyserEvent) -> Option<Update> {
    Some(match event {
        GeyserEvent::UpdateAccount(account) => Update::Account(account_update(account, false)),
        GeyserEvent::StartupAccountUpdate(account) => {
            Update::Account(account_update(account, true))
        }
        GeyserEvent::NotifyTransaction(tx) => Update::Transaction(Box::new(transaction_update(tx))),
        GeyserEvent::UpdateSlotStatus {
            slot,
            parent,
            status,
        } => Update::Slot {
            slot,
            parent,
            status: match status {
                GeyserSlotStatus::Processed => SlotStatus::Processed,
                GeyserSlotStatus::Confirmed => SlotStatus::Confirmed,
                GeyserSlotStatus::Rooted => SlotStatus::Finalized,
            },
        },
        GeyserEvent::NotifyBlockMetadata(meta) => Update::BlockMeta(block_meta(&meta)),
        GeyserEvent::NotifyEntry(entry) => Update::Entry(entry_update(&entry)),
        GeyserEvent::EndOfStartup => return None,
    })
}

fn account_update(update: GeyserAccountUpdate, is_startup: bool) -> AccountUpdate {
    let account = update.account;
    AccountUpdate {
        slot: update.slot,
        is_startup,
        pubkey: update.pubkey,
        owner: account.owner,
        info: proto::SubscribeUpdateAccountInfo {
            pubkey: update.pubkey.to_bytes().to_vec(),
            lamports: account.lamports,
            owner: account.owner.to_bytes().to_vec(),
            executable: account.executable,
            rent_epoch: account.rent_epoch,
            data: account.data,
            write_version: update.write_version,
            txn_signature: update
                .sanitized_transaction
                .map(|tx| tx.signature().as_ref().to_vec()),
        },
    }
}

fn transaction_update(event: GeyserTransactionEvent) -> TransactionUpdate {
    let tx = event.transaction_with_status_meta;
    let message = &tx.transaction.message;
    let mut accounts: Vec<Pubkey> = message.static_account_keys().to_vec();
    accounts.extend_from_slice(&tx.meta.loaded_addresses.writable);
    accounts.extend_from_slice(&tx.meta.loaded_addresses.readonly);
    let is_vote = message.instructions().iter().any(|ix| {
        message
            .static_account_keys()
            .get(ix.program_id_index as usize)
            == Some(&solana_sdk_ids::vote::ID)
    });
    let signature = tx.transaction.signatures[0].as_ref().to_vec();
    TransactionUpdate {
        slot: tx.slot,
        signature: signature.clone(),
        is_vote,
        index: event.index as u64,
        accounts,
        err: tx.meta.status.as_ref().err().map(transaction_error),
        info: proto::SubscribeUpdateTransactionInfo {
            signature,
            is_vote,
            transaction: Some(transaction(&tx.transaction)),
            meta: Some(status_meta(&tx.meta)),
            index: event.index as u64,
        },
    }
}

fn transaction(tx: &VersionedTransaction) -> proto::Transaction {
    proto::Transaction {
        signatures: tx.signatures.iter().map(|s| s.as_ref().to_vec()).collect(),
        message: Some(message(&tx.message)),
    }
}

fn message(message: &VersionedMessage) -> proto::Message {
    let header = message.header();
    proto::Message {
        header: Some(proto::MessageHeader {
            num_required_signatures: header.num_required_signatures.into(),
            num_readonly_signed_accounts: header.num_readonly_signed_accounts.into(),
            num_readonly_unsigned_accounts: header.num_readonly_unsigned_accounts.into(),
        }),
        account_keys: keys(message.static_account_keys()),
        recent_blockhash: message.recent_blockhash().to_bytes().to_vec(),
        instructions: message
            .instructions()
            .iter()
            .map(|ix| proto::CompiledInstruction {
                program_id_index: ix.program_id_index.into(),
                accounts: ix.accounts.clone(),
                data: ix.data.clone(),
            })
            .collect(),
        versioned: !matches!(message, VersionedMessage::Legacy(_)),
        address_table_lookups: message
            .address_table_lookups()
            .unwrap_or_default()
            .iter()
            .map(|lookup| proto::MessageAddressTableLookup {
                account_key: lookup.account_key.to_bytes().to_vec(),
                writable_indexes: lookup.writable_indexes.clone(),
                readonly_indexes: lookup.readonly_indexes.clone(),
            })
            .collect(),
        config: None,
    }
}

fn status_meta(meta: &TransactionStatusMeta) -> proto::TransactionStatusMeta {
    proto::TransactionStatusMeta {
        err: meta.status.as_ref().err().map(transaction_error),
        fee: meta.fee,
        pre_balances: meta.pre_balances.clone(),
        post_balances: meta.post_balances.clone(),
        inner_instructions: meta
            .inner_instructions
            .iter()
            .flatten()
            .map(inner_instructions)
            .collect(),
        inner_instructions_none: meta.inner_instructions.is_none(),
        log_messages: meta.log_messages.clone().unwrap_or_default(),
        log_messages_none: meta.log_messages.is_none(),
        pre_token_balances: token_balances(meta.pre_token_balances.as_deref()),
        post_token_balances: token_balances(meta.post_token_balances.as_deref()),
        rewards: meta.rewards.iter().flatten().map(reward).collect(),
        loaded_writable_addresses: keys(&meta.loaded_addresses.writable),
        loaded_readonly_addresses: keys(&meta.loaded_addresses.readonly),
        return_data: meta.return_data.as_ref().map(|r| proto::ReturnData {
            program_id: r.program_id.to_bytes().to_vec(),
            data: r.data.clone(),
        }),
        return_data_none: meta.return_data.is_none(),
        compute_units_consumed: meta.compute_units_consumed,
        cost_units: meta.cost_units,
    }
}

/// bincode, as the Yellowstone plugin encodes it (clients decode it the same way).
fn transaction_error(err: &solana_transaction_error::TransactionError) -> proto::TransactionError {
    proto::TransactionError {
        err: bincode::serialize(err).expect("a TransactionError always serialises"),
    }
}

fn inner_instructions(inner: &InnerInstructions) -> proto::InnerInstructions {
    proto::InnerInstructions {
        index: inner.index.into(),
        instructions: inner
            .instructions
            .iter()
            .map(|ix| proto::InnerInstruction {
                program_id_index: ix.instruction.program_id_index.into(),
                accounts: ix.instruction.accounts.clone(),
                data: ix.instruction.data.clone(),
                stack_height: ix.stack_height,
            })
            .collect(),
    }
}

fn token_balances(balances: Option<&[TransactionTokenBalance]>) -> Vec<proto::TokenBalance> {
    balances
        .unwrap_or_default()
        .iter()
        .map(|b| proto::TokenBalance {
            account_index: b.account_index.into(),
            mint: b.mint.clone(),
            ui_token_amount: Some(proto::UiTokenAmount {
                ui_amount: b.ui_token_amount.ui_amount.unwrap_or_default(),
                decimals: b.ui_token_amount.decimals.into(),
                amount: b.ui_token_amount.amount.clone(),
                ui_amount_string: b.ui_token_amount.ui_amount_string.clone(),
            }),
            owner: b.owner.clone(),
            program_id: b.program_id.clone(),
        })
        .collect()
}

fn reward(reward: &Reward) -> proto::Reward {
    use solana_reward_info::RewardType as Solana;
    let reward_type = match reward.reward_type {
        None => proto::RewardType::Unspecified,
        Some(Solana::Fee) => proto::RewardType::Fee,
        Some(Solana::Rent) => proto::RewardType::Rent,
        Some(Solana::Staking) => proto::RewardType::Staking,
        Some(Solana::Voting) => proto::RewardType::Voting,
        Some(Solana::DeactivatedStake) => proto::RewardType::DeactivatedStake,
    };
    proto::Reward {
        pubkey: reward.pubkey.clone(),
        lamports: reward.lamports,
        post_balance: reward.post_balance,
        reward_type: reward_type.into(),
        commission: reward.commission.map(|c| c.to_string()).unwrap_or_default(),
        commission_bps: reward
            .commission_bps
            .map(|c| c.to_string())
            .unwrap_or_default(),
    }
}

fn block_meta(meta: &GeyserBlockMetadata) -> proto::SubscribeUpdateBlockMeta {
    proto::SubscribeUpdateBlockMeta {
        slot: meta.slot,
        blockhash: meta.blockhash.clone(),
        rewards: Some(proto::Rewards::default()),
        block_time: meta
            .block_time
            .map(|timestamp| proto::UnixTimestamp { timestamp }),
        block_height: meta
            .block_height
            .map(|block_height| proto::BlockHeight { block_height }),
        parent_slot: meta.parent_slot,
        parent_blockhash: meta.parent_blockhash.clone(),
        executed_transaction_count: meta.executed_transaction_count,
        entries_count: meta.entry_count,
        bank_id: 0,
    }
}

fn entry_update(entry: &GeyserEntryInfo) -> proto::SubscribeUpdateEntry {
    proto::SubscribeUpdateEntry {
        slot: entry.slot,
        index: entry.index as u64,
        num_hashes: entry.num_hashes,
        hash: entry.hash.clone(),
        executed_transaction_count: entry.executed_transaction_count,
        starting_transaction_index: entry.starting_transaction_index as u64,
        bank_id: 0,
    }
}

fn keys(keys: &[Pubkey]) -> Vec<Vec<u8>> {
    keys.iter().map(|k| k.to_bytes().to_vec()).collect()
}
