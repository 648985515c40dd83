//! Renter actions (leases and hires) and settlement, which anyone may send.

use solana_transaction::Signature;

use super::due::{Due, Step, epoch_start, program_error};
use super::{ClientError, Done, GpunetClient, Progress, Registered, Result};
use crate::escrow::{self, CreateLeaseArgs, Hire, Payees};
use crate::{Instruction, Pubkey};

impl GpunetClient {
    /// `create_lease` (renter = the client's wallet): a lease and its vault. `job` is what
    /// its devices run: `cmd:<shell command>`, `image:<container image reference>`, or
    /// empty for the worker agent's built-in benchmark workload.
    pub async fn create_lease(
        &self,
        lease_id: u64,
        name: &str,
        job: &str,
        max_price_per_gpu_hour: u64,
    ) -> Result<Registered> {
        let payment = self.payment().await?;
        let args = CreateLeaseArgs {
            lease_id,
            name: name.to_string(),
            job: job.to_string(),
            max_price_per_gpu_hour,
        };
        let ix = escrow::create_lease(self.pubkey(), payment, args);
        let signature = self.send(&[ix], &[]).await?;
        Ok(Registered {
            address: escrow::lease_address(&self.pubkey(), lease_id),
            signature,
        })
    }

    /// The `add_hire` instruction of `device` for `epochs`, paid from the renter's
    /// associated payment account.
    async fn add_hire_ix(
        &self,
        lease: &Pubkey,
        device: &Pubkey,
        epochs: u64,
    ) -> Result<Instruction> {
        let payment = self.payment().await?;
        let renter_token = self.own_payment_account().await?;
        Ok(escrow::add_hire(
            self.pubkey(),
            *lease,
            *device,
            renter_token,
            payment,
            epochs,
        ))
    }

    /// The client wallet's associated account in the payment mint.
    async fn own_payment_account(&self) -> Result<Pubkey> {
        let payment = self.payment().await?;
        Ok(super::tokens::associated_token_address(
            &self.pubkey(),
            &payment.mint,
            &payment.token_program,
        ))
    }

    /// `add_hire` of one device for `epochs` (renter).
    pub async fn add_hire(
        &self,
        lease: &Pubkey,
        device: &Pubkey,
        epochs: u64,
    ) -> Result<Signature> {
        self.lease(lease).await?;
        self.device(device).await?;
        if let Some(busy) = self.busy_devices(&[*device]).await?.pop().flatten() {
            return Err(busy);
        }
        let ix = self.add_hire_ix(lease, device, epochs).await?;
        self.send(&[ix], &[]).await
    }

    /// For each device, the error saying it is hired already (its lock exists), if it
    /// is: the chain would only say that an account to create is in use.
    async fn busy_devices(&self, devices: &[Pubkey]) -> Result<Vec<Option<ClientError>>> {
        let mut busy = Vec::with_capacity(devices.len());
        for chunk in devices.chunks(100) {
            let locks: Vec<Pubkey> = chunk.iter().map(escrow::lock_address).collect();
            let found = self.accounts(&locks).await?;
            busy.extend(chunk.iter().zip(found).map(|(device, lock)| {
                lock.map(|_| {
                    ClientError::Invalid(format!(
                        "the device {device} is already hired (its lock {} exists)",
                        escrow::lock_address(device)
                    ))
                })
            }));
        }
        Ok(busy)
    }

    /// Hires every device of `devices` for `epochs`, one transaction each, pipelined;
    /// `progress` is called as each finishes. One result per device, in order: a device
    /// hired already is reported (and counted as failed) without being sent.
    pub async fn add_hires(
        &self,
        lease: &Pubkey,
        devices: &[Pubkey],
        epochs: u64,
        progress: impl FnMut(Progress),
    ) -> Result<Vec<(Pubkey, Result<Signature>)>> {
        self.lease(lease).await?;
        let busy = self.busy_devices(devices).await?;
        let mut batch = Vec::with_capacity(devices.len());
        for (device, busy) in devices.iter().zip(busy) {
            let instructions = match busy {
                Some(error) => Err(error),
                None => Ok(vec![self.add_hire_ix(lease, device, epochs).await?]),
            };
            batch.push((*device, instructions));
        }
        Ok(self.send_batch(batch, progress).await)
    }

    /// Hires every device of `devices` for `epochs` in one transaction, so every hire
    /// starts and ends in the same epochs (pipelined hires that straddle an epoch boundary
    /// do not). `Invalid` when the instructions do not fit one transaction (about three
    /// devices do; use [`add_hires`](Self::add_hires) beyond) or a device is hired already.
    pub async fn add_hires_at_once(
        &self,
        lease: &Pubkey,
        devices: &[Pubkey],
        epochs: u64,
    ) -> Result<Signature> {
        self.lease(lease).await?;
        if let Some(busy) = self
            .busy_devices(devices)
            .await?
            .into_iter()
            .flatten()
            .next()
        {
            return Err(busy);
        }
        let mut ixs = Vec::with_capacity(devices.len());
        for device in devices {
            ixs.push(self.add_hire_ix(lease, device, epochs).await?);
        }
        let size = super::transaction_size(&ixs, &self.pubkey());
        if size > super::MAX_TRANSACTION_BYTES {
            return Err(ClientError::Invalid(format!(
                "{} hires take {size} bytes, more than one transaction holds ({})",
                devices.len(),
                super::MAX_TRANSACTION_BYTES
            )));
        }
        self.send(&ixs, &[]).await
    }

    /// Sends the transaction of every item whose instructions could be built (pipelined,
    /// [`send_many`](Self::send_many)); an item that could not be built keeps its error
    /// and counts as failed from the start. One result per item, in order.
    async fn send_batch(
        &self,
        batch: Vec<(Pubkey, Result<Vec<Instruction>>)>,
        mut progress: impl FnMut(Progress),
    ) -> Vec<(Pubkey, Result<Signature>)> {
        let total = batch.len();
        let mut items = Vec::with_capacity(total);
        let mut transactions = Vec::with_capacity(total);
        for (key, instructions) in batch {
            match instructions {
                Ok(instructions) => {
                    transactions.push(instructions);
                    items.push((key, None));
                }
                Err(error) => items.push((key, Some(error))),
            }
        }
        let unbuilt = total - transactions.len();
        if unbuilt > 0 {
            progress(Progress {
                done: unbuilt,
                failed: unbuilt,
                total,
            });
        }
        let mut sent = self
            .send_many(&transactions, |p| {
                progress(Progress {
                    done: p.done + unbuilt,
                    failed: p.failed + unbuilt,
                    total,
                })
            })
            .await
            .into_iter();
        items
            .into_iter()
            .map(|(key, unbuilt)| match unbuilt {
                Some(error) => (key, Err(error)),
                None => (key, sent.next().expect("one result per transaction")),
            })
            .collect()
    }

    /// `extend_hire` by `epochs` (renter), at the hire's original terms.
    pub async fn extend_hire(
        &self,
        lease: &Pubkey,
        device: &Pubkey,
        epochs: u64,
    ) -> Result<Signature> {
        self.hire(lease, device).await?;
        let payment = self.payment().await?;
        let renter_token = self.own_payment_account().await?;
        let ix = escrow::extend_hire(
            self.pubkey(),
            *lease,
            *device,
            renter_token,
            payment,
            epochs,
        );
        self.send(&[ix], &[]).await
    }

    /// `release_hire`, sent by the client's wallet (the renter, or anyone once the lease
    /// is terminated or the hire has ended); refunds go to the renter's account.
    pub async fn release_hire(&self, lease: &Pubkey, device: &Pubkey) -> Result<Signature> {
        let renter = self.lease(lease).await?.renter;
        self.hire(lease, device).await?;
        let payment = self.payment().await?;
        let (create, renter_token) =
            self.ensure_token_account_ix(&renter, &payment.mint, &payment.token_program);
        let ix = escrow::release_hire(
            self.pubkey(),
            renter,
            *lease,
            *device,
            renter_token,
            payment,
        );
        self.send(&[create, ix], &[]).await
    }

    /// `terminate_lease` (renter).
    pub async fn terminate_lease(&self, lease: &Pubkey) -> Result<Signature> {
        self.lease(lease).await?;
        let ix = escrow::terminate_lease(self.pubkey(), *lease);
        self.send(&[ix], &[]).await
    }

    /// The instructions settling the hire of `device` in `lease`: the payees' associated
    /// accounts (created when missing) and `settle_hire`.
    async fn settle_instructions(
        &self,
        lease: &Pubkey,
        device: &Pubkey,
    ) -> Result<Vec<Instruction>> {
        let renter = self.lease(lease).await?.renter;
        let hire = self.hire(lease, device).await?;
        let treasury = self.network_config().await?.treasury;
        let next_slash_id = self.stake_account(device).await?.slashes_proposed;
        let payment = self.payment().await?;
        let (mut ixs, accounts) = self
            .payment_accounts(&[hire.owner, treasury, renter])
            .await?;
        let payees = Payees {
            owner_token: accounts[0],
            treasury_token: accounts[1],
            renter_token: accounts[2],
        };
        ixs.push(escrow::settle_hire(
            self.pubkey(),
            *lease,
            *device,
            payees,
            payment,
            next_slash_id,
        ));
        Ok(ixs)
    }

    /// `settle_hire` of one hire (anyone; the client's wallet pays the fee, and the rent
    /// of a slash record when epochs were missed): every epoch that is final by the chain's
    /// clock now. [`Done::Already`] when the hire is settled (by its agent, say); an
    /// [`Invalid`](ClientError::Invalid) error when none of its epochs is final yet.
    pub async fn settle_hire(&self, lease: &Pubkey, device: &Pubkey) -> Result<Done> {
        let hire = self.hire(lease, device).await?;
        if hire.is_settled() {
            return Ok(Done::Already);
        }
        let current = self.current_epoch().await?;
        let through = hire.end_epoch.min(Hire::final_before(current));
        if through <= hire.settled_through {
            return Err(ClientError::Invalid(format!(
                "no epoch of the hire of {device} is final yet: epoch {} is final from epoch {} \
                 on (now {current})",
                hire.settled_through,
                hire.settled_through + 2
            )));
        }
        self.settle_hire_through(lease, device, through).await
    }

    /// Settles the hire of `device` in `lease` until every epoch before `through` (at most
    /// the hire's end) is settled, waiting for the chain's clock to make them final (see
    /// [`due`](super::due)): several transactions for a long hire, none when someone else
    /// settled it first ([`Done::Already`]).
    pub async fn settle_hire_through(
        &self,
        lease: &Pubkey,
        device: &Pubkey,
        through: u64,
    ) -> Result<Done> {
        let hire = self.hire(lease, device).await?;
        let through = through.min(hire.end_epoch);
        let config = self.network_config().await?;
        // Epoch e is final, so settleable, once the epoch after next has begun.
        let due = Due {
            what: format!("settling the hire of {device} in lease {lease} through epoch {through}"),
            at: epoch_start(&config, through.saturating_add(1))?,
            not_yet: &["NothingToSettle"],
            done_elsewhere: &[],
            once: false,
            wait_at_most: None,
            extra_signers: &[],
        };
        self.send_when_due(due, move |_| async move {
            if self.hire(lease, device).await?.settled_through >= through {
                return Ok(Step::Done);
            }
            Ok(Step::Send(self.settle_instructions(lease, device).await?))
        })
        .await
    }

    /// Settles every hire of `lease` (or only `devices` when given) through epoch `through`
    /// (each hire's end when `None`), pipelined, calling `progress` as each finishes. Hires
    /// that the executing clock does not let settle yet, or that need more than one
    /// transaction, go on through [`settle_hire_through`](Self::settle_hire_through). One
    /// result per device: a device whose settlement cannot be prepared (no such hire, a
    /// missing stake account) gets its error without holding up the others.
    pub async fn settle_lease(
        &self,
        lease: &Pubkey,
        devices: &[Pubkey],
        through: Option<u64>,
        progress: impl FnMut(Progress),
    ) -> Result<Vec<(Pubkey, Result<Done>)>> {
        // Each device's hire, or the error that keeps it from being settled.
        let found: Vec<(Pubkey, Result<Hire>)> = if devices.is_empty() {
            self.hires_of(lease)
                .await?
                .into_iter()
                .map(|(_, hire)| (hire.device, Ok(hire)))
                .collect()
        } else {
            let mut found = Vec::with_capacity(devices.len());
            for device in devices {
                found.push((*device, self.hire(lease, device).await));
            }
            found
        };
        let order: Vec<Pubkey> = found.iter().map(|(device, _)| *device).collect();
        let target = |hire: &Hire| through.unwrap_or(hire.end_epoch).min(hire.end_epoch);
        // Wait for the node's clock to show the last target final, then send them all.
        let last = found
            .iter()
            .filter_map(|(_, hire)| hire.as_ref().ok().map(target))
            .max();
        if let Some(last) = last {
            let config = self.network_config().await?;
            let at = epoch_start(&config, last.saturating_add(1))?;
            self.wait_for_time(at, &format!("settling lease {lease}"))
                .await?;
        }
        let mut batch = Vec::with_capacity(found.len());
        let mut results: Vec<(Pubkey, Result<Done>)> = Vec::new();
        let mut targets = Vec::new();
        for (device, hire) in found {
            match hire {
                Err(e) => results.push((device, Err(e))),
                Ok(hire) if hire.settled_through >= target(&hire) => {
                    results.push((device, Ok(Done::Already)));
                }
                Ok(hire) => {
                    targets.push((device, target(&hire)));
                    batch.push((device, self.settle_instructions(lease, &device).await));
                }
            }
        }
        let sent = self.send_batch(batch, progress).await;
        for (device, result) in sent {
            let result = match result {
                Err(e) if program_error(&e) != Some("NothingToSettle") => Err(e),
                first => {
                    let through = targets
                        .iter()
                        .find(|(d, _)| *d == device)
                        .map_or(0, |(_, t)| *t);
                    match (
                        self.settle_hire_through(lease, &device, through).await,
                        first,
                    ) {
                        (Ok(Done::Already), Ok(signature)) => Ok(Done::Sent(signature)),
                        (rest, _) => rest,
                    }
                }
            };
            results.push((device, result));
        }
        results.sort_by_key(|(d, _)| order.iter().position(|o| o == d));
        Ok(results)
    }

    /// `close_hire` of a released, fully settled hire (anyone; the rent goes to the
    /// renter).
    pub async fn close_hire(&self, lease: &Pubkey, device: &Pubkey) -> Result<Signature> {
        let renter = self.lease(lease).await?.renter;
        self.hire(lease, device).await?;
        let ix = escrow::close_hire(renter, *lease, *device);
        self.send(&[ix], &[]).await
    }

    /// `close_lease` (renter): the lease has no hire left; sweeps the vault back.
    pub async fn close_lease(&self, lease: &Pubkey) -> Result<Signature> {
        self.lease(lease).await?;
        let payment = self.payment().await?;
        let (create, renter_token) =
            self.ensure_token_account_ix(&self.pubkey(), &payment.mint, &payment.token_program);
        let ix = escrow::close_lease(self.pubkey(), *lease, renter_token, payment);
        self.send(&[create, ix], &[]).await
    }
}
