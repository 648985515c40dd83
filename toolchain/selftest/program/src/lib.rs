//! The toolchain self-test program.
//!
//! Each instruction is `[op, input...]`; the program computes `ops::run` and returns the
//! bytes as return data. The test suite runs the same function natively over thousands of
//! random inputs and requires byte-identical results, so any miscompile in the offline
//! build (IR legalisation, code generation, relinking) shows up as a difference.

pub mod ops;

#[cfg(not(feature = "no-entrypoint"))]
mod entrypoint {
    use solana_account_info::AccountInfo;
    use solana_program_error::{ProgramError, ProgramResult};
    use solana_pubkey::Pubkey;

    solana_program_entrypoint::entrypoint!(process_instruction);

    fn process_instruction(_: &Pubkey, _: &[AccountInfo], data: &[u8]) -> ProgramResult {
        let out = crate::ops::run(data).map_err(|e| ProgramError::Custom(e as u32))?;
        solana_cpi::set_return_data(&out);
        Ok(())
    }
}
