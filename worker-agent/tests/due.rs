//! The sdk's one path for actions valid only from some time on (`client::due`): they wait
//! for the clock that executes them instead of failing with the program's "not yet" error,
//! and a permissionless action someone else did first is reported, not failed. Real
//! programs on a real local chain; no agent runs here, so every hired epoch is missed.

mod common;

use common::{Net, hire};
use gpunet_sdk::client::{ClientError, Done};
use gpunet_sdk::staking;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settling_before_the_epochs_are_final_waits_for_the_clock_that_executes_it() {
    let net = Net::start("due-settle", 2).await;
    let supplier = net.supplier("rtx4090x2").await;
    let (renter, lease, _, start) = hire(&net, &supplier, "", 3).await;
    let end = start + 3;
    // Its last epoch is final only from epoch end + 1 (three epochs or more from now): a
    // settlement through it sent now would be refused.
    assert!(
        net.epoch().await < end + 1,
        "sent before the epochs are final"
    );
    let before = renter.payment_balance(&renter.pubkey()).await.unwrap();

    let done = renter
        .settle_hire_through(&lease, &supplier.device, end)
        .await
        .unwrap();

    assert!(matches!(done, Done::Sent(_)), "{done:?}");
    // The program settled through `end`, so its clock was in epoch end + 1 or later.
    let hire = renter.hire(&lease, &supplier.device).await.unwrap();
    assert_eq!(hire.settled_through, end);
    assert_eq!((hire.epochs_paid, hire.epochs_missed), (0, 3));
    let refunded = renter.payment_balance(&renter.pubkey()).await.unwrap() - before;
    assert_eq!(refunded, 3 * hire.terms.deposit_per_epoch().unwrap());
    assert_eq!(hire.refunded, refunded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_parties_settling_the_same_hire_at_once_settle_it_once_and_the_other_is_told() {
    let net = Net::start("due-twice", 2).await;
    let supplier = net.supplier("rtx4090x2").await;
    let (renter, lease, _, start) = hire(&net, &supplier, "", 1).await;
    let end = start + 1;
    let other = net.wallet(0).await;
    let before = renter.payment_balance(&renter.pubkey()).await.unwrap();

    let device = supplier.device;
    let (a, b) = tokio::join!(
        renter.settle_hire_through(&lease, &device, end),
        other.settle_hire_through(&lease, &device, end),
    );

    let outcomes = [a.unwrap(), b.unwrap()];
    let sent = outcomes
        .iter()
        .filter(|d| matches!(d, Done::Sent(_)))
        .count();
    assert_eq!(sent, 1, "exactly one settlement went through: {outcomes:?}");
    assert!(outcomes.contains(&Done::Already), "{outcomes:?}");
    // Refunded once, not twice.
    let hire = renter.hire(&lease, &device).await.unwrap();
    assert_eq!((hire.settled_through, hire.epochs_missed), (end, 1));
    let refunded = renter.payment_balance(&renter.pubkey()).await.unwrap() - before;
    assert_eq!(refunded, hire.terms.deposit_per_epoch().unwrap());
    // And one slash was proposed for the missed epoch, not two.
    assert_eq!(
        renter
            .stake_account(&device)
            .await
            .unwrap()
            .slashes_proposed,
        1
    );
    // Asked again, the sdk reads the chain and sends nothing.
    assert_eq!(
        other.settle_hire(&lease, &device).await.unwrap(),
        Done::Already
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_sent_before_the_cooldown_ends_is_sent_again_until_the_program_accepts_it() {
    let net = Net::start_with_cooldown("due-withdraw", 2, 6, 3).await;
    let supplier = net.supplier("rtx4090x2").await;
    let (owner, device) = (&supplier.owner, supplier.device);
    let active = owner.stake_account(&device).await.unwrap().active;
    owner.request_unstake(&device, active).await.unwrap();
    let unlock_at = owner.stake_account(&device).await.unwrap().unlock_at;
    let before = owner.stake_token_balance(&owner.pubkey()).await.unwrap();
    let mint = owner.stake_mint().await.unwrap();
    let (create, owner_token) =
        owner.ensure_token_account_ix(&owner.pubkey(), &mint.mint, &mint.token_program);
    let withdraw = staking::withdraw(owner.pubkey(), device, owner_token, mint);
    assert!(
        owner.clock().await.unwrap().unix_timestamp < unlock_at,
        "sent while the cooldown runs"
    );

    // No wait for the due time first: the program refuses (CooldownNotOver) until the clock
    // that executes the withdrawal has passed the unlock time.
    owner
        .send_when_accepted(&[create.clone(), withdraw.clone()], &["CooldownNotOver"])
        .await
        .unwrap();

    let stake = owner.stake_account(&device).await.unwrap();
    assert_eq!(stake.cooling, 0);
    let paid = owner.stake_token_balance(&owner.pubkey()).await.unwrap() - before;
    assert_eq!(paid, active);
    // Any other refusal is returned at once: there is nothing left to withdraw.
    let again = owner
        .send_when_accepted(&[create, withdraw], &["CooldownNotOver"])
        .await
        .unwrap_err();
    assert!(
        matches!(&again, ClientError::ProgramError { name, .. } if name == "NothingToWithdraw"),
        "{again}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_long_before_the_cooldown_ends_says_when_it_is_due_without_waiting() {
    let net = Net::start_with_cooldown("due-far", 2, 600, 30).await;
    let supplier = net.supplier("rtx4090x2").await;
    let (owner, device) = (&supplier.owner, supplier.device);
    owner.request_unstake(&device, 1).await.unwrap();
    let unlock_at = owner.stake_account(&device).await.unwrap().unlock_at;

    let error = owner.withdraw(&device).await.unwrap_err();

    assert!(
        matches!(&error, ClientError::NotYet { detail, .. }
            if detail.contains(&format!("due at chain time {unlock_at}"))),
        "{error}"
    );
    assert_eq!(owner.stake_account(&device).await.unwrap().cooling, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slash_is_finalized_once_its_challenge_window_is_over_and_once_only() {
    let net = Net::start_with_cooldown("due-slash", 2, 8, 3).await;
    let supplier = net.supplier("rtx4090x2").await;
    let (renter, lease, _, start) = hire(&net, &supplier, "", 1).await;
    let device = supplier.device;
    // The missed epoch's settlement proposes slash 0.
    renter
        .settle_hire_through(&lease, &device, start + 1)
        .await
        .unwrap();
    let proposed = renter.stake_account(&device).await.unwrap();
    assert_eq!(
        (proposed.slashes_proposed, proposed.pending_slashes),
        (1, 1)
    );
    let other = net.wallet(0).await;

    // Sent at once, while the window is open: both wait for it, one finalizes.
    let (a, b) = tokio::join!(
        renter.finalize_slash(&device, 0),
        other.finalize_slash(&device, 0),
    );

    let outcomes = [a.unwrap(), b.unwrap()];
    let sent = outcomes
        .iter()
        .filter(|d| matches!(d, Done::Sent(_)))
        .count();
    assert_eq!(sent, 1, "{outcomes:?}");
    let stake = renter.stake_account(&device).await.unwrap();
    assert_eq!(stake.pending_slashes, 0);
    assert_eq!(stake.slashed_total, proposed.pending_slash_amount);
    assert!(stake.slashed_total > 0);
    assert_eq!(
        renter.finalize_slash(&device, 0).await.unwrap(),
        Done::Already
    );
}
