//! The voucher protocol: how a consumer pays a worker agent for inferences, one request at
//! a time, out of a prepaid session.
//!
//! A voucher says "device `device` may have been paid up to `cumulative` from `session`".
//! The session's authoriser signs its message ([`message`], the bytes the proof program
//! checks in `submit_inference_receipts`) with ed25519; the agent keeps the highest one it
//! accepted and later puts it on chain beside the receipts it pays for. Vouchers are
//! cumulative, so a replayed or older one is worth nothing.
//!
//! Over HTTP (`POST /v1/inference` at the agent), a request carries:
//! - [`SESSION_HEADER`]: the session address;
//! - [`VOUCHER_HEADER`]: `<cumulative>:<base58 signature>` ([`Voucher::header`],
//!   [`parse_header`]).
//!
//! The answer says what was charged: [`UNITS_HEADER`] (compute units), [`AMOUNT_HEADER`]
//! (base units of the session's mint), [`CHARGED_HEADER`] (the session's total at this
//! device so far), [`MAX_COST_HEADER`] (the most one request may cost) and
//! [`RECEIPT_HEADER`] (the agent's receipt number). The next voucher must cover
//! `charged + max_cost` at least.

use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::Pubkey;
/// The bytes a voucher's signature covers (domain, session, device, cumulative).
pub use crate::proof::voucher_message as message;

/// Request header: the session address.
pub const SESSION_HEADER: &str = "x-gpunet-session";
/// Request header: the voucher, `<cumulative>:<base58 signature>`.
pub const VOUCHER_HEADER: &str = "x-gpunet-voucher";
/// Answer header: the agent's number for this request's receipt.
pub const RECEIPT_HEADER: &str = "x-gpunet-receipt";
/// Answer header: the compute units (GPU-milliseconds) charged.
pub const UNITS_HEADER: &str = "x-gpunet-units";
/// Answer header: the amount charged, in base units of the session's mint.
pub const AMOUNT_HEADER: &str = "x-gpunet-amount";
/// Answer header: everything charged from the session at this device so far.
pub const CHARGED_HEADER: &str = "x-gpunet-charged";
/// Answer header: the most one request may cost (the model's price × its unit limit).
pub const MAX_COST_HEADER: &str = "x-gpunet-max-cost";

/// A session authoriser's cumulative voucher: `device` may have been paid up to
/// `cumulative` from `session`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Voucher {
    pub authorizer: Pubkey,
    pub signature: [u8; 64],
    pub cumulative: u64,
}

impl Voucher {
    /// The voucher signed by `authorizer` (the key named when the session was opened).
    pub fn sign(authorizer: &Keypair, session: &Pubkey, device: &Pubkey, cumulative: u64) -> Self {
        let message = message(session, device, cumulative);
        Voucher {
            authorizer: authorizer.pubkey(),
            signature: authorizer.sign_message(&message).into(),
            cumulative,
        }
    }

    /// The [`VOUCHER_HEADER`] value that carries this voucher.
    pub fn header(&self) -> String {
        header(self.cumulative, &self.signature)
    }
}

/// The [`VOUCHER_HEADER`] value for `cumulative` signed with `signature`.
pub fn header(cumulative: u64, signature: &[u8; 64]) -> String {
    format!("{cumulative}:{}", bs58::encode(signature).into_string())
}

/// A [`VOUCHER_HEADER`] value: (cumulative, signature), or what is wrong with it.
pub fn parse_header(text: &str) -> Result<(u64, [u8; 64]), String> {
    let (cumulative, signature) = text
        .split_once(':')
        .ok_or("expected <cumulative>:<base58 signature>")?;
    let cumulative = cumulative
        .trim()
        .parse()
        .map_err(|e| format!("cumulative {cumulative:?}: {e}"))?;
    let bytes = bs58::decode(signature.trim())
        .into_vec()
        .map_err(|e| format!("signature: {e}"))?;
    let signature: [u8; 64] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("signature: {} bytes, expected 64", b.len()))?;
    Ok((cumulative, signature))
}

/// Whether `signature` is `authorizer`'s signature of the voucher (`session`, `device`,
/// `cumulative`).
pub fn verifies(
    authorizer: &Pubkey,
    session: &Pubkey,
    device: &Pubkey,
    cumulative: u64,
    signature: &[u8; 64],
) -> bool {
    solana_signature::Signature::from(*signature)
        .verify(authorizer.as_ref(), &message(session, device, cumulative))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voucher_headers_round_trip_and_garbage_is_named() {
        let signature = [7u8; 64];
        let text = header(1234, &signature);
        assert_eq!(parse_header(&text).unwrap(), (1234, signature));
        assert!(parse_header("1234").unwrap_err().contains("expected"));
        assert!(parse_header("x:abc").unwrap_err().contains("cumulative"));
        assert!(parse_header("5:0OIl").unwrap_err().contains("signature"));
        assert!(
            parse_header("5:3yZe7d")
                .unwrap_err()
                .contains("expected 64")
        );
    }

    #[test]
    fn a_voucher_verifies_only_for_its_session_device_amount_and_signer() {
        let authorizer = Keypair::new();
        let (session, device) = (
            Pubkey::new_from_array([1; 32]),
            Pubkey::new_from_array([2; 32]),
        );
        let v = Voucher::sign(&authorizer, &session, &device, 500);
        let (cumulative, signature) = parse_header(&v.header()).unwrap();
        assert_eq!(cumulative, 500);
        assert!(verifies(&v.authorizer, &session, &device, 500, &signature));
        // Another amount, device, session or signer: the signature is worth nothing.
        assert!(!verifies(&v.authorizer, &session, &device, 501, &signature));
        assert!(!verifies(
            &v.authorizer,
            &session,
            &session,
            500,
            &signature
        ));
        assert!(!verifies(&v.authorizer, &device, &device, 500, &signature));
        let other = Keypair::new().pubkey();
        assert!(!verifies(&other, &session, &device, 500, &signature));
    }
}
