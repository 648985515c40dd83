//! docs/compute-units.md must be what the programs cost now.

#[test]
fn compute_units_doc_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/compute-units.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let current = gpunet_tests::report::markdown();
    assert!(
        committed == current,
        "docs/compute-units.md is stale; regenerate it with\n  cargo run -p gpunet-tests --bin compute-units > docs/compute-units.md\n\ncurrent:\n{current}"
    );
}
