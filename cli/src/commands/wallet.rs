//! Wallet chores: keys, SOL from the faucet, balances, minting on a local network.

use std::path::PathBuf;

use clap::ValueEnum;
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::GpunetClient;
use serde_json::{Value, json};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::amount::{Amount, TokenAmount, format_units};
use crate::error::absent_if_not_found;
use crate::{CliError, Context, Result, keys, signed};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Token {
    /// The payment mint (USDC)
    Usdc,
    /// The network token (stake and rewards)
    Stake,
}

pub fn keygen(ctx: &Context, outfile: Option<PathBuf>, force: bool) -> Result<Value> {
    let path = outfile.unwrap_or_else(|| ctx.keypair_path.clone());
    if path.exists() && !force {
        return Err(CliError(format!(
            "{} already exists; pass --force to overwrite it (its key would be lost)",
            path.display()
        )));
    }
    let keypair = Keypair::new();
    keys::write_keypair(&keypair, &path)?;
    Ok(json!({ "pubkey": keypair.pubkey().to_string(), "path": path.display().to_string() }))
}

pub fn address(ctx: &Context) -> Result<Value> {
    Ok(json!({ "pubkey": ctx.keypair()?.pubkey().to_string() }))
}

/// SOL's decimals (1 SOL = 10^9 lamports).
const SOL_DECIMALS: u8 = 9;

pub async fn airdrop(ctx: &Context, sol: &Amount, to: Option<Pubkey>) -> Result<Value> {
    let lamports = sol.base_units(SOL_DECIMALS)?;
    let client = ctx.reader();
    let to = match to {
        Some(to) => to,
        None => ctx.keypair()?.pubkey(),
    };
    let signature = client.airdrop(&to, lamports).await?;
    let balance = client.sol_balance(&to).await?;
    Ok(signed(
        signature,
        json!({
            "to": to.to_string(),
            "lamports": ctx.out.amount(TokenAmount { units: lamports, decimals: SOL_DECIMALS, unit: "SOL" }),
            "balance_sol": format_units(balance, SOL_DECIMALS),
        }),
    ))
}

pub async fn balance(ctx: &Context, wallet: Option<Pubkey>) -> Result<Value> {
    let client = ctx.reader();
    let wallet = match wallet {
        Some(w) => w,
        None => ctx.keypair()?.pubkey(),
    };
    let lamports = client.sol_balance(&wallet).await?;
    let mut value = json!({
        "wallet": wallet.to_string(),
        "sol": format_units(lamports, SOL_DECIMALS),
        "lamports": lamports,
    });
    // Token balances only once a network exists.
    if absent_if_not_found(client.network_config().await)?.is_some() {
        let usdc = client.payment_balance(&wallet).await?;
        let stake = client.stake_token_balance(&wallet).await?;
        value["usdc"] = json!(usdc);
        value["network_tokens"] = json!(stake);
    }
    Ok(value)
}

pub async fn mint(
    ctx: &Context,
    token: Token,
    amount: &Amount,
    to: Option<Pubkey>,
) -> Result<Value> {
    let client = ctx.client()?;
    let to = to.unwrap_or(client.pubkey());
    let mint = match token {
        Token::Usdc => client.payment().await?.mint,
        Token::Stake => client.stake_mint().await?.mint,
    };
    let amount = resolve(&client, &mint, amount, unit_of(token)).await?;
    let signature = client.mint_to(&mint, &to, amount.units).await?;
    Ok(signed(
        signature,
        json!({ "mint": mint.to_string(), "to": to.to_string(), "amount": ctx.out.amount(amount) }),
    ))
}

/// The unit a mint's amounts are printed in.
fn unit_of(token: Token) -> &'static str {
    match token {
        Token::Usdc => USDC,
        Token::Stake => NETWORK_TOKENS,
    }
}

/// The payment mint's unit.
pub const USDC: &str = "USDC";
/// The stake mint's unit.
pub const NETWORK_TOKENS: &str = "network tokens";

/// `amount` resolved against `mint` (its decimals read from the chain).
pub async fn resolve(
    client: &GpunetClient,
    mint: &Pubkey,
    amount: &Amount,
    unit: &'static str,
) -> Result<TokenAmount> {
    let decimals = client.mint_info(mint).await?.0;
    Ok(TokenAmount {
        units: amount.base_units(decimals)?,
        decimals,
        unit,
    })
}

/// `units` base units of the payment mint, for printing.
pub async fn usdc_units(client: &GpunetClient, units: u64) -> Result<TokenAmount> {
    let mint = client.payment().await?.mint;
    resolve(client, &mint, &Amount::Base(units), USDC).await
}

/// `amount` resolved against the payment mint.
pub async fn usdc(client: &GpunetClient, amount: &Amount) -> Result<TokenAmount> {
    let mint = client.payment().await?.mint;
    resolve(client, &mint, amount, USDC).await
}

/// `amount` resolved against the stake mint.
pub async fn tokens(client: &GpunetClient, amount: &Amount) -> Result<TokenAmount> {
    let mint = client.stake_mint().await?.mint;
    resolve(client, &mint, amount, NETWORK_TOKENS).await
}
