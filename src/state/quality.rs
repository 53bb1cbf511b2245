//! Decision quality at the stores' grain (tenant, reason, language, channel, queue) and summed up
//! by one of them for `GetDecisionQuality`.

use super::QualityRow;
use std::collections::BTreeMap;

/// A row's grouping columns: tenant, reason, language, channel, queue.
pub type Key = (String, String, String, String, String);

/// An empty row for a key, with its handoff count and summed seconds to handoff.
pub fn row(key: Key, handoffs: u64, seconds_to_handoff_sum: f64) -> QualityRow {
    let (tenant_id, reason, language, channel, queue) = key;
    QualityRow {
        tenant_id,
        reason,
        language,
        channel,
        queue,
        handoffs,
        seconds_to_handoff_sum,
        ..Default::default()
    }
}

/// What a quality report is grouped by (besides the tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dimension {
    #[default]
    Reason,
    Language,
    Channel,
    Queue,
}

/// Sums rows up by tenant and `by`; the other grouping columns of the result are empty.
pub fn regroup(rows: &[QualityRow], by: Dimension) -> Vec<QualityRow> {
    let mut out: BTreeMap<(String, String), QualityRow> = BTreeMap::new();
    for r in rows {
        let value = match by {
            Dimension::Reason => &r.reason,
            Dimension::Language => &r.language,
            Dimension::Channel => &r.channel,
            Dimension::Queue => &r.queue,
        };
        let sum = out
            .entry((r.tenant_id.clone(), value.clone()))
            .or_insert_with(|| {
                let mut empty = QualityRow {
                    tenant_id: r.tenant_id.clone(),
                    ..Default::default()
                };
                *match by {
                    Dimension::Reason => &mut empty.reason,
                    Dimension::Language => &mut empty.language,
                    Dimension::Channel => &mut empty.channel,
                    Dimension::Queue => &mut empty.queue,
                } = value.clone();
                empty
            });
        sum.handoffs += r.handoffs;
        sum.outcomes += r.outcomes;
        sum.resolved += r.resolved;
        sum.verdict_needed += r.verdict_needed;
        sum.verdict_not_needed += r.verdict_not_needed;
        sum.verdict_too_late += r.verdict_too_late;
        sum.satisfaction_sum += r.satisfaction_sum;
        sum.satisfaction_count += r.satisfaction_count;
        sum.seconds_to_handoff_sum += r.seconds_to_handoff_sum;
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(reason: &str, language: &str, queue: &str, handoffs: u64, needed: u64) -> QualityRow {
        QualityRow {
            verdict_needed: needed,
            ..row(
                (
                    "acme".into(),
                    reason.into(),
                    language.into(),
                    "webchat".into(),
                    queue.into(),
                ),
                handoffs,
                10.0 * handoffs as f64,
            )
        }
    }

    #[test]
    fn rows_sum_up_by_the_chosen_dimension() {
        let rows = [
            at("explicit_request", "de", "support", 2, 1),
            at("explicit_request", "en", "support", 1, 1),
            at("abuse", "de", "retention", 3, 0),
        ];
        let by_language = regroup(&rows, Dimension::Language);
        assert_eq!(
            by_language,
            vec![
                QualityRow {
                    tenant_id: "acme".into(),
                    language: "de".into(),
                    handoffs: 5,
                    verdict_needed: 1,
                    seconds_to_handoff_sum: 50.0,
                    ..Default::default()
                },
                QualityRow {
                    tenant_id: "acme".into(),
                    language: "en".into(),
                    handoffs: 1,
                    verdict_needed: 1,
                    seconds_to_handoff_sum: 10.0,
                    ..Default::default()
                },
            ]
        );
        let by_reason = regroup(&rows, Dimension::Reason);
        assert_eq!(by_reason.len(), 2);
        assert_eq!(
            (by_reason[1].reason.as_str(), by_reason[1].handoffs),
            ("explicit_request", 3)
        );
        let by_channel = regroup(&rows, Dimension::Channel);
        assert_eq!((by_channel.len(), by_channel[0].handoffs), (1, 6));
        let by_queue = regroup(&rows, Dimension::Queue);
        assert_eq!(by_queue[0].queue, "retention");
    }
}
