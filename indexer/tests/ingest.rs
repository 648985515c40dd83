//! The indexer against a real PostgreSQL (its private cluster) and a real localnet, through
//! the real `yellowstone-grpc-client`: guarded upserts, the cursor, restarts and a database
//! outage, checked against the chain's own `getProgramAccounts`.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{
    Indexer, TempDir, chain_state, db_state, net, register_models, specs, start_indexer,
    until_in_sync,
};
use gpunet_indexer::postgres::PrivatePostgres;
use gpunet_indexer::store::{AccountRow, SlotData, Store};
use gpunet_localnet::free_port;
use gpunet_sdk::registry;
use solana_keypair::Keypair;
use solana_signer::Signer;

fn row(slot: i64, write_version: i64, data: u8) -> AccountRow {
    AccountRow {
        pubkey: vec![7; 32],
        owner: registry::PROGRAM_ID.to_bytes().to_vec(),
        kind: "Device".into(),
        slot,
        write_version,
        lamports: 1_000,
        data: vec![data],
        txn_signature: None,
    }
}

#[test]
fn an_update_replaces_a_row_only_when_newer_and_the_cursor_moves_with_it() {
    let dir = TempDir::new("store");
    let mut pg = PrivatePostgres::start(&dir.0, free_port()).expect("private PostgreSQL");
    let mut store = Store::connect(&pg.url()).expect("connects and migrates");
    assert_eq!(store.cursor().unwrap(), None);
    let stored = |store: &mut Store| store.account(&[7; 32]).unwrap().expect("stored").data[0];

    assert_eq!(
        store
            .commit_slot(10, &SlotData::accounts(vec![row(10, 5, 1)]))
            .unwrap(),
        1
    );
    assert_eq!((store.cursor().unwrap(), stored(&mut store)), (Some(10), 1));
    // The same update again (a replay) changes nothing.
    assert_eq!(
        store
            .commit_slot(10, &SlotData::accounts(vec![row(10, 5, 2)]))
            .unwrap(),
        0
    );
    assert_eq!(stored(&mut store), 1);
    // An older one neither: not the row, not the cursor.
    assert_eq!(
        store
            .commit_slot(9, &SlotData::accounts(vec![row(9, 99, 3)]))
            .unwrap(),
        0
    );
    assert_eq!((store.cursor().unwrap(), stored(&mut store)), (Some(10), 1));
    // A later write in the same slot wins, and so does a later slot.
    assert_eq!(
        store
            .commit_slot(10, &SlotData::accounts(vec![row(10, 6, 4)]))
            .unwrap(),
        1
    );
    assert_eq!(stored(&mut store), 4);
    assert_eq!(
        store
            .commit_slot(11, &SlotData::accounts(vec![row(11, 1, 5)]))
            .unwrap(),
        1
    );
    assert_eq!((store.cursor().unwrap(), stored(&mut store)), (Some(11), 5));

    // Finalization reaches only rows of slots up to the rooted one, and never goes back.
    let finalized = |store: &mut Store| {
        let through = store.finalized_through().unwrap();
        let slot = store.account(&[7; 32]).unwrap().unwrap().slot as u64;
        (through, through.is_some_and(|f| slot <= f))
    };
    assert_eq!(finalized(&mut store), (None, false));
    store.finalize_through(10).unwrap();
    assert_eq!(finalized(&mut store), (Some(10), false));
    store.finalize_through(11).unwrap();
    store.finalize_through(9).unwrap();
    assert_eq!(finalized(&mut store), (Some(11), true));

    // Both survive a restart of the server.
    drop(store);
    pg.stop().unwrap();
    pg.resume().unwrap();
    let mut store = Store::connect(&pg.url()).expect("reconnects");
    assert_eq!((store.cursor().unwrap(), stored(&mut store)), (Some(11), 5));
    assert_eq!(finalized(&mut store), (Some(11), true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_indexer_follows_localnet_and_a_restart_resumes_from_its_cursor_without_loss() {
    let dir = TempDir::new("follow");
    let pg = PrivatePostgres::start(&dir.0, free_port()).expect("private PostgreSQL");
    let url = pg.url();
    let net = net().await;
    let (stop, indexer) = start_indexer(&net, &url);
    register_models(&net.owner, 1..=3).await;
    until_in_sync(&net, &url, 3).await;

    // Stopped, it misses three registrations; restarted, it catches up from its cursor.
    stop.send(true).unwrap();
    indexer.await.unwrap();
    let cursor = tokio::task::block_in_place(|| Store::connect(&url).unwrap().cursor().unwrap());
    register_models(&net.owner, 4..=6).await;
    let (_stop, _indexer) = start_indexer(&net, &url);
    until_in_sync(&net, &url, 6).await;
    let resumed = tokio::task::block_in_place(|| Store::connect(&url).unwrap().cursor().unwrap());
    assert!(resumed > cursor, "{resumed:?} > {cursor:?}");

    // Rows are marked finalized once their slot is rooted (31 slots later on localnet).
    let config = registry::config_address().to_bytes();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let row = tokio::task::block_in_place(|| {
            Store::connect(&url)
                .unwrap()
                .account(&config)
                .unwrap()
                .unwrap()
        });
        let through = tokio::task::block_in_place(|| {
            Store::connect(&url).unwrap().finalized_through().unwrap()
        });
        if through.is_some_and(|f| row.slot as u64 <= f) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never finalized");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_for_30_seconds_mid_stream_loses_nothing() {
    let dir = TempDir::new("outage");
    let mut pg = PrivatePostgres::start(&dir.0, free_port()).expect("private PostgreSQL");
    let url = pg.url();
    let net = net().await;
    let (_stop, _indexer) = start_indexer(&net, &url);
    register_models(&net.owner, 1..=2).await;
    until_in_sync(&net, &url, 2).await;

    tokio::task::block_in_place(|| pg.stop()).unwrap();
    register_models(&net.owner, 3..=5).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    register_models(&net.owner, 6..=6).await;
    tokio::task::block_in_place(|| pg.resume()).unwrap();
    until_in_sync(&net, &url, 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_rebuilds_an_empty_database_and_removes_closed_accounts() {
    let dir = TempDir::new("backfill");
    let pg = PrivatePostgres::start(&dir.0, free_port()).expect("private PostgreSQL");
    let url = pg.url();
    let net = net().await;
    register_models(&net.owner, 1..=4).await;

    // An empty database, rebuilt from RPC alone, equals the chain.
    let mut store = tokio::task::block_in_place(|| Store::connect(&url)).unwrap();
    let done = gpunet_indexer::source::backfill::accounts(&net.localnet.rpc_url, &mut store)
        .await
        .expect("backfill");
    let chain = chain_state(&net.rpc).await;
    assert_eq!(done.accounts, chain.len());
    assert_eq!((done.written, done.deleted), (chain.len(), 0));
    assert_eq!(tokio::task::block_in_place(|| db_state(&url)), chain);

    // A stored account the chain no longer has (closed since) is removed.
    let mut closed = row(1, 1, 9);
    closed.pubkey = vec![3; 32];
    tokio::task::block_in_place(|| {
        Store::connect(&url)
            .unwrap()
            .commit_slot(1, &SlotData::accounts(vec![closed]))
    })
    .unwrap();
    let again = gpunet_indexer::source::backfill::accounts(&net.localnet.rpc_url, &mut store)
        .await
        .expect("backfill");
    assert_eq!(again.deleted, 1);
    assert_eq!(
        tokio::task::block_in_place(|| db_state(&url)),
        chain_state(&net.rpc).await
    );

    // Then the stream takes over from there without loss.
    let (_stop, _indexer) = start_indexer(&net, &url);
    register_models(&net.owner, 5..=6).await;
    until_in_sync(&net, &url, 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_are_decoded_into_their_table_as_the_chain_has_them() {
    let dir = TempDir::new("devices");
    let pg = PrivatePostgres::start(&dir.0, free_port()).expect("private PostgreSQL");
    let url = pg.url();
    let net = net().await;
    let (_stop, _indexer) = start_indexer(&net, &url);
    let owner = &net.owner;
    let agent = Keypair::new().pubkey();
    for (device_id, gpus, country) in [(1, 8, b"DE"), (2, 2, b"US")] {
        let args = registry::RegisterDeviceArgs {
            device_id,
            agent,
            specs: specs(gpus, country),
            price_per_gpu_hour: 2_000_000,
        };
        owner
            .send(&[registry::register_device(owner.pubkey(), args)], &[])
            .await
            .expect("registered");
    }
    let first = registry::device_address(&owner.pubkey(), 1);
    let second = registry::device_address(&owner.pubkey(), 2);
    let reprice = registry::UpdateDeviceArgs {
        specs: None,
        price_per_gpu_hour: Some(1_750_000),
        agent: None,
    };
    let pause = registry::set_device_status(owner.pubkey(), second, registry::DeviceStatus::Paused);
    let update = registry::update_device(owner.pubkey(), first, reprice);
    owner.send(&[update, pause], &[]).await.expect("updated");
    until_in_sync(&net, &url, 0).await;

    let devices = tokio::task::block_in_place(|| Store::connect(&url).unwrap().devices()).unwrap();
    let by_address: BTreeMap<Vec<u8>, _> = devices
        .into_iter()
        .map(|d| (d.address.clone(), d))
        .collect();
    assert_eq!(by_address.len(), 2);
    let first = &by_address[&first.to_bytes().to_vec()];
    assert_eq!(
        (
            first.gpu_count,
            first.country.as_str(),
            first.price_per_gpu_hour
        ),
        (8, "DE", 1_750_000)
    );
    assert_eq!(
        (first.status.as_str(), first.connectivity_tier),
        ("active", 2)
    );
    assert_eq!(first.owner, owner.pubkey().to_bytes());
    assert_eq!(first.agent, agent.to_bytes());
    let second = &by_address[&second.to_bytes().to_vec()];
    assert_eq!(
        (
            second.gpu_count,
            second.country.as_str(),
            second.status.as_str()
        ),
        (2, "US", "paused")
    );
    assert_eq!(second.price_per_gpu_hour, 2_000_000);
    // The projection is exactly as new as the account row it comes from.
    let raw = tokio::task::block_in_place(|| {
        Store::connect(&url)
            .unwrap()
            .account(&first.address)
            .unwrap()
            .unwrap()
    });
    assert_eq!(
        (first.slot, first.write_version),
        (raw.slot, raw.write_version)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_mid_burst_and_a_restart_leave_the_database_equal_to_the_chain() {
    let dir = TempDir::new("kill");
    let pg = PrivatePostgres::start(&dir.0, free_port()).expect("private PostgreSQL");
    let url = pg.url();
    let net = net().await;
    let grpc = net.localnet.grpc_url.clone();
    let indexer = Indexer::start(&grpc, &url);
    register_models(&net.owner, 1..=2).await;
    until_in_sync(&net, &url, 2).await;

    // A burst of registrations; the indexer process is killed with SIGKILL in its middle.
    let owner = net.owner.with_signer(Keypair::new());
    net.owner
        .send(
            &[solana_system_interface::instruction::transfer(
                &net.owner.pubkey(),
                &owner.pubkey(),
                5_000_000_000,
            )],
            &[],
        )
        .await
        .unwrap();
    let burst = tokio::spawn(async move { register_models(&owner, 1..=24).await });
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let cursor_at_kill =
        tokio::task::block_in_place(|| Store::connect(&url).unwrap().cursor().unwrap());
    drop(indexer);
    burst.await.unwrap();

    // Restarted, it resumes from its cursor: nothing missing, nothing duplicated.
    let _indexer = Indexer::start(&grpc, &url);
    until_in_sync(&net, &url, 26).await;
    let cursor = tokio::task::block_in_place(|| Store::connect(&url).unwrap().cursor().unwrap());
    assert!(cursor > cursor_at_kill, "{cursor:?} > {cursor_at_kill:?}");
}
