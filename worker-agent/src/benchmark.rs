//! The proof-of-work benchmark behind each attestation: a bounded integer matrix
//! workload whose inputs derive from the device and the epoch, so it cannot be computed
//! before the epoch or borrowed from another device, and whose digest anyone can check by
//! running it again (integer arithmetic: the same on every machine).
//!
//! `rounds` times, C = A·B (n×n, wrapping u32 arithmetic), then A = C. The digest is
//! SHA-256 over a domain tag, the device, the epoch, n, rounds and the final matrix.

use std::time::{Duration, Instant};

use gpunet_sdk::Pubkey;
use sha2::{Digest, Sha256};

const DOMAIN: &[u8] = b"gpunet:pow:v1";

/// The outcome of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proof {
    pub digest: [u8; 32],
    pub elapsed: Duration,
    /// Multiply-adds done (n³ per round).
    pub operations: u64,
}

/// Runs the benchmark of `device` for `epoch` (n = `size`, `rounds` rounds).
pub fn run(device: &Pubkey, epoch: u64, size: u32, rounds: u32) -> Proof {
    let started = Instant::now();
    let n = size as usize;
    let seed: [u8; 32] = Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(device.as_ref())
        .chain_update(epoch.to_le_bytes())
        .finalize()
        .into();
    let mut state = u64::from_le_bytes(seed[..8].try_into().expect("8 bytes")) | 1;
    let mut next = move || {
        // xorshift64*: a fast, fixed generator (the inputs only need to be unguessable
        // before the epoch, which the seed already makes them).
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    };
    let mut a: Vec<u32> = (0..n * n).map(|_| next()).collect();
    let b: Vec<u32> = (0..n * n).map(|_| next()).collect();
    let mut c = vec![0u32; n * n];
    for _ in 0..rounds {
        multiply(&a, &b, &mut c, n);
        std::mem::swap(&mut a, &mut c);
    }
    let mut hasher = Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(device.as_ref())
        .chain_update(epoch.to_le_bytes())
        .chain_update(size.to_le_bytes())
        .chain_update(rounds.to_le_bytes());
    for value in &a {
        hasher.update(value.to_le_bytes());
    }
    Proof {
        digest: hasher.finalize().into(),
        elapsed: started.elapsed(),
        operations: (n as u64).pow(3) * u64::from(rounds),
    }
}

/// c = a·b for n×n row-major matrices (i-k-j order: rows of b stream through the cache).
fn multiply(a: &[u32], b: &[u32], c: &mut [u32], n: usize) {
    c.fill(0);
    for i in 0..n {
        let row = &mut c[i * n..(i + 1) * n];
        for k in 0..n {
            let aik = a[i * n + k];
            let b_row = &b[k * n..(k + 1) * n];
            for (cij, bkj) in row.iter_mut().zip(b_row) {
                *cij = cij.wrapping_add(aik.wrapping_mul(*bkj));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_reproducible_and_bound_to_device_epoch_and_size() {
        let device = Pubkey::new_unique();
        let proof = run(&device, 7, 24, 3);
        assert_eq!(proof.digest, run(&device, 7, 24, 3).digest);
        assert_eq!(proof.operations, 24 * 24 * 24 * 3);
        assert_ne!(proof.digest, run(&device, 8, 24, 3).digest);
        assert_ne!(proof.digest, run(&Pubkey::new_unique(), 7, 24, 3).digest);
        assert_ne!(proof.digest, run(&device, 7, 25, 3).digest);
        assert_ne!(proof.digest, run(&device, 7, 24, 2).digest);
    }

    #[test]
    fn the_multiplication_is_a_matrix_product() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        let mut c = vec![0; 4];
        multiply(&[1, 2, 3, 4], &[5, 6, 7, 8], &mut c, 2);
        assert_eq!(c, [19, 22, 43, 50]);
    }
}
