//! Network set-up (admin) and the token plumbing every other action leans on: mints,
//! associated accounts, minting.

use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_signer::Signer;
use solana_transaction::Signature;

use super::{GpunetClient, Result, tokens};
use crate::registry::{self, InitializeNetworkArgs};
use crate::staking::{self, StakeMint, StakingParams};
use crate::{Instruction, Pubkey};

/// Everything `initialize_network` and `initialize_staking` need. The mints must exist
/// (see [`GpunetClient::create_mint`]); the client's wallet must be the programs' upgrade
/// authority.
#[derive(Clone, Debug)]
pub struct NetworkInit {
    /// USDC or any SPL Token / Token-2022 mint: leases and inferences are paid in it.
    pub payment_mint: Pubkey,
    /// The network token, staked by suppliers and paid as block rewards.
    pub stake_mint: Pubkey,
    pub network: InitializeNetworkArgs,
    pub staking: StakingParams,
}

/// What [`GpunetClient::initialize_network`] created.
#[derive(Clone, Debug)]
pub struct NetworkInitialized {
    pub signature: Signature,
    pub config: Pubkey,
    pub staking_config: Pubkey,
    pub emission_vault: Pubkey,
    /// The treasury's associated accounts in the payment and stake mints (fees, slashes).
    pub treasury_payment_token: Pubkey,
    pub treasury_stake_token: Pubkey,
}

impl GpunetClient {
    /// Creates a mint with `decimals` under SPL Token, the client's wallet as its mint
    /// authority; returns its address.
    pub async fn create_mint(&self, decimals: u8) -> Result<(Pubkey, Signature)> {
        let mint = Keypair::new();
        let space = spl_token_interface::state::Mint::LEN;
        let lamports = self
            .rpc
            .get_minimum_balance_for_rent_exemption(space)
            .await
            .map_err(|e| self.rpc_error(e))?;
        let create = solana_system_interface::instruction::create_account(
            &self.pubkey(),
            &mint.pubkey(),
            lamports,
            space as u64,
            &tokens::TOKEN_PROGRAM_ID,
        );
        let initialize = spl_token_interface::instruction::initialize_mint2(
            &tokens::TOKEN_PROGRAM_ID,
            &mint.pubkey(),
            &self.pubkey(),
            None,
            decimals,
        )
        .expect("initialize_mint2 takes valid program ids");
        let signature = self.send(&[create, initialize], &[&mint]).await?;
        Ok((mint.pubkey(), signature))
    }

    /// The instruction creating `wallet`'s associated account of `mint` when missing (the
    /// client's wallet pays the rent), and that account's address.
    pub fn ensure_token_account_ix(
        &self,
        wallet: &Pubkey,
        mint: &Pubkey,
        token_program: &Pubkey,
    ) -> (Instruction, Pubkey) {
        let ix = tokens::create_associated_token_account_idempotent(
            &self.pubkey(),
            wallet,
            mint,
            token_program,
        );
        (
            ix,
            tokens::associated_token_address(wallet, mint, token_program),
        )
    }

    /// The payment-mint associated accounts of `wallets`, and the instructions creating
    /// the missing ones (only those, to keep payment transactions under the size limit).
    pub async fn payment_accounts(
        &self,
        wallets: &[Pubkey],
    ) -> Result<(Vec<Instruction>, Vec<Pubkey>)> {
        let payment = self.payment().await?;
        let addresses: Vec<Pubkey> = wallets
            .iter()
            .map(|w| tokens::associated_token_address(w, &payment.mint, &payment.token_program))
            .collect();
        let existing = self.accounts(&addresses).await?;
        let mut create = Vec::new();
        for (i, (wallet, account)) in wallets.iter().zip(existing).enumerate() {
            let first = !wallets[..i].contains(wallet);
            if account.is_none() && first {
                let (ix, _) =
                    self.ensure_token_account_ix(wallet, &payment.mint, &payment.token_program);
                create.push(ix);
            }
        }
        Ok((create, addresses))
    }

    /// Mints `amount` base units of `mint` to `wallet`'s associated account (created if
    /// missing); the client's wallet must be the mint authority.
    pub async fn mint_to(&self, mint: &Pubkey, wallet: &Pubkey, amount: u64) -> Result<Signature> {
        let program = self.token_program_of(mint).await?;
        let (create, destination) = self.ensure_token_account_ix(wallet, mint, &program);
        let mint_to = spl_token_interface::instruction::mint_to(
            &program,
            mint,
            &destination,
            &self.pubkey(),
            &[],
            amount,
        )
        .map_err(|e| super::ClientError::Invalid(format!("mint_to: {e}")))?;
        self.send(&[create, mint_to], &[]).await
    }

    /// Mints `amount` stake tokens straight into the staking emission vault (block
    /// rewards); the client's wallet must be the stake mint's authority.
    pub async fn fund_emission(&self, amount: u64) -> Result<Signature> {
        let mint = self.stake_mint().await?;
        let ix = spl_token_interface::instruction::mint_to(
            &mint.token_program,
            &mint.mint,
            &staking::emission_vault_address(),
            &self.pubkey(),
            &[],
            amount,
        )
        .map_err(|e| super::ClientError::Invalid(format!("mint_to: {e}")))?;
        self.send(&[ix], &[]).await
    }

    /// Fails when the network is initialised already (its configuration exists): checked
    /// by [`initialize_network`](Self::initialize_network), and by callers that prepare
    /// anything (mints, keys) before it.
    pub async fn require_uninitialised(&self) -> Result<()> {
        let config = registry::config_address();
        if self.account(&config).await?.is_some() {
            return Err(super::ClientError::Invalid(format!(
                "the network is already initialised (configuration {config}); see `gpunet \
                 network show`"
            )));
        }
        Ok(())
    }

    /// `initialize_network` and `initialize_staking` in one transaction, signed by the
    /// client's wallet (the programs' upgrade authority, who becomes the network admin),
    /// after creating the treasury's associated accounts in both mints.
    pub async fn initialize_network(&self, init: &NetworkInit) -> Result<NetworkInitialized> {
        self.require_uninitialised().await?;
        let payment_program = self.token_program_of(&init.payment_mint).await?;
        let stake_program = self.token_program_of(&init.stake_mint).await?;
        let treasury = init.network.treasury;
        let (create_payment, treasury_payment_token) =
            self.ensure_token_account_ix(&treasury, &init.payment_mint, &payment_program);
        let (create_stake, treasury_stake_token) =
            self.ensure_token_account_ix(&treasury, &init.stake_mint, &stake_program);
        self.send(&[create_payment, create_stake], &[]).await?;

        let admin = self.pubkey();
        let network = registry::initialize_network(
            admin,
            init.payment_mint,
            init.stake_mint,
            init.network.clone(),
        );
        let mint = StakeMint {
            mint: init.stake_mint,
            token_program: stake_program,
        };
        let staking = staking::initialize_staking(admin, mint, init.staking.clone());
        let signature = self.send(&[network, staking], &[]).await?;
        Ok(NetworkInitialized {
            signature,
            config: registry::config_address(),
            staking_config: staking::config_address(),
            emission_vault: staking::emission_vault_address(),
            treasury_payment_token,
            treasury_stake_token,
        })
    }
}
