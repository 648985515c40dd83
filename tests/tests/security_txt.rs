//! Every program binary carries the project's security.txt (SECURITY.md), naming itself,
//! where explorers and `solana-security-txt`'s parser look for it.

use gpunet_tests::program_elf;
use solana_security_txt::find_and_parse;

#[test]
fn every_program_binary_names_itself_and_the_security_contact() {
    for program in ["registry", "escrow", "staking", "proof"] {
        let elf = program_elf(program);
        let txt = find_and_parse(&elf)
            .unwrap_or_else(|e| panic!("{program}.so has no readable security.txt: {e}"));
        assert_eq!(txt.name, format!("gpunet {program}"));
        assert!(!txt.contacts.is_empty(), "{program}: no contact");
        assert!(
            txt.policy.ends_with("/SECURITY.md"),
            "{program}: {}",
            txt.policy
        );
        assert!(txt.source_code.is_some(), "{program}: no source code link");
    }
}
