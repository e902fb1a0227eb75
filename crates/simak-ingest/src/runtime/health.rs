//! Collection health, per source: last success and error, items per minute, lag, rate-limit
//! state, outages and recorded gaps.
//!
//! The scheduler keeps one [`SourceHealth`] per source and writes it after every fetch to
//! `<data_dir>/sources/health/<source>.json` (atomically), so the server (`GET /api/sources`,
//! `/metrics`) can read it whether the sources run in the same process or not.
//!
//! A **gap** is a time range that could not be collected: the platform no longer offers it
//! (a window feed whose whole window is new, a paged search that ran out of pages before
//! reaching the cursor, a channel whose history ends). Gaps are kept (the last
//! [`MAX_KEPT`]) and shown; they are never removed by a later success. An **outage** is a
//! period in which fetches failed; a source that pages from its cursor catches up after it,
//! so an outage alone is not a gap.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How many gaps and outages are kept per source.
pub const MAX_KEPT: usize = 100;
/// The window over which items per minute are averaged, in minutes.
pub const RATE_WINDOW_MIN: i64 = 15;

/// A time range, with why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gap {
    /// Start of the range.
    pub from: DateTime<Utc>,
    /// End of the range.
    pub to: DateTime<Utc>,
    /// What happened, for the operator.
    pub reason: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl Gap {
    /// A gap recorded now.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>, reason: impl Into<String>) -> Gap {
        Gap {
            from,
            to,
            reason: reason.into(),
            recorded_at: Utc::now(),
        }
    }
}

/// The state of a source.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SourceState))]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Not fetched yet.
    #[default]
    Starting,
    /// The last fetch succeeded.
    Ok,
    /// The last fetch failed and will be retried with backoff.
    Failing,
    /// The platform asked us to wait (rate limit, quota).
    RateLimited,
    /// A failure that needs an operator (bad URL, credentials, a channel without preview).
    NeedsAttention,
}

impl State {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Ok => "ok",
            State::Failing => "failing",
            State::RateLimited => "rate_limited",
            State::NeedsAttention => "needs_attention",
        }
    }
}

/// The health of one source.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SourceHealth {
    /// The source's name (`reddit:indonesia`).
    pub name: String,
    /// The platform: the name up to its first `:`.
    pub platform: String,
    /// Current state.
    pub state: State,
    /// Last successful fetch.
    pub last_success: Option<DateTime<Utc>>,
    /// Last failed fetch.
    pub last_error: Option<DateTime<Utc>>,
    /// What the last failure said.
    pub last_error_message: Option<String>,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// Fetches, all time.
    pub fetches_total: u64,
    /// Failed fetches, all time.
    pub errors_total: u64,
    /// Rate-limit answers, all time.
    pub rate_limited_total: u64,
    /// New items handed to the log, all time.
    pub items_total: u64,
    /// New items per minute over the last [`RATE_WINDOW_MIN`] minutes.
    pub items_per_min: f64,
    /// Seconds from the newest item's publication to its hand-over, for the last batch with
    /// items.
    pub lag_secs: Option<i64>,
    /// The newest publication time handed over.
    pub newest_published_at: Option<DateTime<Utc>>,
    /// Until when the platform asked us to wait.
    pub rate_limited_until: Option<DateTime<Utc>>,
    /// When the next fetch is due.
    pub next_fetch_at: Option<DateTime<Utc>>,
    /// Time ranges that could not be collected, oldest first.
    pub gaps: Vec<Gap>,
    /// Periods of failed fetches, oldest first (the current one, if any, has `to` = now).
    pub outages: Vec<Gap>,
    /// When the current outage began.
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub failing_since: Option<DateTime<Utc>>,
    /// Per-minute counts (unix minute, items) for the rate.
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub minutes: Vec<(i64, u64)>,
    /// When this was written.
    pub updated_at: Option<DateTime<Utc>>,
}

fn push_capped(v: &mut Vec<Gap>, g: Gap) {
    v.push(g);
    if v.len() > MAX_KEPT {
        let extra = v.len() - MAX_KEPT;
        v.drain(..extra);
    }
}

impl SourceHealth {
    /// A fresh record for `name`.
    pub fn new(name: &str) -> SourceHealth {
        SourceHealth {
            name: name.to_string(),
            platform: name.split(':').next().unwrap_or(name).to_string(),
            ..Default::default()
        }
    }

    fn close_outage(&mut self, now: DateTime<Utc>) {
        if let Some(from) = self.failing_since.take() {
            let reason = self
                .last_error_message
                .clone()
                .unwrap_or_else(|| "fetches failed".into());
            push_capped(&mut self.outages, Gap::new(from, now, reason));
        }
    }

    fn start_outage(&mut self, now: DateTime<Utc>, message: &str) {
        self.fetches_total += 1;
        self.last_error = Some(now);
        self.last_error_message = Some(message.to_string());
        if self.failing_since.is_none() {
            self.failing_since = Some(now);
        }
    }

    /// Records a successful fetch that handed over `new` items, the newest published at
    /// `newest`, and the gaps the source reported.
    pub fn success(
        &mut self,
        now: DateTime<Utc>,
        new: u64,
        newest: Option<DateTime<Utc>>,
        gaps: Vec<Gap>,
    ) {
        self.fetches_total += 1;
        self.state = State::Ok;
        self.last_success = Some(now);
        self.consecutive_failures = 0;
        self.rate_limited_until = None;
        self.close_outage(now);
        self.items_total += new;
        if new > 0 {
            let minute = now.timestamp() / 60;
            match self.minutes.last_mut() {
                Some((m, n)) if *m == minute => *n += new,
                _ => self.minutes.push((minute, new)),
            }
            if let Some(n) = newest {
                self.lag_secs = Some((now - n).num_seconds().max(0));
                if self.newest_published_at.is_none_or(|p| n > p) {
                    self.newest_published_at = Some(n);
                }
            }
        }
        for g in gaps {
            tracing::warn!(source = %self.name, from = %g.from, to = %g.to, reason = %g.reason, "gap recorded: this range could not be collected");
            push_capped(&mut self.gaps, g);
        }
        self.refresh_rate(now);
    }

    /// Records a failed fetch.
    pub fn failure(&mut self, now: DateTime<Utc>, message: &str, needs_attention: bool) {
        self.start_outage(now, message);
        self.errors_total += 1;
        self.consecutive_failures += 1;
        self.state = if needs_attention {
            State::NeedsAttention
        } else {
            State::Failing
        };
        self.refresh_rate(now);
    }

    /// Records a rate-limit answer: wait until `until`.
    pub fn rate_limited(&mut self, now: DateTime<Utc>, until: DateTime<Utc>, message: &str) {
        self.start_outage(now, message);
        self.rate_limited_total += 1;
        self.state = State::RateLimited;
        self.rate_limited_until = Some(until);
        self.refresh_rate(now);
    }

    fn refresh_rate(&mut self, now: DateTime<Utc>) {
        let minute = now.timestamp() / 60;
        self.minutes.retain(|(m, _)| minute - m < RATE_WINDOW_MIN);
        let n: u64 = self.minutes.iter().map(|(_, n)| n).sum();
        self.items_per_min = n as f64 / RATE_WINDOW_MIN as f64;
        self.updated_at = Some(now);
    }

    /// The outages, the current one (if any) running until now.
    pub fn outages_until(&self, now: DateTime<Utc>) -> Vec<Gap> {
        let mut v = self.outages.clone();
        if let Some(from) = self.failing_since {
            v.push(Gap {
                from,
                to: now,
                reason: self.last_error_message.clone().unwrap_or_default(),
                recorded_at: now,
            });
        }
        v
    }
}

/// Where health files live: `<cursor dir>/health`.
pub fn dir(cursor_dir: &Path) -> PathBuf {
    cursor_dir.join("health")
}

fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{}.json", crate::safe_name(name)))
}

/// Loads the health of `name` (fresh if none or unreadable: health is a report, not state
/// that must survive corruption).
pub fn load(dir: &Path, name: &str) -> SourceHealth {
    std::fs::read(file(dir, name))
        .ok()
        .and_then(|b| serde_json::from_slice::<SourceHealth>(&b).ok())
        .filter(|h| h.name == name)
        .unwrap_or_else(|| SourceHealth::new(name))
}

/// Saves `h` atomically.
pub fn save(dir: &Path, h: &SourceHealth) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let body = serde_json::to_vec_pretty(h).map_err(std::io::Error::other)?;
    simak_bus::embedded::write_atomic(&file(dir, &h.name), &body, false)
        .map_err(std::io::Error::other)
}

/// Every health file under `dir`, sorted by name. Unreadable files are skipped with a warning.
pub fn load_all(dir: &Path) -> Vec<SourceHealth> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        match std::fs::read(&p)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<SourceHealth>(&b).map_err(|e| e.to_string()))
        {
            Ok(h) => out.push(h),
            Err(e) => {
                tracing::warn!(file = %p.display(), error = %e, "skipping an unreadable health file")
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn outages_close_on_success_and_gaps_stay() {
        let t0 = Utc::now();
        let mut h = SourceHealth::new("reddit:indonesia");
        assert_eq!(h.platform, "reddit");
        h.failure(t0, "503", false);
        h.rate_limited(t0 + Duration::seconds(5), t0 + Duration::seconds(65), "429");
        assert_eq!(h.state, State::RateLimited);
        assert_eq!(h.outages_until(t0 + Duration::seconds(10)).len(), 1);
        let gap = Gap::new(t0 - Duration::hours(1), t0, "ran out of pages");
        h.success(t0 + Duration::seconds(70), 30, Some(t0), vec![gap.clone()]);
        assert_eq!(h.state, State::Ok);
        assert_eq!(h.outages.len(), 1);
        assert_eq!(h.outages[0].from, t0);
        assert_eq!(h.outages[0].reason, "429");
        assert_eq!(h.gaps, vec![gap]);
        assert_eq!(h.items_total, 30);
        assert!((h.items_per_min - 2.0).abs() < 1e-9);
        assert_eq!(h.lag_secs, Some(70));
        h.success(t0 + Duration::seconds(80), 0, None, Vec::new());
        assert_eq!(h.gaps.len(), 1, "a later success never hides a gap");
        assert_eq!(h.outages.len(), 1);
    }

    #[test]
    fn files_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let mut h = SourceHealth::new("telegram:humas_sukamaju");
        h.failure(Utc::now(), "no public preview", true);
        save(d.path(), &h).unwrap();
        assert_eq!(load(d.path(), &h.name), h);
        assert_eq!(load_all(d.path()), vec![h]);
        assert_eq!(load(d.path(), "other").name, "other");
    }
}
