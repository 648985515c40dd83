//! Wallet chores: keys, SOL from the faucet, balances, minting on a local network.

use std::path::PathBuf;

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::GpunetClient;
use serde_json::{Value, json};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::amount::{Amount, format_units};
use crate::args::Token;
use crate::{CliError, Context, Result, keys, signed};

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

pub async fn airdrop(ctx: &Context, sol: &str, to: Option<Pubkey>) -> Result<Value> {
    let lamports = sol
        .parse::<Amount>()
        .and_then(|a| match a {
            // Here an integer means whole SOL: nobody asks a faucet for lamports.
            Amount::Base(whole) => Amount::Decimal {
                whole,
                fraction: String::new(),
            }
            .base_units(9),
            decimal => decimal.base_units(9),
        })
        .map_err(CliError)?;
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
            "lamports": lamports,
            "balance_sol": format_units(balance, 9),
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
        "sol": format_units(lamports, 9),
        "lamports": lamports,
    });
    // Token balances only once a network exists.
    if client.network_config().await.is_ok() {
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
    let units = units_of(&client, &mint, amount).await?;
    let signature = client.mint_to(&mint, &to, units).await?;
    Ok(signed(
        signature,
        json!({ "mint": mint.to_string(), "to": to.to_string(), "amount": units }),
    ))
}

/// `amount` in base units of `mint` (its decimals read from the chain).
pub async fn units_of(client: &GpunetClient, mint: &Pubkey, amount: &Amount) -> Result<u64> {
    if let Amount::Base(units) = amount {
        return Ok(*units);
    }
    let decimals = client.mint_info(mint).await?.0;
    Ok(amount.base_units(decimals)?)
}

/// `amount` in base units of the payment mint.
pub async fn usdc(client: &GpunetClient, amount: &Amount) -> Result<u64> {
    let mint = client.payment().await?.mint;
    units_of(client, &mint, amount).await
}

/// `amount` in base units of the stake mint.
pub async fn tokens(client: &GpunetClient, amount: &Amount) -> Result<u64> {
    let mint = client.stake_mint().await?.mint;
    units_of(client, &mint, amount).await
}
