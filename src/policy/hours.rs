//! Business hours: opening windows in a queue's time zone. Parsed once when the policy is loaded.

use chrono::{Datelike, TimeZone, Timelike, Weekday};
use serde::Deserialize;

/// An IANA time zone ("Europe/Berlin").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Zone(pub chrono_tz::Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone(chrono_tz::UTC)
    }
}

impl TryFrom<String> for Zone {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse::<chrono_tz::Tz>()
            .map(Zone)
            .map_err(|_| format!("unknown time zone `{s}`"))
    }
}

/// One opening window: a set of weekdays and a time range ("mon-fri 08:00-18:00"). A range that
/// ends before it starts runs past midnight into the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Window {
    /// Bit 0 = Monday .. bit 6 = Sunday.
    days: u8,
    /// Minutes after midnight.
    start: u32,
    end: u32,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl TryFrom<String> for Window {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let bad = || format!("invalid hours `{s}`: expected like `mon-fri 08:00-18:00`");
        let (days, times) = s.trim().split_once(' ').ok_or_else(bad)?;
        let mut mask = 0u8;
        for part in days.split(',') {
            let day = |d: &str| DAYS.iter().position(|x| x.eq_ignore_ascii_case(d.trim()));
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day(a).ok_or_else(bad)?, day(b).ok_or_else(bad)?);
                    let mut d = a;
                    loop {
                        mask |= 1 << d;
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => mask |= 1 << day(part).ok_or_else(bad)?,
            }
        }
        let (start, end) = times.trim().split_once('-').ok_or_else(bad)?;
        let (start, end) = (
            minutes(start).ok_or_else(bad)?,
            minutes(end).ok_or_else(bad)?,
        );
        if start == end {
            return Err(format!("invalid hours `{s}`: the window is empty"));
        }
        Ok(Window {
            days: mask,
            start,
            end,
        })
    }
}

fn minutes(hhmm: &str) -> Option<u32> {
    let (h, m) = hhmm.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

impl Window {
    fn has(&self, day: Weekday) -> bool {
        self.days & (1 << day.num_days_from_monday()) != 0
    }

    fn contains(&self, day: Weekday, minute: u32) -> bool {
        if self.start < self.end {
            self.has(day) && (self.start..self.end).contains(&minute)
        } else {
            (self.has(day) && minute >= self.start) || (self.has(day.pred()) && minute < self.end)
        }
    }
}

/// Whether a queue with these windows is open at `now_ms` (Unix ms). No windows: always open.
pub fn is_open(zone: Zone, windows: &[Window], now_ms: i64) -> bool {
    if windows.is_empty() {
        return true;
    }
    let Some(local) = zone.0.timestamp_millis_opt(now_ms).single() else {
        return true;
    };
    let minute = local.hour() * 60 + local.minute();
    windows.iter().any(|w| w.contains(local.weekday(), minute))
}
