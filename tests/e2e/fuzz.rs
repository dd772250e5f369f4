//! A short round of the fuzz command (`tests/fuzz`): every outside-facing
//! parser answers generated input without a panic.

#[test]
fn every_parser_answers_generated_input_without_panicking() {
    let report = ecb_tests::fuzz::run(20_000, 16);
    assert!(report.clean(), "{report:?}");
}
