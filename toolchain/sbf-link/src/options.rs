//! What a caller of [`crate::relink`] may ask for, and the syscalls it accepts.

/// Options for [`relink`].
#[derive(Debug, Clone, Default)]
pub struct RelinkOptions {
    /// Succeed without an `entrypoint` symbol (a dependency built as `cdylib` has none).
    /// `e_entry` is then the start of `.text` — not 0, because the loader rejects an
    /// entry outside `.text` and `.text` never starts at 0. Without this option a missing
    /// entrypoint is [`RelinkError::NoEntrypoint`](crate::RelinkError::NoEntrypoint).
    pub allow_missing_entrypoint: bool,
    /// Accept calls to undefined symbols that are not in [`SYSCALLS`] or
    /// [`extra_syscalls`](Self::extra_syscalls). The result will only load on a runtime
    /// that registers them (agave rejects unknown names at deployment).
    pub allow_unknown_externals: bool,
    /// Additional syscall names to accept (e.g. a feature-gated one added after this list).
    pub extra_syscalls: Vec<String>,
}

/// Syscall names registered by agave 4.2.2 (`solana-syscalls` 4.2.2,
/// `create_program_runtime_environment`), minus `sol_alloc_free_`, which deployment
/// refuses. Some are registered only while their feature is active: `sol_blake3`,
/// `sol_sha512`, `sol_curve_*`, `sol_get_fees_sysvar` (until fees are disabled),
/// `sol_get_last_restart_slot`, `sol_alt_bn128_*`, `sol_big_mod_exp`, `sol_poseidon`,
/// `sol_remaining_compute_units`, `sol_get_sysvar`, `sol_get_epoch_stake`.
pub const SYSCALLS: &[&str] = &[
    "abort",
    "sol_panic_",
    "sol_log_",
    "sol_log_64_",
    "sol_log_pubkey",
    "sol_log_compute_units_",
    "sol_log_data",
    "sol_create_program_address",
    "sol_try_find_program_address",
    "sol_sha256",
    "sol_keccak256",
    "sol_secp256k1_recover",
    "sol_blake3",
    "sol_sha512",
    "sol_curve_validate_point",
    "sol_curve_group_op",
    "sol_curve_multiscalar_mul",
    "sol_curve_decompress",
    "sol_curve_pairing_map",
    "sol_get_clock_sysvar",
    "sol_get_epoch_schedule_sysvar",
    "sol_get_fees_sysvar",
    "sol_get_rent_sysvar",
    "sol_get_last_restart_slot",
    "sol_get_epoch_rewards_sysvar",
    "sol_get_sysvar",
    "sol_get_epoch_stake",
    "sol_memcpy_",
    "sol_memmove_",
    "sol_memset_",
    "sol_memcmp_",
    "sol_get_processed_sibling_instruction",
    "sol_get_stack_height",
    "sol_set_return_data",
    "sol_get_return_data",
    "sol_invoke_signed_c",
    "sol_invoke_signed_rust",
    "sol_alt_bn128_group_op",
    "sol_alt_bn128_compression",
    "sol_big_mod_exp",
    "sol_poseidon",
    "sol_remaining_compute_units",
];
