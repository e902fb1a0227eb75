//! The alert state rules read, in the batch's transaction: alerts already decided, the
//! mentions of each hoax case, and hourly counts per profile.

use super::Decision;
use rusqlite::{params, Connection, OptionalExtension};
use simak_core::Mention;

/// A profile's mentions in one hour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourCount {
    /// All of them.
    pub total: i64,
    /// The negative ones (see [`negative`]).
    pub negative: i64,
}

/// Whether `m` counts as negative.
pub fn negative(m: &Mention) -> bool {
    m.sentiment.as_ref().is_some_and(|s| s.label == "negative")
}

/// The alert state, read and written inside the transaction that applies a batch.
pub struct State<'tx> {
    tx: &'tx Connection,
}

impl std::fmt::Debug for State<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("State")
    }
}

impl<'tx> State<'tx> {
    /// The state in `tx` (the batch's transaction).
    pub(crate) fn new(tx: &'tx Connection) -> State<'tx> {
        State { tx }
    }

    /// Counts `m` for `profile` in its hour of publication, once: the hour's counts with it,
    /// or `None` when it was counted before.
    pub(crate) fn count(
        &self,
        profile: &str,
        m: &Mention,
        hour: i64,
    ) -> rusqlite::Result<Option<HourCount>> {
        let fresh = self.tx.execute(
            "INSERT OR IGNORE INTO counted (profile, mention_id, hour) VALUES (?1, ?2, ?3)",
            params![profile, m.id, hour],
        )? == 1;
        if !fresh {
            return Ok(None);
        }
        let (total, negative) = self.tx.query_row(
            "INSERT INTO counts (profile, hour, total, negative) VALUES (?1, ?2, 1, ?3) \
             ON CONFLICT(profile, hour) DO UPDATE SET total = total + 1, negative = negative + ?3 \
             RETURNING total, negative",
            params![profile, hour, i64::from(negative(m))],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Some(HourCount { total, negative }))
    }

    /// Forgets which mentions were counted in hours before `hour` (the hourly counts stay).
    pub(crate) fn forget_counted_before(&self, hour: i64) -> rusqlite::Result<()> {
        self.tx
            .execute("DELETE FROM counted WHERE hour < ?1", [hour])?;
        Ok(())
    }

    /// `profile`'s counts in the same hour as `hour` on each of the 7 days before, the day
    /// before first (zero where nothing was counted).
    pub fn same_hour_week_before(
        &self,
        profile: &str,
        hour: i64,
    ) -> rusqlite::Result<[HourCount; 7]> {
        let mut week = [HourCount::default(); 7];
        let mut st = self.tx.prepare_cached(
            "SELECT hour, total, negative FROM counts WHERE profile = ?1 AND hour IN \
             (?2 - 24, ?2 - 48, ?2 - 72, ?2 - 96, ?2 - 120, ?2 - 144, ?2 - 168)",
        )?;
        let rows = st.query_map(params![profile, hour], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?))
        })?;
        for row in rows {
            let (h, total, negative) = row?;
            week[((hour - h) / 24 - 1) as usize] = HourCount { total, negative };
        }
        Ok(week)
    }

    /// Whether an alert was decided under `key`.
    pub fn alerted(&self, key: &str) -> rusqlite::Result<bool> {
        self.tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM alerts WHERE key = ?1)",
            [key],
            |r| r.get(0),
        )
    }

    /// The last version decided under `key` and the spread it was decided at.
    pub fn last_alert(&self, key: &str) -> rusqlite::Result<Option<(u32, i64)>> {
        self.tx
            .query_row(
                "SELECT version, spread FROM alerts WHERE key = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
    }

    /// Adds `mention_id` to the mentions of `key` (once) and returns how many it has.
    pub fn join(&self, key: &str, mention_id: &str) -> rusqlite::Result<i64> {
        self.tx.execute(
            "INSERT OR IGNORE INTO alert_members (key, mention_id) VALUES (?1, ?2)",
            params![key, mention_id],
        )?;
        self.tx.query_row(
            "SELECT COUNT(*) FROM alert_members WHERE key = ?1",
            [key],
            |r| r.get(0),
        )
    }

    /// Records `d` as the latest version of its alert, decided at `created`.
    pub(crate) fn record(&self, d: &Decision, created: &str) -> rusqlite::Result<()> {
        self.tx.execute(
            "INSERT INTO alerts (key, kind, profile, version, spread, first_at, last_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) \
             ON CONFLICT(key) DO UPDATE SET version = ?4, spread = ?5, last_at = ?6",
            params![d.key, d.kind(), d.profile, d.version, d.spread, created],
        )?;
        Ok(())
    }
}
