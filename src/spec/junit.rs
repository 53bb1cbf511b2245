//! JUnit XML for CI systems: one test suite per file, one test case per expectation.

use super::Case;
use std::fmt::Write;

/// Escapes text for XML attributes and content.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

pub fn xml(cases: &[Case]) -> String {
    let mut files: Vec<&str> = Vec::new();
    for c in cases {
        if !files.contains(&c.file.as_str()) {
            files.push(&c.file);
        }
    }
    let failures = cases.iter().filter(|c| !c.failures.is_empty()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"escalation-router test\" tests=\"{}\" failures=\"{failures}\">",
        cases.len()
    );
    for file in files {
        let suite: Vec<&Case> = cases.iter().filter(|c| c.file == file).collect();
        let failed = suite.iter().filter(|c| !c.failures.is_empty()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\">",
            escape(file),
            suite.len()
        );
        for c in suite {
            let name = format!("{} turn {}", c.conversation_id, c.idx);
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\"",
                escape(file),
                escape(&name)
            );
            if c.failures.is_empty() {
                out.push_str("/>\n");
            } else {
                let all = c.failures.join("\n");
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\">{}:{}: {}</failure>\n    </testcase>",
                    escape(&c.failures[0]),
                    escape(file),
                    c.line,
                    escape(&all)
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
