//! The behavioural test suite (CheckList style, `src/checklist.rs`): every generated case through
//! the replay engine (default configuration, built-in model). Writes the pass-rate table and the
//! failures to `target/checklist.txt`, prints the table, and fails when a capability's pass rate
//! in a language falls below its floor in `checklist::FLOORS` for any test type (MFT, INV, DIR).

use escalation_router::checklist;
use escalation_router::config::Config;
use std::path::PathBuf;

#[test]
fn every_capability_keeps_its_floor_in_both_languages() {
    let report = checklist::evaluate(&Config::default()).expect("the suite runs");
    let table = report.table();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("checklist.txt"))
        .expect("target dir");
    std::fs::write(&out, format!("{}\n{table}", report.failures(""))).expect("write the report");
    println!("{table}");
    let below = report.below_floor();
    assert!(
        below.is_empty(),
        "below the floor: {:?}\n{table}\nfailures in {}",
        below
            .iter()
            .map(|(c, l, k, r, f)| format!(
                "{} {} {} {r:.2} < {f:.2}",
                c.label(),
                l.tag(),
                k.label()
            ))
            .collect::<Vec<_>>(),
        out.display()
    );
}
