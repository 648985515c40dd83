//! localnet serves the real `solana-client` over JSON-RPC, with the gpunet programs
//! deployed and executed as SBF.

use std::net::TcpListener;

use gpunet_localnet::{Localnet, LocalnetConfig, default_programs_dir};
use gpunet_sdk::registry::{self, FeeSchedule, InitializeNetworkArgs, NetworkConfig};
use solana_client::rpc_client::RpcClient;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_signer::Signer;
use solana_transaction::Transaction;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start(authority: &Keypair) -> Localnet {
    Localnet::start(&LocalnetConfig {
        bind: "127.0.0.1".into(),
        rpc_port: free_port(),
        ws_port: free_port(),
        programs_dir: default_programs_dir(),
        upgrade_authority: authority.pubkey(),
        slot_time_ms: 100,
    })
    .expect("localnet starts")
}

fn send(rpc: &RpcClient, ixs: &[solana_instruction::Instruction], signers: &[&Keypair]) {
    let blockhash = rpc.get_latest_blockhash().expect("blockhash");
    let tx =
        Transaction::new_signed_with_payer(ixs, Some(&signers[0].pubkey()), signers, blockhash);
    rpc.send_and_confirm_transaction(&tx)
        .expect("transaction confirmed");
}

fn create_mint(rpc: &RpcClient, payer: &Keypair, decimals: u8) -> gpunet_sdk::Pubkey {
    let mint = Keypair::new();
    let space = spl_token_interface::state::Mint::LEN;
    let lamports = rpc
        .get_minimum_balance_for_rent_exemption(space)
        .expect("rent");
    let create = solana_system_interface::instruction::create_account(
        &payer.pubkey(),
        &mint.pubkey(),
        lamports,
        space as u64,
        &spl_token_interface::ID,
    );
    let init = spl_token_interface::instruction::initialize_mint2(
        &spl_token_interface::ID,
        &mint.pubkey(),
        &payer.pubkey(),
        None,
        decimals,
    )
    .expect("initialize_mint2");
    send(rpc, &[create, init], &[payer, &mint]);
    mint.pubkey()
}

#[test]
fn the_programs_are_deployed_and_the_network_initialises_over_rpc() {
    let authority = Keypair::new();
    let localnet = start(&authority);
    let rpc =
        RpcClient::new_with_commitment(localnet.rpc_url.clone(), CommitmentConfig::confirmed());
    for (name, id) in gpunet_localnet::programs() {
        let account = rpc
            .get_account(&id)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(account.executable, "{name} is executable");
    }
    let sig = rpc
        .request_airdrop(&authority.pubkey(), 10_000_000_000)
        .expect("airdrop");
    rpc.poll_for_signature(&sig).expect("airdrop confirmed");
    let usdc = create_mint(&rpc, &authority, 6);
    let stake = create_mint(&rpc, &authority, 9);
    let args = InitializeNetworkArgs {
        fees: FeeSchedule {
            renter_fee_bps: 25,
            supplier_fee_bps: 50,
            inference_fee_bps: 200,
        },
        epoch_seconds: 60,
        treasury: Keypair::new().pubkey(),
        verifiers: vec![],
        verifier_quorum: 0,
    };
    let ix = registry::initialize_network(authority.pubkey(), usdc, stake, args);
    send(&rpc, &[ix], &[&authority]);
    let data = rpc
        .get_account_data(&registry::config_address())
        .expect("config account");
    let config: NetworkConfig = gpunet_sdk::decode_account(&data).expect("decodes");
    assert_eq!(config.admin, authority.pubkey());
    assert_eq!((config.payment_mint, config.stake_mint), (usdc, stake));

    // Only the upgrade authority could have done that: another key is refused.
    let other = Keypair::new();
    let sig = rpc
        .request_airdrop(&other.pubkey(), 1_000_000_000)
        .expect("airdrop");
    rpc.poll_for_signature(&sig).expect("airdrop confirmed");
    drop(localnet);
    let fresh = start(&authority);
    let rpc = RpcClient::new_with_commitment(fresh.rpc_url.clone(), CommitmentConfig::confirmed());
    let sig = rpc
        .request_airdrop(&other.pubkey(), 1_000_000_000)
        .expect("airdrop");
    rpc.poll_for_signature(&sig).expect("airdrop confirmed");
    let usdc = create_mint(&rpc, &other, 6);
    let stake = create_mint(&rpc, &other, 9);
    let args = InitializeNetworkArgs {
        fees: FeeSchedule {
            renter_fee_bps: 0,
            supplier_fee_bps: 0,
            inference_fee_bps: 0,
        },
        epoch_seconds: 60,
        treasury: other.pubkey(),
        verifiers: vec![],
        verifier_quorum: 0,
    };
    let ix = registry::initialize_network(other.pubkey(), usdc, stake, args);
    let blockhash = rpc.get_latest_blockhash().expect("blockhash");
    let tx = Transaction::new_signed_with_payer(&[ix], Some(&other.pubkey()), &[&other], blockhash);
    let error = rpc.send_and_confirm_transaction(&tx).expect_err("refused");
    let code = u32::from(registry::RegistryError::NotUpgradeAuthority);
    assert!(
        error.to_string().contains(&format!("{code:#x}"))
            || format!("{error:?}").contains(&code.to_string()),
        "{error:?}"
    );
}
