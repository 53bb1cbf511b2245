//! The pass-rate table per capability, test type and language, the floors, and the failure list.

use super::{Capability, Case, FLOORS, Kind, Outcome};
use crate::domain::{Lang, Role};
use std::collections::HashMap;
use std::fmt::Write;

/// The suite's cases with how each went.
pub struct Report {
    pub cases: Vec<Case>,
    pub outcomes: Vec<Outcome>,
}

/// Passed and total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub total: usize,
}

impl Tally {
    pub fn rate(self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.passed as f64 / self.total as f64
        }
    }

    fn add(&mut self, passed: bool) {
        self.total += 1;
        self.passed += usize::from(passed);
    }
}

const LANGS: [Lang; 2] = [Lang::De, Lang::En];
const KINDS: [Kind; 3] = [Kind::Mft, Kind::Inv, Kind::Dir];

impl Report {
    pub fn new(cases: Vec<Case>, outcomes: Vec<Outcome>) -> Report {
        Report { cases, outcomes }
    }

    /// Tallies by (capability, language, type); `None` as the type is all types together.
    pub fn tallies(&self) -> HashMap<(Capability, Lang, Option<Kind>), Tally> {
        let mut out = HashMap::new();
        for (c, o) in self.cases.iter().zip(&self.outcomes) {
            for kind in [Some(c.kind), None] {
                out.entry((c.capability, c.lang, kind))
                    .or_insert_with(Tally::default)
                    .add(o.passed);
            }
        }
        out
    }

    /// Every capability, language and test type whose pass rate is below the capability's floor
    /// in [`FLOORS`] for that language: (capability, language, type, rate, floor).
    pub fn below_floor(&self) -> Vec<(Capability, Lang, Kind, f64, f64)> {
        let tallies = self.tallies();
        let mut out = Vec::new();
        for (capability, _, _) in FLOORS {
            for lang in LANGS {
                for kind in KINDS {
                    let Some(t) = tallies.get(&(*capability, lang, Some(kind))) else {
                        continue;
                    };
                    let floor = capability.floor(lang);
                    if t.rate() < floor {
                        out.push((*capability, lang, kind, t.rate(), floor));
                    }
                }
            }
        }
        out
    }

    /// The table: one row per capability and language, passed/total and rate per type, all
    /// types pooled, and the floor every type must reach.
    pub fn table(&self) -> String {
        let tallies = self.tallies();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<17} {:<4} {:>14} {:>14} {:>14} {:>14} {:>6}",
            "capability", "lang", "MFT", "INV", "DIR", "all", "floor"
        );
        let cell = |t: Option<&Tally>| match t {
            Some(t) if t.total > 0 => {
                format!("{:>4}/{:<4} {:.2}", t.passed, t.total, t.rate())
            }
            _ => "-".to_string(),
        };
        let mut total = Tally::default();
        for capability in Capability::ALL {
            for lang in LANGS {
                let mut row = format!("{:<17} {:<4}", capability.label(), lang.tag());
                for kind in KINDS {
                    let _ = write!(
                        row,
                        " {:>14}",
                        cell(tallies.get(&(capability, lang, Some(kind))))
                    );
                }
                let all = tallies.get(&(capability, lang, None));
                if let Some(a) = all {
                    total.passed += a.passed;
                    total.total += a.total;
                }
                let _ = writeln!(
                    out,
                    "{row} {:>14} {:>6.2}",
                    cell(all),
                    capability.floor(lang)
                );
            }
        }
        let _ = writeln!(out, "{:<22} {:>59}", "total", cell(Some(&total)));
        out
    }

    /// Every failed case whose id starts with `prefix` (all for ""): id, template, the
    /// conversation with the action at every turn, what was expected and what came.
    pub fn failures(&self, prefix: &str) -> String {
        let mut out = String::new();
        for (c, o) in self.cases.iter().zip(&self.outcomes) {
            let Some(why) = &o.failure else { continue };
            if !c.id.starts_with(prefix) {
                continue;
            }
            let _ = writeln!(out, "FAIL {} [{}] {}", c.id, c.name, why);
            for (i, line) in c.lines.iter().enumerate() {
                let who = match line.role {
                    Role::Customer => "customer",
                    Role::Bot => "bot",
                    Role::Agent => "agent",
                    Role::System => "system",
                };
                let meta = match (&line.nlu, &line.bot) {
                    (Some(n), _) => format!(" (intent {})", n.intent),
                    (_, Some(b)) if b.fallback => " (fallback)".to_string(),
                    _ => String::new(),
                };
                let action = o.actions.get(i).map_or("", String::as_str);
                let _ = writeln!(out, "  {i} {who:<8} {:<13} {}{meta}", action, line.text);
            }
        }
        out
    }
}
