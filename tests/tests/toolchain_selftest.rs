//! Guards the offline SBF toolchain against silent miscompiles: the self-test program
//! (toolchain/selftest/program) runs as SBF in litesvm over thousands of random inputs per
//! operation, and every result must equal the same Rust code run natively.
//!
//! Set GPUNET_TEST_SEED to reproduce a failure with other inputs; GPUNET_SELFTEST_CASES
//! to change the number of cases per operation (default 2,000).

use gpunet_tests::rng::Rng;
use gpunet_tests::{Chain, Pubkey};
use sbf_selftest::ops::{self, OP_DYN, OP_FMT, OP_MANY_ARGS, OP_MEM, OP_U64, OP_WIDE};
use solana_instruction::Instruction;

fn cases() -> usize {
    std::env::var("GPUNET_SELFTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000)
}

struct Selftest {
    chain: Chain,
    program_id: Pubkey,
    payer: solana_keypair::Keypair,
    compared: usize,
}

impl Selftest {
    fn new() -> Self {
        let mut chain = Chain::empty();
        let program_id = Pubkey::new_unique();
        chain.deploy("sbf_selftest", program_id, None);
        let payer = chain.funded_keypair(1_000);
        Selftest {
            chain,
            program_id,
            payer,
            compared: 0,
        }
    }

    /// Runs `input` on chain and natively; panics on any difference.
    fn compare(&mut self, input: Vec<u8>) {
        let ix = Instruction {
            program_id: self.program_id,
            accounts: vec![],
            data: input.clone(),
        };
        let on_chain = self.chain.send(&[ix], &[&self.payer]);
        let native = ops::run(&input);
        match (on_chain, native) {
            (Ok(executed), Ok(expected)) => assert_eq!(
                executed.return_data, expected,
                "SBF and native results differ for input {input:02x?}\nlogs: {:#?}",
                executed.logs
            ),
            (Err(failed), Err(expected)) => assert_eq!(
                failed.custom_code(),
                Some(expected as u32),
                "SBF and native errors differ for input {input:02x?}: {:?}\nlogs: {:#?}",
                failed.error,
                failed.logs
            ),
            (on_chain, native) => panic!(
                "SBF and native disagree for input {input:02x?}:\n  SBF: {on_chain:?}\n  native: {native:?}"
            ),
        }
        self.compared += 1;
    }
}

fn run_op(seed: u64, mut make: impl FnMut(&mut Rng) -> Vec<u8>) {
    let mut selftest = Selftest::new();
    let mut rng = Rng::from_env(seed);
    for _ in 0..cases() {
        let input = make(&mut rng);
        selftest.compare(input);
    }
    assert_eq!(selftest.compared, cases());
}

#[test]
fn u64_checked_and_wrapping_multiplication_match_native() {
    run_op(1, |rng| {
        let mut input = vec![OP_U64];
        input.extend_from_slice(&rng.edgy_u64().to_le_bytes());
        input.extend_from_slice(&rng.edgy_u64().to_le_bytes());
        input
    });
}

#[test]
fn i128_multiplication_division_and_shifts_match_native() {
    run_op(2, |rng| {
        let mut input = vec![OP_WIDE];
        input.extend_from_slice(&rng.edgy_u128().to_le_bytes());
        input.extend_from_slice(&rng.edgy_u128().to_le_bytes());
        input.push(rng.next_u64() as u8);
        input
    });
}

#[test]
fn calls_with_more_than_five_arguments_match_native() {
    run_op(3, |rng| {
        let mut input = vec![OP_MANY_ARGS];
        input.extend_from_slice(&rng.edgy_u64().to_le_bytes());
        input.extend_from_slice(&rng.edgy_u64().to_le_bytes());
        input.extend_from_slice(&rng.edgy_u128().to_le_bytes());
        input.push(rng.next_u64() as u8);
        let n = rng.below(48) as u8;
        input.push(n);
        input.extend(rng.bytes(usize::from(n)));
        input
    });
}

#[test]
fn memcpy_and_memmove_of_odd_lengths_match_native() {
    run_op(4, |rng| {
        let len = rng.below(256) as usize;
        let n = rng.below(len as u64 + 1) as usize;
        // Mostly valid ranges (including overlapping ones), sometimes out of range.
        let slack = rng.below(2);
        let src = rng.below((len - n) as u64 + 1 + slack) as u8;
        let dst = rng.below((len - n) as u64 + 1) as u8;
        let mut input = vec![OP_MEM, len as u8, src, dst, n as u8, rng.next_u64() as u8];
        input.extend(rng.bytes(len));
        input
    });
}

#[test]
fn trait_objects_and_function_pointers_match_native() {
    run_op(5, |rng| {
        let mut input = vec![OP_DYN, rng.next_u64() as u8];
        input.extend_from_slice(&rng.edgy_u64().to_le_bytes());
        input
    });
}

#[test]
fn string_formatting_matches_native() {
    run_op(6, |rng| {
        let mut input = vec![OP_FMT];
        input.extend_from_slice(&rng.edgy_u64().to_le_bytes());
        input.extend_from_slice(&rng.edgy_u64().to_le_bytes());
        let n = rng.below(40) as usize;
        // Printable ASCII with quotes and escapes, sometimes invalid UTF-8.
        input.extend((0..n).map(|_| match rng.below(10) {
            0 => b'"',
            1 => b'\\',
            2 => b'\n',
            3 => 0xff,
            _ => 0x20 + rng.below(95) as u8,
        }));
        input
    });
}

#[test]
fn invalid_inputs_fail_with_the_same_error_on_chain() {
    let mut selftest = Selftest::new();
    selftest.compare(vec![200]);
    selftest.compare(vec![OP_U64, 1, 2, 3]);
    selftest.compare(vec![OP_MEM, 4, 3, 0, 2, 0, 1, 2, 3, 4]);
}
