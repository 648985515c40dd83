//! Typed decoding of everything the four programs write: their accounts
//! ([`GpunetAccount`]) and their events ([`GpunetEvent`]). Each has one entry point,
//! `decode(program, data)`, which checks that the type belongs to the program the data
//! came from (an account's owner, the program that emitted an event) before it looks at
//! the discriminator, so bytes another program wrote never decode as ours. Callers match
//! on the variants; nothing dispatches on type names.

use anchor_lang::{AnchorDeserialize, Discriminator};

use crate::Pubkey;

/// Declares the enum of `$name`, one variant per `$program::$ty`, with `decode` (which
/// passes the data through `$body` first, then tests each discriminator and decodes with
/// `$decode_one`), `name` and `program`.
macro_rules! decoded {
    (
        $(#[$doc:meta])*
        $name:ident, $body:path, $decode_one:path;
        $($program:ident::{$($ty:ident),+ $(,)?});+ $(;)?
    ) => {
        $(#[$doc])*
        pub enum $name {
            $($($ty(crate::$program::$ty),)+)+
        }

        impl $name {
            /// Decodes `data` written by `program` (`None` when the program is not one of
            /// ours, the discriminator is none of that program's types, or the body does
            /// not decode).
            pub fn decode(program: &Pubkey, data: &[u8]) -> Option<Self> {
                let data = $body(data);
                $(
                    if *program == crate::$program::PROGRAM_ID {
                        $(
                            if data.starts_with(crate::$program::$ty::DISCRIMINATOR) {
                                return $decode_one(data).map(Self::$ty);
                            }
                        )+
                        return None;
                    }
                )+
                None
            }

            /// The type's name as the programs (and their IDLs) spell it.
            pub fn name(&self) -> &'static str {
                match self {
                    $($(Self::$ty(_) => stringify!($ty),)+)+
                }
            }

            /// The program that owns (or emits) this type.
            pub fn program(&self) -> Pubkey {
                match self {
                    $($(Self::$ty(_) => crate::$program::PROGRAM_ID,)+)+
                }
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

fn account<T: anchor_lang::AccountDeserialize>(data: &[u8]) -> Option<T> {
    decode_account(data).ok()
}

/// Decodes an Anchor account (discriminator + borsh) from raw account data.
pub fn decode_account<T: anchor_lang::AccountDeserialize>(data: &[u8]) -> anchor_lang::Result<T> {
    let mut slice = data;
    T::try_deserialize(&mut slice)
}

/// Decodes an Anchor event of type `E` from either place programs put them: the data of
/// an `emit_cpi!` self-invocation (event tag, discriminator, borsh) or the decoded payload
/// of a `Program data:` log line written by `emit!` (discriminator, borsh). `None` when the
/// bytes are another event or something else.
pub fn decode_event<E>(data: &[u8]) -> Option<E>
where
    E: anchor_lang::Event + anchor_lang::AnchorDeserialize + anchor_lang::Discriminator,
{
    event(data)
}

/// An event of type `T`, from either place programs put events (see [`GpunetEvent`]).
pub(crate) fn event<T: AnchorDeserialize + Discriminator>(data: &[u8]) -> Option<T> {
    let mut body = untagged(data).strip_prefix(T::DISCRIMINATOR)?;
    T::deserialize(&mut body).ok()
}

decoded! {
    /// Every account type of the four programs, decoded.
    #[derive(Clone)]
    GpunetAccount, whole, account;
    registry::{NetworkConfig, Device};
    escrow::{Lease, Hire, DeviceLock};
    staking::{StakingConfig, StakeAccount, EpochRewards, Slash};
    proof::{Model, Session, SessionPayee, ReceiptLog};
}

decoded! {
    /// Every event of the four programs, decoded. `decode` takes the bytes from either
    /// place programs put events: the data of an `emit_cpi!` self-invocation (Anchor's
    /// event tag, discriminator, borsh) or the payload of a `Program data:` log line
    /// written by `emit!` (discriminator, borsh).
    GpunetEvent, untagged, event;
    registry::{NetworkInitialized, ConfigUpdated, AdminTransferred, DeviceRegistered,
        DeviceUpdated, DeviceStatusChanged, UptimeAttested};
    staking::{StakingConfigured, Staked, UnstakeRequested, Withdrawn, WeightRegistered,
        RewardsClaimed, SlashProposed, SlashCancelled, SlashFinalized};
    escrow::{LeaseCreated, HireAdded, HireExtended, HireSettled, HireReleased,
        LeaseTerminated, HireClosed, LeaseClosed};
    proof::{ModelRegistered, ModelUpdated, SessionOpened, SessionCloseRequested,
        SessionClosed, ReceiptsSubmitted};
}

/// Account data is decoded as it is.
fn whole(data: &[u8]) -> &[u8] {
    data
}

/// Event data without the `emit_cpi!` tag, when it carries one.
fn untagged(data: &[u8]) -> &[u8] {
    data.strip_prefix(anchor_lang::event::EVENT_IX_TAG_LE)
        .unwrap_or(data)
}

#[cfg(test)]
mod tests {
    use anchor_lang::{AccountSerialize, AnchorSerialize, Discriminator};

    use super::{GpunetAccount, GpunetEvent};
    use crate::{Pubkey, escrow, proof, registry};

    fn lock() -> Vec<u8> {
        let lock = escrow::DeviceLock {
            version: escrow::DeviceLock::VERSION,
            device: Pubkey::new_from_array([1; 32]),
            lease: Pubkey::new_from_array([2; 32]),
            hire: Pubkey::new_from_array([3; 32]),
            bump: 254,
            reserved: [0; 32],
        };
        let mut data = Vec::new();
        lock.try_serialize(&mut data).unwrap();
        data
    }

    #[test]
    fn an_account_decodes_only_under_the_program_that_owns_its_type() {
        let data = lock();
        match GpunetAccount::decode(&escrow::PROGRAM_ID, &data) {
            Some(GpunetAccount::DeviceLock(l)) => {
                assert_eq!(l.device, Pubkey::new_from_array([1; 32]));
                assert_eq!(l.bump, 254);
            }
            other => panic!("expected a DeviceLock, got {other:?}"),
        }
        let decoded = GpunetAccount::decode(&escrow::PROGRAM_ID, &data).unwrap();
        assert_eq!(decoded.name(), "DeviceLock");
        assert_eq!(decoded.program(), escrow::PROGRAM_ID);
        // The same bytes in an account of another program (ours or not) are not ours.
        assert!(GpunetAccount::decode(&registry::PROGRAM_ID, &data).is_none());
        assert!(GpunetAccount::decode(&Pubkey::new_from_array([9; 32]), &data).is_none());
    }

    #[test]
    fn an_account_with_a_known_discriminator_and_a_short_body_does_not_decode() {
        let data = lock();
        assert!(GpunetAccount::decode(&escrow::PROGRAM_ID, &data[..20]).is_none());
        assert!(GpunetAccount::decode(&escrow::PROGRAM_ID, &[0; 8]).is_none());
        assert!(GpunetAccount::decode(&escrow::PROGRAM_ID, &[]).is_none());
    }

    #[test]
    fn an_event_decodes_from_a_log_line_and_from_an_emit_cpi_invocation() {
        let event = registry::AdminTransferred {
            config: Pubkey::new_from_array([4; 32]),
            previous_admin: Pubkey::new_from_array([5; 32]),
            admin: Pubkey::new_from_array([6; 32]),
        };
        let mut logged = registry::AdminTransferred::DISCRIMINATOR.to_vec();
        event.serialize(&mut logged).unwrap();
        let mut tagged = anchor_lang::event::EVENT_IX_TAG_LE.to_vec();
        tagged.extend_from_slice(&logged);
        for data in [&logged, &tagged] {
            match GpunetEvent::decode(&registry::PROGRAM_ID, data) {
                Some(GpunetEvent::AdminTransferred(e)) => {
                    assert_eq!(e.admin, Pubkey::new_from_array([6; 32]));
                    assert_eq!(e.previous_admin, Pubkey::new_from_array([5; 32]));
                }
                other => panic!("expected AdminTransferred, got {other:?}"),
            }
        }
        // Emitted by another program, the same bytes are not a registry event.
        assert!(GpunetEvent::decode(&proof::PROGRAM_ID, &logged).is_none());
        assert!(GpunetEvent::decode(&registry::PROGRAM_ID, &logged[..40]).is_none());
    }
}
