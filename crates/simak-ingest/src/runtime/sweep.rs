//! Paging newest-first results back to a cursor, one page per fetch, without losing anything.
//!
//! Search APIs (Reddit, X, YouTube) and the Telegram preview answer newest first and page
//! towards older items. A **sweep** starts at the newest page and pages back until it reaches
//! what the previous sweep handed over (`since`). Each fetch reads one page, and the position
//! within the sweep is part of the cursor, saved after the log took the page: a rate limit, an
//! outage or a restart in the middle of a sweep resumes at the page it stopped at. When the
//! sweep reaches `since` (or the platform has no older page), `since` moves to the newest
//! item of the sweep's first page. A sweep that would need more than `max_pages` pages stops
//! there and records the range it could not reach as a gap.
//!
//! Positions are per platform, any number that grows with time (creation second, snowflake or
//! message id). Items at exactly `since` are handed over again and dropped by the scheduler's
//! dedupe window: with second-resolution times two items may share a position.

use crate::health::Gap;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simak_core::Mention;

/// The cursor of a swept source.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Sweep {
    /// The newest position handed over by completed sweeps.
    pub since: Option<i64>,
    /// Its publication time.
    pub since_time: Option<DateTime<Utc>>,
    /// In a sweep: the newest position of its first page.
    pub top: Option<i64>,
    /// Its publication time.
    pub top_time: Option<DateTime<Utc>>,
    /// In a sweep: the page to read next.
    pub page: Option<String>,
    /// In a sweep: pages read so far.
    pub pages: usize,
}

/// One page of results.
#[derive(Debug, Default)]
pub struct Page {
    /// Items with their positions, in any order.
    pub items: Vec<(i64, Mention)>,
    /// The token of the next (older) page, if any.
    pub next: Option<String>,
}

/// What a step produced.
#[derive(Debug, Default)]
pub struct Step {
    /// The items to hand over, oldest first.
    pub mentions: Vec<Mention>,
    /// Ranges that could not be reached.
    pub gaps: Vec<Gap>,
    /// The sweep goes on: fetch the next page at once.
    pub more: bool,
}

impl Step {
    /// The fetch result of this step: its mentions and gaps, the sweep as cursor, and the next
    /// poll at once while the sweep goes on, else after `interval`.
    pub fn fetched(self, sweep: &Sweep, interval: std::time::Duration) -> crate::Fetched {
        crate::Fetched {
            mentions: self.mentions,
            cursor: Some(sweep.to_cursor()),
            next_poll: if self.more {
                std::time::Duration::ZERO
            } else {
                interval
            },
            gaps: self.gaps,
            window: false,
        }
    }
}

impl Sweep {
    /// The sweep state in `cursor` (fresh if none or unreadable).
    pub fn from_cursor(cursor: Option<&serde_json::Value>) -> Sweep {
        cursor
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default()
    }

    /// As a cursor.
    pub fn to_cursor(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Whether the next page is the first of a sweep.
    pub fn at_start(&self) -> bool {
        self.page.is_none()
    }

    /// Takes one page; `what` names the source in a gap's reason.
    pub fn step(&mut self, page: Page, max_pages: usize, what: &str) -> Step {
        if self.at_start() {
            if let Some((p, m)) = page.items.iter().max_by_key(|(p, _)| *p) {
                self.top = Some(*p);
                self.top_time = Some(m.published_at);
            } else {
                self.top = self.since;
                self.top_time = self.since_time;
            }
        }
        let since = self.since;
        let mut reached = since.is_none()
            || page.next.is_none()
            || page.items.is_empty()
            || page.items.iter().any(|(p, _)| Some(*p) <= since);
        let mut gaps = Vec::new();
        let oldest = page.items.iter().map(|(_, m)| m.published_at).min();
        let mut mentions: Vec<Mention> = page
            .items
            .into_iter()
            .filter(|(p, _)| since.is_none_or(|s| *p >= s))
            .map(|(_, m)| m)
            .collect();
        mentions.sort_by_key(|m| m.published_at);
        self.pages += 1;
        if !reached && self.pages >= max_pages.max(1) {
            if let (Some(from), Some(to)) = (self.since_time, oldest) {
                gaps.push(Gap::new(
                    from,
                    to,
                    format!(
                        "{what}: more than {} pages of new items since the last sweep; older ones were not reached",
                        max_pages.max(1)
                    ),
                ));
            }
            reached = true;
        }
        if reached {
            if self.top > self.since {
                self.since = self.top;
                self.since_time = self.top_time;
            }
            self.top = None;
            self.top_time = None;
            self.page = None;
            self.pages = 0;
        } else {
            self.page = page.next;
        }
        Step {
            mentions,
            gaps,
            more: !reached,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pos: i64) -> (i64, Mention) {
        let t = DateTime::from_timestamp(1_790_000_000 + pos, 0).unwrap();
        let m: Mention = serde_json::from_value(serde_json::json!({
            "id": format!("t:{pos}"), "source": "t", "text": "x",
            "published_at": t, "fetched_at": t
        }))
        .unwrap();
        (pos, m)
    }

    fn page(from: i64, to: i64, next: Option<&str>) -> Page {
        Page {
            items: (from..=to).rev().map(m).collect(),
            next: next.map(str::to_string),
        }
    }

    #[test]
    fn first_sweep_reads_one_page_then_pages_back_to_since() {
        let mut s = Sweep::default();
        let st = s.step(page(11, 20, Some("p2")), 10, "t");
        assert_eq!(st.mentions.len(), 10);
        assert!(!st.more);
        assert_eq!(s.since, Some(20));
        // 25 new items, 10 per page: three pages, the third reaching since.
        let st = s.step(page(36, 45, Some("a")), 10, "t");
        assert!(st.more);
        assert_eq!(s.page.as_deref(), Some("a"));
        let st2 = s.step(page(26, 35, Some("b")), 10, "t");
        assert!(st2.more);
        let st3 = s.step(page(16, 25, Some("c")), 10, "t");
        assert!(!st3.more);
        assert_eq!(st3.mentions.len(), 6, "20..=25, 20 again for equal times");
        assert_eq!(s.since, Some(45));
        assert!(s.page.is_none());
    }

    #[test]
    fn too_many_pages_record_a_gap() {
        let mut s = Sweep::default();
        s.step(page(1, 10, Some("x")), 2, "t");
        s.step(page(91, 100, Some("a")), 2, "t");
        let st = s.step(page(81, 90, Some("b")), 2, "t");
        assert!(!st.more);
        assert_eq!(st.gaps.len(), 1);
        let g = &st.gaps[0];
        assert_eq!(g.from, m(10).1.published_at);
        assert_eq!(g.to, m(81).1.published_at);
        assert_eq!(s.since, Some(100));
    }

    #[test]
    fn cursor_round_trips_mid_sweep() {
        let mut s = Sweep::default();
        s.step(page(1, 10, None), 5, "t");
        s.step(page(30, 39, Some("tok")), 5, "t");
        let back = Sweep::from_cursor(Some(&s.to_cursor()));
        assert_eq!(back, s);
        assert_eq!(Sweep::from_cursor(None), Sweep::default());
    }
}
