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

#[test]
fn compute_unit_budgets_are_met() {
    let measured = gpunet_tests::report::measure();
    for &(program, instruction, case, budget) in gpunet_tests::report::TARGETS {
        let m = measured
            .iter()
            .find(|m| (m.program, m.instruction, m.case) == (program, instruction, case))
            .unwrap_or_else(|| panic!("no measurement for {program} {instruction} ({case})"));
        assert!(
            m.compute_units <= budget,
            "{program} {instruction} ({case}): {} CU over the budget of {budget}",
            m.compute_units
        );
    }
}

#[test]
fn receipts_meet_the_cost_target() {
    let costs = gpunet_tests::report::measure_proof().1;
    let largest = costs.last().expect("measured batches");
    assert!(
        largest.records >= 5,
        "only {} records fit one transaction",
        largest.records
    );
    assert!(
        largest.lamports_per_record() <= 1_000,
        "{} lamports per record",
        largest.lamports_per_record()
    );
    for c in &costs {
        assert!(c.transaction_bytes <= gpunet_tests::report::MAX_TRANSACTION_BYTES);
    }
}
