//! Starting localnet on free ports and driving it with the real `solana-client`.
#![allow(dead_code)] // each test file uses its own part

use gpunet_localnet::{Localnet, LocalnetConfig};
use gpunet_sdk::Pubkey;
use gpunet_sdk::registry::{self, FeeSchedule, InitializeNetworkArgs};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_commitment_config::CommitmentConfig;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_signer::Signer;
use solana_transaction::Transaction;

pub fn start(authority: &Pubkey, replay_slots: u64) -> Localnet {
    Localnet::start(&LocalnetConfig {
        replay_slots,
        slot_time_ms: 100,
        ..LocalnetConfig::new(*authority).on_free_ports()
    })
    .expect("localnet starts")
}

pub fn rpc(localnet: &Localnet) -> RpcClient {
    RpcClient::new_with_commitment(localnet.rpc_url.clone(), CommitmentConfig::confirmed())
}

pub async fn fund(rpc: &RpcClient, key: &Pubkey, lamports: u64) {
    let sig = rpc.request_airdrop(key, lamports).await.expect("airdrop");
    rpc.poll_for_signature(&sig)
        .await
        .expect("airdrop confirmed");
}

pub async fn transaction(
    rpc: &RpcClient,
    ixs: &[Instruction],
    signers: &[&Keypair],
) -> Transaction {
    let blockhash = rpc.get_latest_blockhash().await.expect("blockhash");
    Transaction::new_signed_with_payer(ixs, Some(&signers[0].pubkey()), signers, blockhash)
}

pub async fn send(
    rpc: &RpcClient,
    ixs: &[Instruction],
    signers: &[&Keypair],
) -> solana_signature::Signature {
    let tx = transaction(rpc, ixs, signers).await;
    rpc.send_and_confirm_transaction(&tx)
        .await
        .expect("transaction confirmed")
}

pub async fn create_mint(rpc: &RpcClient, payer: &Keypair, decimals: u8) -> Pubkey {
    let mint = Keypair::new();
    let space = spl_token_interface::state::Mint::LEN;
    let lamports = rpc
        .get_minimum_balance_for_rent_exemption(space)
        .await
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
    send(rpc, &[create, init], &[payer, &mint]).await;
    mint.pubkey()
}

pub fn network_args(treasury: Pubkey) -> InitializeNetworkArgs {
    InitializeNetworkArgs {
        fees: FeeSchedule {
            renter_fee_bps: 25,
            supplier_fee_bps: 50,
            inference_fee_bps: 200,
        },
        epoch_seconds: 60,
        treasury,
        verifiers: vec![],
        verifier_quorum: 0,
    }
}

/// The network's mints (payment 6 decimals, stake 9).
pub struct Mints {
    pub usdc: Pubkey,
    pub stake: Pubkey,
}

pub async fn mints(rpc: &RpcClient, authority: &Keypair) -> Mints {
    Mints {
        usdc: create_mint(rpc, authority, 6).await,
        stake: create_mint(rpc, authority, 9).await,
    }
}

pub fn initialize_network(authority: &Keypair, mints: &Mints) -> Instruction {
    registry::initialize_network(
        authority.pubkey(),
        mints.usdc,
        mints.stake,
        network_args(authority.pubkey()),
    )
}
