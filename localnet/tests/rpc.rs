//! localnet serves the real `solana-client` over JSON-RPC, with the gpunet programs
//! deployed and executed as SBF.

mod common;

use common::{fund, initialize_network, mints, rpc, send, start, transaction};
use gpunet_sdk::registry::{self, NetworkConfig};
use solana_keypair::Keypair;
use solana_signer::Signer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_programs_are_deployed_and_the_network_initialises_over_rpc() {
    let authority = Keypair::new();
    let localnet = start(&authority.pubkey(), 100);
    let rpc = rpc(&localnet);
    for (name, id) in gpunet_localnet::programs() {
        let account = rpc
            .get_account(&id)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(account.executable, "{name} is executable");
    }
    fund(&rpc, &authority.pubkey(), 10_000_000_000).await;
    let network_mints = mints(&rpc, &authority).await;
    send(
        &rpc,
        &[initialize_network(&authority, &network_mints)],
        &[&authority],
    )
    .await;
    let data = rpc
        .get_account_data(&registry::config_address())
        .await
        .expect("config account");
    let config: NetworkConfig = gpunet_sdk::decode_account(&data).expect("decodes");
    assert_eq!(config.admin, authority.pubkey());
    assert_eq!(
        (config.payment_mint, config.stake_mint),
        (network_mints.usdc, network_mints.stake)
    );
    drop(localnet);

    // Only the upgrade authority can do that: on a fresh chain another key is refused.
    let fresh = start(&authority.pubkey(), 100);
    let rpc = common::rpc(&fresh);
    let other = Keypair::new();
    fund(&rpc, &other.pubkey(), 1_000_000_000).await;
    let other_mints = mints(&rpc, &other).await;
    let tx = transaction(&rpc, &[initialize_network(&other, &other_mints)], &[&other]).await;
    let error = rpc
        .send_and_confirm_transaction(&tx)
        .await
        .expect_err("refused");
    let code = u32::from(registry::RegistryError::NotUpgradeAuthority);
    assert!(
        error.to_string().contains(&format!("{code:#x}"))
            || format!("{error:?}").contains(&code.to_string()),
        "{error:?}"
    );
}
