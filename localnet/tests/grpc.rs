//! localnet's Yellowstone gRPC service, driven by the real `yellowstone-grpc-client`: every
//! program's transactions with logs and inner instructions, account updates with slot and
//! write version, commitment levels, filters, ping, and `from_slot` replay without gaps.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::{fund, initialize_network, mints, rpc, send, start, transaction};
use futures::{SinkExt, StreamExt};
use gpunet_sdk::{Pubkey, escrow, proof, registry, staking};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_config::RpcSendTransactionConfig;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use yellowstone_grpc_client::{GeyserGrpcClient, GeyserStream};
use yellowstone_grpc_proto::prelude::{
    CommitmentLevel, SlotStatus, SubscribeRequest, SubscribeRequestFilterAccounts,
    SubscribeRequestFilterSlots, SubscribeRequestFilterTransactions, SubscribeRequestPing,
    SubscribeUpdate, subscribe_update::UpdateOneof,
};

const WAIT: Duration = Duration::from_secs(30);

async fn client(url: &str) -> GeyserGrpcClient {
    GeyserGrpcClient::build_from_shared(url.to_string())
        .expect("endpoint")
        .connect()
        .await
        .expect("gRPC connects")
}

fn programs() -> Vec<String> {
    gpunet_localnet::programs()
        .iter()
        .map(|(_, id)| id.to_string())
        .collect()
}

fn transactions(include: Vec<String>, failed: Option<bool>) -> SubscribeRequestFilterTransactions {
    SubscribeRequestFilterTransactions {
        account_include: include,
        failed,
        ..Default::default()
    }
}

fn slots(filter_by_commitment: bool) -> SubscribeRequestFilterSlots {
    SubscribeRequestFilterSlots {
        filter_by_commitment: Some(filter_by_commitment),
        ..Default::default()
    }
}

fn request(
    accounts: Vec<(&str, SubscribeRequestFilterAccounts)>,
    txs: Vec<(&str, SubscribeRequestFilterTransactions)>,
    slot_filter: Option<SubscribeRequestFilterSlots>,
    commitment: CommitmentLevel,
) -> SubscribeRequest {
    SubscribeRequest {
        accounts: accounts.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        transactions: txs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        slots: slot_filter
            .map(|f| ("slots".into(), f))
            .into_iter()
            .collect(),
        commitment: Some(commitment as i32),
        ..Default::default()
    }
}

/// Reads updates until `done` says so (pings skipped), failing after [`WAIT`].
async fn read_until(
    stream: &mut GeyserStream,
    mut done: impl FnMut(&[SubscribeUpdate]) -> bool,
) -> Vec<SubscribeUpdate> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done(&seen) {
        let next = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("timed out; received {} updates: {seen:#?}", seen.len()))
            .expect("the stream stays open")
            .expect("no stream error");
        if !matches!(next.update_oneof, Some(UpdateOneof::Ping(_))) {
            seen.push(next);
        }
    }
    seen
}

fn signature(update: &SubscribeUpdate) -> Option<Signature> {
    match &update.update_oneof {
        Some(UpdateOneof::Transaction(tx)) => {
            let info = tx.transaction.as_ref()?;
            Some(Signature::try_from(info.signature.as_slice()).expect("64 bytes"))
        }
        _ => None,
    }
}

fn signatures(updates: &[SubscribeUpdate]) -> Vec<Signature> {
    updates.iter().filter_map(signature).collect()
}

fn slot_status(update: &SubscribeUpdate) -> Option<(u64, SlotStatus)> {
    match &update.update_oneof {
        Some(UpdateOneof::Slot(s)) => Some((s.slot, SlotStatus::try_from(s.status).ok()?)),
        _ => None,
    }
}

/// A network with its config initialised and the authority funded.
struct Network {
    localnet: gpunet_localnet::Localnet,
    rpc: RpcClient,
    authority: Keypair,
    mints: common::Mints,
}

async fn network(replay_slots: u64) -> Network {
    let authority = Keypair::new();
    let localnet = start(&authority.pubkey(), replay_slots);
    let rpc = rpc(&localnet);
    fund(&rpc, &authority.pubkey(), 100_000_000_000).await;
    let mints = mints(&rpc, &authority).await;
    Network {
        localnet,
        rpc,
        authority,
        mints,
    }
}

fn register_model(owner: &Keypair, model_id: u64) -> solana_instruction::Instruction {
    proof::register_model(
        owner.pubkey(),
        proof::RegisterModelArgs {
            model_id,
            royalty_bps: 1_000,
            price_per_unit: 10,
            metadata_uri: format!("ipfs://model-{model_id}"),
            metadata_hash: [model_id as u8; 32],
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_of_each_program_arrives_with_logs_inner_instructions_and_account_updates() {
    let net = network(2_000).await;
    let mut grpc = client(&net.localnet.grpc_url).await;
    let owned = SubscribeRequestFilterAccounts {
        owner: programs(),
        ..Default::default()
    };
    let (_sink, mut stream) = grpc
        .subscribe_with_request(Some(request(
            vec![("gpunet", owned)],
            vec![("gpunet", transactions(programs(), None))],
            None,
            CommitmentLevel::Processed,
        )))
        .await
        .expect("subscribes");

    let admin = &net.authority;
    let mut sent: Vec<(Pubkey, Signature, Pubkey)> = Vec::new(); // program, tx, account written
    let sig = send(&net.rpc, &[initialize_network(admin, &net.mints)], &[admin]).await;
    sent.push((registry::PROGRAM_ID, sig, registry::config_address()));
    let stake_mint = staking::StakeMint {
        mint: net.mints.stake,
        token_program: spl_token_interface::ID,
    };
    let params = staking_params();
    let ix = staking::initialize_staking(admin.pubkey(), stake_mint, params);
    let sig = send(&net.rpc, &[ix], &[admin]).await;
    sent.push((staking::PROGRAM_ID, sig, staking::config_address()));
    let sig = send(&net.rpc, &[register_model(admin, 1)], &[admin]).await;
    sent.push((
        proof::PROGRAM_ID,
        sig,
        proof::model_address(&admin.pubkey(), 1),
    ));
    let payment = escrow::Payment {
        mint: net.mints.usdc,
        token_program: spl_token_interface::ID,
    };
    let args = escrow::CreateLeaseArgs {
        lease_id: 1,
        name: "cluster".into(),
        job: "image:ghcr.io/example/trainer:1".into(),
        max_price_per_gpu_hour: 2_000_000,
    };
    let sig = send(
        &net.rpc,
        &[escrow::create_lease(admin.pubkey(), payment, args)],
        &[admin],
    )
    .await;
    sent.push((
        escrow::PROGRAM_ID,
        sig,
        escrow::lease_address(&admin.pubkey(), 1),
    ));

    let wanted: HashSet<Signature> = sent.iter().map(|(_, s, _)| *s).collect();
    let written: HashSet<Pubkey> = sent.iter().map(|(_, _, a)| *a).collect();
    let updates = read_until(&mut stream, |seen| {
        let txs: HashSet<_> = signatures(seen).into_iter().collect();
        let accounts: HashSet<Pubkey> = seen
            .iter()
            .filter_map(|u| match &u.update_oneof {
                Some(UpdateOneof::Account(a)) => {
                    Pubkey::try_from(a.account.as_ref()?.pubkey.as_slice()).ok()
                }
                _ => None,
            })
            .collect();
        wanted.is_subset(&txs) && written.is_subset(&accounts)
    })
    .await;

    for (program, sig, account) in &sent {
        let tx = updates
            .iter()
            .find_map(|u| match &u.update_oneof {
                Some(UpdateOneof::Transaction(tx)) if signature(u) == Some(*sig) => Some(tx),
                _ => None,
            })
            .expect("the transaction arrived");
        assert!(tx.slot > 0);
        assert_eq!(filters_of(&updates, sig), vec!["gpunet".to_string()]);
        let info = tx.transaction.as_ref().unwrap();
        let meta = info.meta.as_ref().expect("meta");
        assert!(meta.err.is_none(), "{program}: {:?}", meta.err);
        assert!(
            meta.log_messages
                .iter()
                .any(|l| l.starts_with(&format!("Program {program} invoke [1]"))),
            "{program} logs: {:#?}",
            meta.log_messages
        );
        assert!(
            meta.log_messages
                .iter()
                .any(|l| *l == format!("Program {program} success"))
        );
        assert!(!meta.inner_instructions_none);
        let keys = &info
            .transaction
            .as_ref()
            .unwrap()
            .message
            .as_ref()
            .unwrap()
            .account_keys;
        let inner_programs: HashSet<Pubkey> = meta
            .inner_instructions
            .iter()
            .flat_map(|i| &i.instructions)
            .map(|ix| Pubkey::try_from(keys[ix.program_id_index as usize].as_slice()).unwrap())
            .collect();
        assert!(
            inner_programs.contains(&solana_sdk_ids::system_program::ID),
            "{program} creates its account by CPI: {inner_programs:?}"
        );
        assert!(meta.compute_units_consumed.unwrap_or_default() > 0);

        // The account it wrote arrives in the same slot, with the transaction's signature.
        let account_update = updates
            .iter()
            .find_map(|u| match &u.update_oneof {
                Some(UpdateOneof::Account(a))
                    if a.account.as_ref().unwrap().pubkey == account.to_bytes() =>
                {
                    Some(a)
                }
                _ => None,
            })
            .expect("the account update arrived");
        let info = account_update.account.as_ref().unwrap();
        assert_eq!(account_update.slot, tx.slot);
        assert!(!account_update.is_startup);
        assert!(info.write_version > 0);
        assert_eq!(info.owner, program.to_bytes());
        assert_eq!(info.txn_signature.as_deref(), Some(sig.as_ref()));
    }
    // Decoded through the sdk, the registry's config is the one just initialised.
    let config = updates
        .iter()
        .find_map(|u| match &u.update_oneof {
            Some(UpdateOneof::Account(a))
                if a.account.as_ref().unwrap().pubkey == registry::config_address().to_bytes() =>
            {
                Some(a.account.as_ref().unwrap().data.clone())
            }
            _ => None,
        })
        .unwrap();
    let config: registry::NetworkConfig = gpunet_sdk::decode_account(&config).unwrap();
    assert_eq!(config.admin, admin.pubkey());
    // Write versions only grow.
    let versions: Vec<u64> = updates
        .iter()
        .filter_map(|u| match &u.update_oneof {
            Some(UpdateOneof::Account(a)) => Some(a.account.as_ref().unwrap().write_version),
            _ => None,
        })
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    // Only accounts owned by the programs were sent (not the payer, not the mints).
    for u in &updates {
        if let Some(UpdateOneof::Account(a)) = &u.update_oneof {
            let owner = Pubkey::try_from(a.account.as_ref().unwrap().owner.as_slice()).unwrap();
            assert!(programs().contains(&owner.to_string()), "{owner}");
        }
    }
}

/// The same instructions as `previous` under a newer blockhash (a transaction sent twice
/// with the same blockhash is the same transaction, refused as already processed).
async fn new_transaction(
    rpc: &RpcClient,
    ixs: &[solana_instruction::Instruction],
    signer: &Keypair,
    previous: &solana_transaction::Transaction,
) -> solana_transaction::Transaction {
    loop {
        let tx = transaction(rpc, ixs, &[signer]).await;
        if tx.message.recent_blockhash != previous.message.recent_blockhash {
            return tx;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The filter names of the update carrying transaction `sig`.
fn filters_of(updates: &[SubscribeUpdate], sig: &Signature) -> Vec<String> {
    updates
        .iter()
        .find(|x| signature(x) == Some(*sig))
        .map(|x| x.filters.clone())
        .unwrap_or_default()
}

fn staking_params() -> staking::StakingParams {
    staking::StakingParams {
        base_stake_per_gpu: 200_000_000_000,
        default_multiplier_bps: 10_000,
        multipliers: vec![],
        cooldown_seconds: 3_600,
        challenge_window_seconds: 600,
        slash: staking::SlashPolicy {
            missed_epoch_bps: 100,
            renter_share_bps: 5_000,
        },
        emission: staking::EmissionSchedule {
            start_epoch: 0,
            per_epoch: 1_000_000_000,
            decay_bps: 0,
            decay_period_epochs: 1,
            cap: u64::MAX,
        },
        grace_epochs: 2,
        escrow_authority: escrow::slasher_address(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmed_and_finalized_subscribers_get_a_transaction_once_its_slot_reaches_their_commitment()
 {
    let net = network(2_000).await;
    let mut streams = Vec::new();
    for commitment in [CommitmentLevel::Confirmed, CommitmentLevel::Finalized] {
        let mut grpc = client(&net.localnet.grpc_url).await;
        let (sink, stream) = grpc
            .subscribe_with_request(Some(request(
                vec![],
                vec![(
                    "proof",
                    transactions(vec![proof::PROGRAM_ID.to_string()], None),
                )],
                Some(slots(true)),
                commitment,
            )))
            .await
            .expect("subscribes");
        streams.push((commitment, sink, stream));
    }
    let sig = send(
        &net.rpc,
        &[register_model(&net.authority, 7)],
        &[&net.authority],
    )
    .await;

    for (commitment, _sink, stream) in &mut streams {
        let wanted = match commitment {
            CommitmentLevel::Confirmed => SlotStatus::SlotConfirmed,
            _ => SlotStatus::SlotFinalized,
        };
        // Read until the slot message that follows the transaction.
        let updates = read_until(stream, |seen| {
            seen.iter()
                .position(|x| signature(x) == Some(sig))
                .is_some_and(|i| seen[i + 1..].iter().any(|x| slot_status(x).is_some()))
        })
        .await;
        let at = updates
            .iter()
            .position(|x| signature(x) == Some(sig))
            .unwrap();
        let Some(UpdateOneof::Transaction(tx)) = &updates[at].update_oneof else {
            unreachable!()
        };
        // Only statuses at the subscription's commitment are sent (filter_by_commitment).
        assert!(
            updates
                .iter()
                .filter_map(slot_status)
                .all(|(_, s)| s == wanted)
        );
        // Before the transaction, no slot at or after its own had reached the commitment;
        // right after it comes the status that says its slot has.
        assert!(
            updates[..at]
                .iter()
                .filter_map(slot_status)
                .all(|(slot, _)| slot < tx.slot),
            "{commitment:?}: {updates:#?}"
        );
        let (next, status) = updates[at + 1..].iter().find_map(slot_status).unwrap();
        assert_eq!((next, status), (tx.slot, wanted), "{commitment:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_select_by_account_and_failure_and_a_ping_does_not_replace_them() {
    let net = network(2_000).await;
    let admin = &net.authority;
    let config = registry::config_address();
    let mut grpc = client(&net.localnet.grpc_url).await;
    let only_config = SubscribeRequestFilterAccounts {
        account: vec![config.to_string()],
        ..Default::default()
    };
    let registry_txs = vec![registry::PROGRAM_ID.to_string()];
    let (mut sink, mut stream) = grpc
        .subscribe_with_request(Some(request(
            vec![("config", only_config)],
            vec![
                ("ok", transactions(registry_txs.clone(), Some(false))),
                ("failed", transactions(registry_txs, Some(true))),
            ],
            None,
            CommitmentLevel::Processed,
        )))
        .await
        .expect("subscribes");

    let ok = send(&net.rpc, &[initialize_network(admin, &net.mints)], &[admin]).await;
    // Initialising twice fails on-chain (sent without preflight so it lands).
    let no_preflight = RpcSendTransactionConfig {
        skip_preflight: true,
        ..Default::default()
    };
    let again = transaction(&net.rpc, &[initialize_network(admin, &net.mints)], &[admin]).await;
    let failed = net
        .rpc
        .send_transaction_with_config(&again, no_preflight)
        .await
        .expect("sent");
    let updates = read_until(&mut stream, |seen| {
        let sigs = signatures(seen);
        sigs.contains(&ok) && sigs.contains(&failed)
    })
    .await;
    assert_eq!(filters_of(&updates, &ok), vec!["ok".to_string()]);
    assert_eq!(filters_of(&updates, &failed), vec!["failed".to_string()]);
    let failed_meta = updates
        .iter()
        .find(|x| signature(x) == Some(failed))
        .and_then(|x| match &x.update_oneof {
            Some(UpdateOneof::Transaction(t)) => t.transaction.as_ref()?.meta.clone(),
            _ => None,
        })
        .unwrap();
    let err: solana_transaction_error::TransactionError =
        bincode::deserialize(&failed_meta.err.expect("an error").err).expect("bincode");
    assert!(
        matches!(
            err,
            solana_transaction_error::TransactionError::InstructionError(0, _)
        ),
        "{err:?}"
    );
    let accounts: Vec<Vec<u8>> = updates
        .iter()
        .filter_map(|x| match &x.update_oneof {
            Some(UpdateOneof::Account(a)) => Some(a.account.as_ref()?.pubkey.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        accounts,
        vec![config.to_bytes().to_vec()],
        "only the config account"
    );

    // A ping is answered and leaves the filters as they were.
    sink.send(SubscribeRequest {
        ping: Some(SubscribeRequestPing { id: 7 }),
        ..Default::default()
    })
    .await
    .expect("ping sent");
    let again = new_transaction(
        &net.rpc,
        &[initialize_network(admin, &net.mints)],
        admin,
        &again,
    )
    .await;
    let failed_again = net
        .rpc
        .send_transaction_with_config(&again, no_preflight)
        .await
        .expect("sent");
    let updates = read_until(&mut stream, |seen| signatures(seen).contains(&failed_again)).await;
    assert!(
        updates
            .iter()
            .any(|x| matches!(&x.update_oneof, Some(UpdateOneof::Pong(p)) if p.id == 7))
    );
    assert_eq!(
        filters_of(&updates, &failed_again),
        vec!["failed".to_string()]
    );

    // The unary calls answer from the same chain.
    assert_eq!(grpc.ping(3).await.expect("ping").count, 3);
    let slot = grpc
        .get_slot(Some(CommitmentLevel::Confirmed))
        .await
        .unwrap()
        .slot;
    assert!(slot > 0);
    let latest = grpc.get_latest_blockhash(None).await.expect("blockhash");
    assert!(
        grpc.is_blockhash_valid(latest.blockhash, None)
            .await
            .unwrap()
            .valid
    );
    let bogus = Pubkey::new_unique().to_string();
    assert!(!grpc.is_blockhash_valid(bogus, None).await.unwrap().valid);
    assert!(
        grpc.get_version()
            .await
            .unwrap()
            .version
            .contains("gpunet-localnet")
    );

    // Invalid filters are refused with a clear status.
    let mut grpc = client(&net.localnet.grpc_url).await;
    let bad = SubscribeRequestFilterAccounts {
        owner: vec!["not-a-key".into()],
        ..Default::default()
    };
    let (_sink, mut stream) = grpc
        .subscribe_with_request(Some(request(
            vec![("bad", bad)],
            vec![],
            None,
            CommitmentLevel::Processed,
        )))
        .await
        .expect("the stream opens");
    let status = stream
        .next()
        .await
        .expect("an answer")
        .expect_err("refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("not-a-key"), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reconnects_with_from_slot_receives_what_it_missed_without_gaps() {
    let net = network(2_000).await;
    let owner = &net.authority;
    let subscription = || {
        let models = SubscribeRequestFilterAccounts {
            owner: vec![proof::PROGRAM_ID.to_string()],
            ..Default::default()
        };
        request(
            vec![("models", models)],
            vec![(
                "proof",
                transactions(vec![proof::PROGRAM_ID.to_string()], None),
            )],
            Some(slots(false)),
            CommitmentLevel::Processed,
        )
    };
    let mut grpc = client(&net.localnet.grpc_url).await;
    let (sink, mut stream) = grpc
        .subscribe_with_request(Some(subscription()))
        .await
        .unwrap();
    let mut sent = Vec::new();
    for model_id in 1..=3 {
        sent.push(send(&net.rpc, &[register_model(owner, model_id)], &[owner]).await);
    }
    let before = read_until(&mut stream, |seen| {
        let got = signatures(seen);
        sent.iter().all(|s| got.contains(s))
    })
    .await;
    let last_processed = before
        .iter()
        .filter_map(slot_status)
        .filter(|(_, s)| *s == SlotStatus::SlotProcessed)
        .map(|(slot, _)| slot)
        .max()
        .unwrap();
    drop((sink, stream, grpc));

    // While the client is away, three more models are registered.
    let mut missed = Vec::new();
    for model_id in 4..=6 {
        missed.push(send(&net.rpc, &[register_model(owner, model_id)], &[owner]).await);
    }
    let missed_models: HashSet<Vec<u8>> = (4..=6)
        .map(|id| {
            proof::model_address(&owner.pubkey(), id)
                .to_bytes()
                .to_vec()
        })
        .collect();

    // It resumes from the last slot it saw processed (a client dedupes by signature).
    let mut grpc = client(&net.localnet.grpc_url).await;
    let mut resume = subscription();
    resume.from_slot = Some(last_processed);
    let (_sink, mut stream) = grpc.subscribe_with_request(Some(resume)).await.unwrap();
    let after = read_until(&mut stream, |seen| {
        let got = signatures(seen);
        missed.iter().all(|s| got.contains(s))
    })
    .await;

    let all: Vec<Signature> = signatures(&before)
        .into_iter()
        .chain(signatures(&after))
        .collect();
    let mut counts: HashMap<Signature, usize> = HashMap::new();
    for sig in signatures(&after) {
        *counts.entry(sig).or_default() += 1;
    }
    assert!(
        counts.values().all(|&n| n == 1),
        "no update is sent twice: {counts:?}"
    );
    for sig in sent.iter().chain(&missed) {
        assert!(all.contains(sig), "{sig} was lost");
    }
    let replayed_models: HashSet<Vec<u8>> = after
        .iter()
        .filter_map(|x| match &x.update_oneof {
            Some(UpdateOneof::Account(a)) => Some(a.account.as_ref()?.pubkey.clone()),
            _ => None,
        })
        .collect();
    assert!(missed_models.is_subset(&replayed_models));
    // Every slot from the resume point on is there, processed, in order, none skipped.
    let processed: Vec<u64> = after
        .iter()
        .filter_map(slot_status)
        .filter(|(_, s)| *s == SlotStatus::SlotProcessed)
        .map(|(slot, _)| slot)
        .collect();
    assert_eq!(processed.first(), Some(&last_processed));
    assert!(
        processed.windows(2).all(|w| w[1] == w[0] + 1),
        "{processed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_slot_older_than_the_replay_window_is_refused_with_the_first_available_slot() {
    let net = network(10).await;
    let mut grpc = client(&net.localnet.grpc_url).await;
    // Let more than the window's ten slots pass.
    loop {
        let slot = grpc
            .get_slot(Some(CommitmentLevel::Processed))
            .await
            .unwrap()
            .slot;
        if slot > 30 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let first = grpc
        .subscribe_replay_info()
        .await
        .expect("replay info")
        .first_available
        .expect("a window");
    assert!(first > 1);
    let mut too_old = request(
        vec![],
        vec![],
        Some(slots(false)),
        CommitmentLevel::Processed,
    );
    too_old.from_slot = Some(1);
    let (_sink, mut stream) = grpc.subscribe_with_request(Some(too_old)).await.unwrap();
    let status = stream
        .next()
        .await
        .expect("an answer")
        .expect_err("refused");
    assert_eq!(status.code(), tonic::Code::OutOfRange);
    assert!(
        status.message().contains("oldest replayable slot"),
        "{status:?}"
    );

    // The first slot the window still holds is served. The window moves on with every new
    // slot, so between asking for it and subscribing it may have passed on: then the refusal
    // names a newer oldest slot, and the test asks again (a few times, never forever).
    for attempt in 1.. {
        let mut grpc = client(&net.localnet.grpc_url).await;
        let first = grpc
            .subscribe_replay_info()
            .await
            .unwrap()
            .first_available
            .unwrap();
        let mut oldest = request(
            vec![],
            vec![],
            Some(slots(false)),
            CommitmentLevel::Processed,
        );
        oldest.from_slot = Some(first);
        let (_sink, mut stream) = grpc.subscribe_with_request(Some(oldest)).await.unwrap();
        let answer = tokio::time::timeout(WAIT, async {
            loop {
                match stream.next().await.expect("the stream stays open") {
                    Ok(update) if matches!(update.update_oneof, Some(UpdateOneof::Ping(_))) => {}
                    answer => return answer,
                }
            }
        })
        .await
        .expect("an answer in time");
        match answer {
            Ok(update) => {
                assert!(slot_status(&update).is_some_and(|(slot, _)| slot >= first));
                break;
            }
            Err(status) if attempt < 5 && status.code() == tonic::Code::OutOfRange => {
                let moved_to = status
                    .message()
                    .rsplit(' ')
                    .next()
                    .and_then(|n| n.parse::<u64>().ok());
                assert!(
                    moved_to.is_some_and(|n| n > first),
                    "refused {first} though it was the first available: {status:?}"
                );
            }
            Err(status) => panic!("the first available slot {first} was refused: {status:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_localnet_with_a_subscriber_still_connected_stops_promptly_and_the_stream_ends() {
    let authority = Keypair::new();
    let localnet = start(&authority.pubkey(), 100);
    let mut grpc = client(&localnet.grpc_url).await;
    let (_sink, mut stream) = grpc
        .subscribe_with_request(Some(request(
            vec![],
            vec![],
            Some(slots(false)),
            CommitmentLevel::Processed,
        )))
        .await
        .expect("subscribed");
    // The subscription is live.
    let first = tokio::time::timeout(Duration::from_secs(10), stream.next()).await;
    assert!(matches!(first, Ok(Some(Ok(_)))), "{first:?}");

    // Dropping the chain must not wait for the subscriber to hang up. (A plain thread: if
    // it hangs, the test fails instead of hanging with it.)
    let (dropped, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        drop(localnet);
        let _ = dropped.send(started.elapsed());
    });
    let took = done
        .recv_timeout(Duration::from_secs(10))
        .expect("the localnet stops within 10 s with a subscriber connected");
    assert!(took < Duration::from_secs(5), "stopping took {took:?}");
    // And the subscriber sees its stream end (or fail), not silence.
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(
        end.is_ok(),
        "the stream stayed open after the server stopped"
    );
}
