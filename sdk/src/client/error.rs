//! What can go wrong talking to a gpunet chain, in words a user can act on.
//!
//! A failed transaction is decoded here: Anchor programs log their error by name
//! (`AnchorError ... Error Code: <Name>. Error Number: <n>. Error Message: <msg>.`), so the
//! logs tell which program refused and why: those of the preflight simulation, or, for a
//! transaction that failed on execution, those of the executed transaction. The common
//! failures that are not Anchor errors (an unfunded fee payer, a system or token transfer
//! without funds) get their own variants.

use solana_client::client_error::{ClientError as RpcClientError, ClientErrorKind};
use solana_client::rpc_request::{RpcError, RpcResponseErrorData};
use solana_transaction::{InstructionError, TransactionError};

use super::Signature;
use super::tokens::TOKEN_PROGRAM_ID;
use crate::Pubkey;

/// Token-2022 (`TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb`).
const TOKEN_2022_PROGRAM: Pubkey =
    Pubkey::from_str_const("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb");

/// Errors of [`GpunetClient`](super::GpunetClient).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The RPC endpoint did not answer (refused, unresolvable, timed out).
    #[error("cannot reach {url}: {detail}")]
    Unreachable { url: String, detail: String },

    /// An account the operation needs is not on chain.
    #[error("the {what} {address} does not exist")]
    NotFound { what: &'static str, address: Pubkey },

    /// An account exists but is not what was asked for (another program's, or garbage).
    #[error("the account {address} is not a {what}: {detail}")]
    Malformed {
        what: &'static str,
        address: Pubkey,
        detail: String,
    },

    /// The fee payer holds no lamports (the chain reports it as a missing account).
    #[error("the fee payer {payer} has no SOL; fund it (e.g. `gpunet airdrop`)")]
    NoSol { payer: Pubkey },

    /// A gpunet (or any Anchor) program refused the transaction with a named error.
    #[error("{program} refused: {name} (error {number}): {message}")]
    ProgramError {
        program: String,
        name: String,
        number: u32,
        message: String,
    },

    /// A program failed with a custom code and no log said which error it is.
    #[error("custom program error {code:#x} ({code}) in {program}")]
    CustomCode { program: String, code: u32 },

    /// The system program could not move lamports (an account to fund or pay from is
    /// short of SOL).
    #[error("insufficient lamports: {detail}")]
    InsufficientLamports { detail: String },

    /// The system program could not create an account: it exists already.
    #[error("account already exists: {detail}")]
    AccountInUse { detail: String },

    /// The token program could not move tokens (the source token account is short).
    #[error("insufficient token funds: {detail}")]
    InsufficientTokens { detail: String },

    /// Any other transaction failure, with the logs when there are some.
    #[error("transaction failed: {error}{}", logs_suffix(.logs))]
    Transaction {
        error: TransactionError,
        logs: Vec<String>,
    },

    /// The transaction was signed and sent, but its outcome is unknown: it may still land.
    #[error(
        "transaction {signature} is not confirmed: {reason}. It may still land: check the \
         signature (e.g. `solana confirm {signature}`) or the accounts it changes (`gpunet \
         ... show`) before retrying"
    )]
    Unconfirmed {
        signature: Signature,
        reason: String,
    },

    /// An action the chain accepts only from some time on was not accepted in time: the
    /// chain's clock did not reach its due time, or the program still said "not yet" well
    /// after it (see [`due`](super::due)).
    #[error("{what} is not due yet: {detail}")]
    NotYet { what: String, detail: String },

    /// The keys given cannot sign this transaction (a required signer is missing).
    #[error("cannot sign the transaction: {0}")]
    Signing(String),

    /// The request is invalid before anything is sent (e.g. no epoch to claim).
    #[error("{0}")]
    Invalid(String),

    /// Any other RPC failure.
    #[error("RPC error from {url}: {detail}")]
    Rpc { url: String, detail: String },
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

fn logs_suffix(logs: &[String]) -> String {
    if logs.is_empty() {
        String::new()
    } else {
        format!("\nlogs:\n  {}", logs.join("\n  "))
    }
}

/// The name of a program the client knows, or its address.
pub fn program_name(id: &Pubkey) -> String {
    let known = [
        (crate::registry::PROGRAM_ID, "registry"),
        (crate::escrow::PROGRAM_ID, "escrow"),
        (crate::staking::PROGRAM_ID, "staking"),
        (crate::proof::PROGRAM_ID, "proof"),
        (solana_sdk_ids::system_program::ID, "system program"),
        (TOKEN_PROGRAM_ID, "token program"),
        (TOKEN_2022_PROGRAM, "token-2022 program"),
        (
            super::tokens::ASSOCIATED_TOKEN_PROGRAM_ID,
            "associated token program",
        ),
        (crate::registry::ED25519_PROGRAM_ID, "ed25519 program"),
    ];
    known
        .iter()
        .find(|(known_id, _)| known_id == id)
        .map_or_else(|| id.to_string(), |(_, name)| (*name).to_string())
}

/// Whether a failed `sendTransaction` may have reached the node, so that the transaction
/// may still land: anything but a connection that was never made, a request that could
/// not be built, or an answer from the node (or its proxy) refusing it.
pub(crate) fn may_have_reached_the_node(error: &RpcClientError) -> bool {
    match error.kind() {
        ClientErrorKind::Reqwest(e) if e.is_connect() || e.is_builder() => false,
        ClientErrorKind::Reqwest(e) if e.is_status() => {
            e.status().is_some_and(|status| status.is_server_error())
        }
        ClientErrorKind::Reqwest(_)
        | ClientErrorKind::Io(_)
        | ClientErrorKind::Middleware(_)
        | ClientErrorKind::SerdeJson(_) => true,
        ClientErrorKind::RpcError(
            RpcError::RpcRequestError(_) | RpcError::ParseError(_) | RpcError::ForUser(_),
        ) => true,
        _ => false,
    }
}

/// Turns an RPC failure into a [`ClientError`]: connection problems name the URL, a
/// refused transaction is decoded from its preflight logs. `payer` and `instructions`
/// (program ids in order) let the decoder name the fee payer and the failing program.
pub(crate) fn from_rpc(
    error: RpcClientError,
    url: &str,
    payer: Option<&Pubkey>,
    programs: &[Pubkey],
) -> ClientError {
    match error.kind() {
        ClientErrorKind::Reqwest(e) if e.is_connect() || e.is_timeout() || e.is_request() => {
            ClientError::Unreachable {
                url: url.to_string(),
                detail: root_cause(e),
            }
        }
        ClientErrorKind::Io(e) => ClientError::Unreachable {
            url: url.to_string(),
            detail: e.to_string(),
        },
        ClientErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::SendTransactionPreflightFailure(simulation),
            message,
            ..
        }) => match &simulation.err {
            Some(err) => decode_failure(
                &TransactionError::from(err.clone()),
                simulation.logs.as_deref().unwrap_or_default(),
                payer,
                programs,
            ),
            None => ClientError::Rpc {
                url: url.to_string(),
                detail: message.clone(),
            },
        },
        ClientErrorKind::TransactionError(err) => decode_failure(err, &[], payer, programs),
        // Some `RpcClient` methods wrap transport failures into a message for users.
        ClientErrorKind::RpcError(RpcError::ForUser(message))
            if message.contains("error sending request") =>
        {
            ClientError::Unreachable {
                url: url.to_string(),
                detail: message.clone(),
            }
        }
        _ => ClientError::Rpc {
            url: url.to_string(),
            detail: error.to_string(),
        },
    }
}

/// The innermost error message of a chain of sources ("Connection refused (os error
/// 111)" rather than "error sending request for url").
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if std::ptr::eq(cause, error) {
        error.to_string()
    } else {
        format!("{error}: {cause}")
    }
}

/// Decodes a failed transaction from its error and logs (of the preflight simulation or
/// of the executed transaction). Logs may be empty when the node has none: a custom code
/// is then attributed to the top-level instruction's program, which is wrong when the
/// failure happened in a program it invoked.
pub fn decode_failure(
    error: &TransactionError,
    logs: &[String],
    payer: Option<&Pubkey>,
    programs: &[Pubkey],
) -> ClientError {
    if matches!(
        error,
        TransactionError::AccountNotFound | TransactionError::InsufficientFundsForFee
    ) && let Some(payer) = payer
    {
        return ClientError::NoSol { payer: *payer };
    }
    if let Some(anchor) = parse_anchor_error(logs) {
        return anchor;
    }
    let TransactionError::InstructionError(index, InstructionError::Custom(code)) = error else {
        return ClientError::Transaction {
            error: error.clone(),
            logs: logs.to_vec(),
        };
    };
    // The innermost program that failed logs its failure first; without logs, the
    // top-level instruction's program is the best guess.
    let program = first_failed_program(logs)
        .or_else(|| programs.get(usize::from(*index)).copied())
        .unwrap_or_default();
    let detail = logs
        .iter()
        .find(|l| l.to_lowercase().contains("insufficient"))
        .map_or_else(
            || format!("custom error {code} in {}", program_name(&program)),
            |l| l.trim_start_matches("Program log: ").to_string(),
        );
    match (program, code) {
        (p, 1) if p == solana_sdk_ids::system_program::ID => {
            ClientError::InsufficientLamports { detail }
        }
        (p, 1) if p == TOKEN_PROGRAM_ID || p == TOKEN_2022_PROGRAM => {
            ClientError::InsufficientTokens { detail }
        }
        (p, 0) if p == solana_sdk_ids::system_program::ID => ClientError::AccountInUse {
            detail: logs
                .iter()
                .find(|l| l.contains("already in use"))
                .cloned()
                .unwrap_or_else(|| "an account to create already exists".into()),
        },
        (p, code) => ClientError::CustomCode {
            program: program_name(&p),
            code: *code,
        },
    }
}

/// The first "Program <id> failed: ..." line: the innermost failing program.
fn first_failed_program(logs: &[String]) -> Option<Pubkey> {
    logs.iter().find_map(|line| {
        let rest = line.strip_prefix("Program ")?;
        let (id, tail) = rest.split_once(' ')?;
        tail.starts_with("failed:").then(|| id.parse().ok())?
    })
}

/// Finds Anchor's error line and names the program that logged it (the program on top
/// of the invocation stack at that line).
pub fn parse_anchor_error(logs: &[String]) -> Option<ClientError> {
    let mut stack: Vec<Pubkey> = Vec::new();
    for line in logs {
        if let Some(rest) = line.strip_prefix("Program ") {
            let mut words = rest.split(' ');
            let (Some(id), Some(verb)) = (words.next(), words.next()) else {
                continue;
            };
            match verb {
                "invoke" => stack.extend(id.parse::<Pubkey>().ok()),
                "success" | "failed:" => {
                    stack.pop();
                }
                _ => {}
            }
        }
        let Some((name, number, mut message)) = anchor_fields(line) else {
            continue;
        };
        if let Some(account) = between(line, "caused by account: ", ". Error Code") {
            message = format!("{message} (account `{account}`)");
        }
        let program = stack
            .last()
            .map_or_else(|| "a program".to_string(), program_name);
        return Some(ClientError::ProgramError {
            program,
            name,
            number,
            message,
        });
    }
    None
}

/// `(name, number, message)` of one `AnchorError ...` log line.
fn anchor_fields(line: &str) -> Option<(String, u32, String)> {
    let body = line.strip_prefix("Program log: ").unwrap_or(line);
    if !body.starts_with("AnchorError") {
        return None;
    }
    let name = between(body, "Error Code: ", ". Error Number: ")?;
    let number = between(body, "Error Number: ", ". Error Message: ")?;
    let message = body.split_once("Error Message: ")?.1;
    let message = message.strip_suffix('.').unwrap_or(message);
    Some((name.to_string(), number.parse().ok()?, message.to_string()))
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn names_the_anchor_error_of_the_program_that_raised_it() {
        let escrow = crate::escrow::PROGRAM_ID;
        let staking = crate::staking::PROGRAM_ID;
        let logs = logs(&[
            &format!("Program {escrow} invoke [1]"),
            &format!("Program {staking} invoke [2]"),
            &format!("Program {staking} success"),
            "Program log: AnchorError thrown in programs/escrow/src/x.rs:12. Error Code: \
             DeviceNotActive. Error Number: 6006. Error Message: the device is not active.",
            &format!("Program {escrow} failed: custom program error: 0x1776"),
        ]);
        let error = parse_anchor_error(&logs).expect("decoded");
        let ClientError::ProgramError {
            program,
            name,
            number,
            message,
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(
            (program.as_str(), name.as_str(), *number, message.as_str()),
            (
                "escrow",
                "DeviceNotActive",
                6006,
                "the device is not active"
            )
        );
        assert_eq!(
            error.to_string(),
            "escrow refused: DeviceNotActive (error 6006): the device is not active"
        );
    }

    #[test]
    fn account_errors_are_decoded_too() {
        let registry = crate::registry::PROGRAM_ID;
        let logs = logs(&[
            &format!("Program {registry} invoke [1]"),
            "Program log: AnchorError caused by account: device. Error Code: \
             AccountNotInitialized. Error Number: 3012. Error Message: The program expected \
             this account to be already initialized.",
        ]);
        let error = parse_anchor_error(&logs).expect("decoded");
        assert!(
            matches!(&error, ClientError::ProgramError { program, name, number: 3012, message }
                if program == "registry" && name == "AccountNotInitialized"
                    && message.ends_with("(account `device`)")),
            "{error:?}"
        );
    }

    #[test]
    fn without_logs_a_custom_code_falls_back_to_the_top_level_program() {
        let error = TransactionError::InstructionError(1, InstructionError::Custom(6012));
        let programs = [crate::registry::PROGRAM_ID, crate::escrow::PROGRAM_ID];
        let decoded = decode_failure(&error, &[], None, &programs);
        assert_eq!(
            decoded.to_string(),
            "custom program error 0x177c (6012) in escrow"
        );
    }

    #[test]
    fn with_logs_a_failure_inside_a_cpi_names_the_invoked_program() {
        // An executed `add_hire` whose token transfer failed: the status says only
        // "instruction 0 (escrow) failed with 0x1"; the logs say it was the token program.
        let escrow = crate::escrow::PROGRAM_ID;
        let error = TransactionError::InstructionError(0, InstructionError::Custom(1));
        let without_logs = decode_failure(&error, &[], None, &[escrow]);
        assert_eq!(
            without_logs.to_string(),
            "custom program error 0x1 (1) in escrow"
        );
        let logs = logs_for_token_failure(escrow);
        let decoded = decode_failure(&error, &logs, None, &[escrow]);
        assert_eq!(
            decoded.to_string(),
            "insufficient token funds: Error: insufficient funds"
        );

        // Another custom code of the token program is named after it, not after escrow.
        let error = TransactionError::InstructionError(0, InstructionError::Custom(4));
        let mut logs = logs;
        logs[3] = format!("Program {TOKEN_PROGRAM_ID} failed: custom program error: 0x4");
        logs[2] = "Program log: Error: owner does not match".into();
        let decoded = decode_failure(&error, &logs, None, &[escrow]);
        assert_eq!(
            decoded.to_string(),
            "custom program error 0x4 (4) in token program"
        );
    }

    #[test]
    fn unfunded_payers_and_transfers_without_funds_are_named() {
        let payer = Pubkey::new_unique();
        let decoded = decode_failure(&TransactionError::AccountNotFound, &[], Some(&payer), &[]);
        assert!(decoded.to_string().contains(&format!("{payer} has no SOL")));

        let system = solana_sdk_ids::system_program::ID;
        let logs = logs(&[
            &format!("Program {system} invoke [1]"),
            "Transfer: insufficient lamports 5, need 2039280",
            &format!("Program {system} failed: custom program error: 0x1"),
        ]);
        let error = TransactionError::InstructionError(0, InstructionError::Custom(1));
        let decoded = decode_failure(&error, &logs, Some(&payer), &[system]);
        assert!(
            matches!(&decoded, ClientError::InsufficientLamports { detail } if detail.contains("need 2039280")),
            "{decoded:?}"
        );

        let escrow = crate::escrow::PROGRAM_ID;
        let logs = logs_for_token_failure(escrow);
        let decoded = decode_failure(&error, &logs, Some(&payer), &[escrow]);
        assert!(
            matches!(decoded, ClientError::InsufficientTokens { .. }),
            "{decoded:?}"
        );
    }

    fn logs_for_token_failure(outer: Pubkey) -> Vec<String> {
        logs(&[
            &format!("Program {outer} invoke [1]"),
            &format!("Program {TOKEN_PROGRAM_ID} invoke [2]"),
            "Program log: Error: insufficient funds",
            &format!("Program {TOKEN_PROGRAM_ID} failed: custom program error: 0x1"),
            &format!("Program {outer} failed: custom program error: 0x1"),
        ])
    }
}
