//! How the sdk client settles a sent transaction's outcome, against a scripted RPC node:
//! a send that timed out is followed by its signature, RPC failures while polling are
//! retried, an outcome still unknown when the blockhash expired is reported as possibly
//! landing (with the signature), and an execution failure is decoded from the executed
//! transaction's logs.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use gpunet_sdk::client::{ClientError, GpunetClient, tokens};
use gpunet_sdk::{Instruction, escrow};
use serde_json::{Value, json};
use solana_client::client_error::{ClientError as RpcClientError, Result as RpcResult};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_client::RpcClientConfig;
use solana_client::rpc_config::CommitmentConfig;
use solana_client::rpc_request::RpcRequest;
use solana_client::rpc_sender::{RpcSender, RpcTransportStats};
use solana_keypair::Keypair;

/// One answer of the scripted node.
#[derive(Clone)]
enum Reply {
    Ok(Value),
    /// The request went out and no answer came back (a read timeout).
    Timeout,
}

/// Per method, the answers in order; the last one repeats.
#[derive(Clone, Default)]
struct Node {
    script: Arc<Mutex<HashMap<RpcRequest, VecDeque<Reply>>>>,
    /// Every request received, with its parameters.
    seen: Arc<Mutex<Vec<(RpcRequest, Value)>>>,
}

impl Node {
    fn on(self, request: RpcRequest, replies: impl IntoIterator<Item = Reply>) -> Self {
        self.script
            .lock()
            .unwrap()
            .insert(request, replies.into_iter().collect());
        self
    }

    fn reply(&self, request: RpcRequest, params: Value) -> RpcResult<Value> {
        self.seen.lock().unwrap().push((request, params));
        let mut script = self.script.lock().unwrap();
        let replies = script
            .get_mut(&request)
            .unwrap_or_else(|| panic!("unscripted request {request}"));
        let reply = if replies.len() > 1 {
            replies.pop_front().unwrap()
        } else {
            replies.front().cloned().unwrap()
        };
        match reply {
            Reply::Ok(value) => Ok(value),
            Reply::Timeout => Err(RpcClientError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "operation timed out",
            ))),
        }
    }

    fn count(&self, request: RpcRequest) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(r, _)| *r == request)
            .count()
    }

    /// The signature the client asked the status of.
    fn polled_signature(&self) -> String {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .find(|(r, _)| *r == RpcRequest::GetSignatureStatuses)
            .map(|(_, params)| params[0][0].as_str().unwrap().to_string())
            .expect("the signature was polled")
    }

    fn client(&self) -> GpunetClient {
        let config = RpcClientConfig::with_commitment(CommitmentConfig::confirmed());
        let rpc = RpcClient::new_sender(self.clone(), config);
        GpunetClient::from_rpc_client(rpc, Keypair::new())
    }
}

impl RpcSender for Node {
    // `#[async_trait]`'s signature, written out.
    fn send<'life0, 'async_trait>(
        &'life0 self,
        request: RpcRequest,
        params: Value,
    ) -> Pin<Box<dyn Future<Output = RpcResult<Value>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move { self.reply(request, params) })
    }

    fn get_transport_stats(&self) -> RpcTransportStats {
        RpcTransportStats::default()
    }

    fn url(&self) -> String {
        "scripted".into()
    }
}

fn context(value: Value) -> Reply {
    Reply::Ok(json!({ "context": { "slot": 10 }, "value": value }))
}

/// A blockhash valid up to block height 100.
fn blockhash() -> Reply {
    context(json!({ "blockhash": "11111111111111111111111111111111", "lastValidBlockHeight": 100 }))
}

fn height(height: u64) -> Reply {
    Reply::Ok(json!(height))
}

fn status(err: Value) -> Reply {
    let status = if err.is_null() {
        json!({ "Ok": null })
    } else {
        json!({ "Err": err })
    };
    context(json!([{
        "slot": 10,
        "confirmations": 0,
        "status": status,
        "err": err,
        "confirmationStatus": "confirmed",
    }]))
}

fn no_status() -> Reply {
    context(json!([null]))
}

/// An escrow instruction (what the client names a failure by when no log says more).
fn escrow_instruction() -> Instruction {
    Instruction {
        program_id: escrow::PROGRAM_ID,
        accounts: vec![],
        data: vec![],
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

#[test]
fn a_send_that_timed_out_is_followed_by_its_signature_until_confirmed() {
    let node = Node::default()
        .on(RpcRequest::GetLatestBlockhash, [blockhash()])
        .on(RpcRequest::SendTransaction, [Reply::Timeout])
        .on(RpcRequest::GetBlockHeight, [Reply::Timeout, height(50)])
        .on(
            RpcRequest::GetSignatureStatuses,
            [
                Reply::Timeout,
                Reply::Timeout,
                no_status(),
                status(Value::Null),
            ],
        );
    let signature = runtime()
        .block_on(node.client().send(&[escrow_instruction()], &[]))
        .expect("the transaction landed although its send timed out");
    assert_eq!(signature.to_string(), node.polled_signature());
    assert_eq!(
        node.count(RpcRequest::SendTransaction),
        1,
        "never sent twice"
    );
    assert_eq!(node.count(RpcRequest::GetSignatureStatuses), 4);
}

#[test]
fn an_outcome_unknown_when_the_blockhash_expired_carries_the_signature() {
    let node = Node::default()
        .on(RpcRequest::GetLatestBlockhash, [blockhash()])
        .on(RpcRequest::SendTransaction, [Reply::Timeout])
        .on(
            RpcRequest::GetBlockHeight,
            [height(99), height(100), height(101)],
        )
        .on(RpcRequest::GetSignatureStatuses, [no_status()]);
    let error = runtime()
        .block_on(node.client().send(&[escrow_instruction()], &[]))
        .unwrap_err();
    let ClientError::Unconfirmed { signature, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(signature.to_string(), node.polled_signature());
    let message = error.to_string();
    assert!(
        message.contains(&signature.to_string())
            && message.contains("may still land")
            && message.contains("before retrying")
            && message.contains("last valid block height 100"),
        "{message}"
    );
    // Polled until the height passed 100, and never re-signed nor resent.
    assert_eq!(node.count(RpcRequest::GetBlockHeight), 3);
    assert_eq!(node.count(RpcRequest::SendTransaction), 1);
    assert_eq!(node.count(RpcRequest::GetLatestBlockhash), 1);
}

/// An executed `add_hire` whose token transfer failed, as its logs tell it.
fn token_failure_logs() -> Vec<String> {
    let escrow = escrow::PROGRAM_ID;
    let token = tokens::TOKEN_PROGRAM_ID;
    vec![
        format!("Program {escrow} invoke [1]"),
        "Program log: Instruction: AddHire".into(),
        format!("Program {token} invoke [2]"),
        "Program log: Instruction: TransferChecked".into(),
        "Program log: Error: insufficient funds".into(),
        format!("Program {token} failed: custom program error: 0x1"),
        format!("Program {escrow} failed: custom program error: 0x1"),
    ]
}

fn executed_transaction(logs: &[String]) -> Reply {
    let err = json!({ "InstructionError": [0, { "Custom": 1 }] });
    Reply::Ok(json!({
        "slot": 10,
        "blockTime": null,
        "transaction": ["", "base64"],
        "meta": {
            "err": err,
            "status": { "Err": err },
            "fee": 5000,
            "preBalances": [],
            "postBalances": [],
            "logMessages": logs,
        },
    }))
}

fn failed_on_execution(transaction: impl IntoIterator<Item = Reply>) -> Node {
    Node::default()
        .on(RpcRequest::GetLatestBlockhash, [blockhash()])
        .on(RpcRequest::SendTransaction, [Reply::Timeout])
        .on(RpcRequest::GetBlockHeight, [height(50)])
        .on(
            RpcRequest::GetSignatureStatuses,
            [status(json!({ "InstructionError": [0, { "Custom": 1 }] }))],
        )
        .on(RpcRequest::GetTransaction, transaction)
}

#[test]
fn an_execution_failure_is_decoded_from_the_executed_transactions_logs() {
    let node = failed_on_execution([Reply::Timeout, executed_transaction(&token_failure_logs())]);
    let error = runtime()
        .block_on(node.client().send(&[escrow_instruction()], &[]))
        .unwrap_err();
    assert!(
        matches!(&error, ClientError::InsufficientTokens { detail } if detail == "Error: insufficient funds"),
        "the token program's failure, not escrow's: {error:?}"
    );
    let (_, params) = node
        .seen
        .lock()
        .unwrap()
        .iter()
        .find(|(r, _)| *r == RpcRequest::GetTransaction)
        .cloned()
        .unwrap();
    assert_eq!(params[1]["commitment"], "confirmed");
    assert_eq!(params[1]["maxSupportedTransactionVersion"], 0);
}

#[test]
fn without_the_executed_transactions_logs_the_code_is_all_there_is() {
    let node = failed_on_execution([Reply::Timeout]);
    let error = runtime()
        .block_on(node.client().send(&[escrow_instruction()], &[]))
        .unwrap_err();
    assert_eq!(error.to_string(), "custom program error 0x1 (1) in escrow");
    assert!(node.count(RpcRequest::GetTransaction) > 1, "asked again");
}
