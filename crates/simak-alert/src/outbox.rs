//! The outbox: alert state and queued e-mails in one SQLite database, written in the same
//! transaction as the rules' decisions.
//!
//! A row is keyed by (alert key, version, recipient) and inserted with `INSERT OR IGNORE`, so
//! queueing the same e-mail twice (a batch read again after a crash, a summary queued again
//! after a restart) leaves one row. Rows are `pending` until the sender marks them `sent`; a
//! failed attempt only moves `next_at` forward.

use crate::compose;
use crate::AlertError;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use simak_core::config::AlertsConfig;
use simak_core::schema::{self, Step};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// The alert database's schema, one step per version (see `simak_core::schema`). Version 1 is
/// the first release's; never edit a released step, add one.
const SCHEMA: &[Step] = &[
    Step::Sql(
        "
CREATE TABLE IF NOT EXISTS alerts (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    profile TEXT NOT NULL,
    version INTEGER NOT NULL,
    spread INTEGER NOT NULL,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_members (
    key TEXT NOT NULL,
    mention_id TEXT NOT NULL,
    PRIMARY KEY (key, mention_id)
);
CREATE TABLE IF NOT EXISTS counted (
    profile TEXT NOT NULL,
    mention_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    PRIMARY KEY (profile, mention_id)
);
CREATE INDEX IF NOT EXISTS counted_hour ON counted(hour);
CREATE TABLE IF NOT EXISTS counts (
    profile TEXT NOT NULL,
    hour INTEGER NOT NULL,
    total INTEGER NOT NULL,
    negative INTEGER NOT NULL,
    PRIMARY KEY (profile, hour)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text TEXT NOT NULL,
    html TEXT NOT NULL,
    mention_id TEXT NOT NULL,
    handed_over_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL DEFAULT 0,
    sent_at TEXT,
    error TEXT,
    file TEXT,
    UNIQUE (key, version, recipient)
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(state, next_at);
",
    ),
    // 2: inline images (the daily summary's charts).
    Step::AddColumn {
        table: "outbox",
        column: "images",
        decl: "TEXT",
    },
    // 3: the per-recipient rate limit looks up recent deliveries.
    Step::Sql("CREATE INDEX IF NOT EXISTS outbox_recipient ON outbox(recipient, state, sent_at);"),
    // 4: the overdue complaints each OPD has been e-mailed about (once each).
    Step::Sql(
        "CREATE TABLE IF NOT EXISTS overdue_sent (
    opd TEXT NOT NULL,
    complaint_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (opd, complaint_id)
);",
    ),
];

/// Now, as stored in the database.
pub(crate) fn now_s() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A pending row: the item, its text and HTML, its inline images (content id, base64 PNG).
pub(crate) type Due = (OutboxItem, String, String, Vec<(String, String)>);

/// One row of the outbox.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxItem {
    /// Row id.
    pub id: i64,
    /// Alert key.
    pub key: String,
    /// 1 for the first e-mail, more for updates.
    pub version: i64,
    /// Recipient (empty: none configured; kept as a file).
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// The mention that triggered it.
    pub mention_id: String,
    /// When the source handed that mention over.
    pub handed_over_at: String,
    /// When the alert was queued.
    pub created_at: String,
    /// `pending` or `sent`.
    pub state: String,
    /// Delivery attempts.
    pub attempts: i64,
    /// When the SMTP server accepted it, or the file was written.
    pub sent_at: Option<String>,
    /// The last delivery error.
    pub error: Option<String>,
    /// The `.eml` file, when written as a file.
    pub file: Option<String>,
}

/// Alert state and the outbox.
pub struct AlertStore {
    pub(crate) conn: Mutex<Connection>,
    /// Signalled when new outbox rows were queued.
    pub(crate) queued: tokio::sync::Notify,
}

impl std::fmt::Debug for AlertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AlertStore")
    }
}

impl AlertStore {
    /// Opens or creates the store.
    pub fn open(path: &Path) -> Result<AlertStore, AlertError> {
        simak_core::private::private_database(path)
            .map_err(|e| AlertError::Config(format!("{}: {e}", path.display())))?;
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        schema::migrate(&mut conn, "alerts", SCHEMA)?;
        Ok(AlertStore {
            conn: Mutex::new(conn),
            queued: tokio::sync::Notify::new(),
        })
    }

    /// Pending outbox rows due now, oldest first.
    pub(crate) fn due(&self, limit: usize) -> Result<Vec<Due>, AlertError> {
        let conn = self.conn.lock().expect("alert db lock");
        let mut st = conn.prepare(
            "SELECT id, key, version, recipient, subject, mention_id, handed_over_at, created_at, \
             state, attempts, sent_at, error, file, text, html, images FROM outbox \
             WHERE state = 'pending' AND next_at <= ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = st.query_map(params![Utc::now().timestamp_millis(), limit as i64], |r| {
            let images: Option<String> = r.get(15)?;
            let images: Vec<(String, String)> = images
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default();
            Ok((item_row(r)?, r.get(13)?, r.get(14)?, images))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// E-mails sent to `recipient` in the last hour, and the oldest of them (epoch ms).
    pub(crate) fn sent_last_hour(&self, recipient: &str) -> Result<(u32, Option<i64>), AlertError> {
        let conn = self.conn.lock().expect("alert db lock");
        let since =
            (Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Millis, true);
        let (n, oldest): (u32, Option<String>) = conn.query_row(
            "SELECT COUNT(*), MIN(sent_at) FROM outbox WHERE recipient = ?1 AND state = 'sent' \
             AND file IS NULL AND sent_at >= ?2",
            params![recipient, since],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let oldest = oldest
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.timestamp_millis());
        Ok((n, oldest))
    }

    pub(crate) fn mark_sent(&self, id: i64, file: Option<&str>) -> Result<(), AlertError> {
        let conn = self.conn.lock().expect("alert db lock");
        conn.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?2, file = ?3, error = NULL WHERE id = ?1",
            params![id, now_s(), file],
        )?;
        Ok(())
    }

    pub(crate) fn postpone(
        &self,
        id: i64,
        until_ms: i64,
        error: Option<&str>,
    ) -> Result<(), AlertError> {
        let conn = self.conn.lock().expect("alert db lock");
        conn.execute(
            "UPDATE outbox SET next_at = ?2, attempts = attempts + ?3, error = COALESCE(?4, error) \
             WHERE id = ?1",
            params![id, until_ms, i64::from(error.is_some()), error],
        )?;
        Ok(())
    }

    /// Queues a daily summary (once per profile and day, whatever the restarts) for
    /// `recipients` (see [`recipients`]).
    pub fn queue_summary(
        &self,
        key: &str,
        recipients: &[String],
        email: &compose::Email,
        images: &[(String, String)],
    ) -> Result<usize, AlertError> {
        let conn = self.conn.lock().expect("alert db lock");
        let now = now_s();
        let images = serde_json::to_string(images).expect("images serialize");
        let n = insert_outbox(
            &conn,
            &Queued {
                key,
                version: 1,
                email,
                mention_id: "",
                handed_over_at: &now,
                created_at: &now,
                images: Some(&images),
            },
            recipients,
        )?;
        drop(conn);
        if n > 0 {
            self.queued.notify_one();
        }
        Ok(n)
    }

    /// In one transaction: of `cases` (complaint case ids of `opd`), those `opd` has not been
    /// e-mailed about yet are given to `compose`, and the e-mail it writes (if any) is queued
    /// for `recipients` under the key it returns, with those cases marked as sent. Two checkers
    /// at once, or a check repeated after a crash, mail no case twice. Returns the cases the
    /// e-mail is about.
    pub fn queue_overdue(
        &self,
        opd: &str,
        cases: &[i64],
        recipients: &[String],
        compose: impl FnOnce(&[i64]) -> Option<(String, String, compose::Email)>,
    ) -> Result<Vec<i64>, AlertError> {
        let mut conn = self.conn.lock().expect("alert db lock");
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut new = Vec::new();
        {
            let mut seen =
                tx.prepare("SELECT 1 FROM overdue_sent WHERE opd = ?1 AND complaint_id = ?2")?;
            for &c in cases {
                if !seen.exists(params![opd, c])? {
                    new.push(c);
                }
            }
        }
        let Some((key, mention_id, email)) = (!new.is_empty()).then(|| compose(&new)).flatten()
        else {
            return Ok(Vec::new());
        };
        let now = now_s();
        for &c in &new {
            tx.execute(
                "INSERT INTO overdue_sent (opd, complaint_id, key, at) VALUES (?1, ?2, ?3, ?4)",
                params![opd, c, key, now],
            )?;
        }
        insert_outbox(
            &tx,
            &Queued {
                key: &key,
                version: 1,
                email: &email,
                mention_id: &mention_id,
                handed_over_at: &now,
                created_at: &now,
                images: None,
            },
            recipients,
        )?;
        tx.commit()?;
        drop(conn);
        self.queued.notify_one();
        Ok(new)
    }

    /// Whether something was queued under `key`.
    pub fn has_key(&self, key: &str) -> Result<bool, AlertError> {
        let conn = self.conn.lock().expect("alert db lock");
        Ok(conn
            .query_row("SELECT 1 FROM outbox WHERE key = ?1 LIMIT 1", [key], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }

    /// The outbox, newest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<OutboxItem>, AlertError> {
        let conn = self.conn.lock().expect("alert db lock");
        let mut st = conn.prepare(
            "SELECT id, key, version, recipient, subject, mention_id, handed_over_at, created_at, \
             state, attempts, sent_at, error, file FROM outbox ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = st.query_map([limit as i64], item_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn item_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxItem> {
    Ok(OutboxItem {
        id: r.get(0)?,
        key: r.get(1)?,
        version: r.get(2)?,
        recipient: r.get(3)?,
        subject: r.get(4)?,
        mention_id: r.get(5)?,
        handed_over_at: r.get(6)?,
        created_at: r.get(7)?,
        state: r.get(8)?,
        attempts: r.get(9)?,
        sent_at: r.get(10)?,
        error: r.get(11)?,
        file: r.get(12)?,
    })
}

/// Who gets a profile's e-mails: its own recipients, else `alerts.default_recipients`; with
/// none at all, one empty recipient (the e-mail is kept as a file).
pub fn recipients(profile: &[String], cfg: &AlertsConfig) -> Vec<String> {
    let r = if profile.is_empty() {
        &cfg.default_recipients
    } else {
        profile
    };
    if r.is_empty() {
        vec![String::new()]
    } else {
        r.to_vec()
    }
}

/// One e-mail to queue, for each recipient.
pub(crate) struct Queued<'a> {
    /// The alert key.
    pub(crate) key: &'a str,
    /// Its version (1, or more for an update).
    pub(crate) version: u32,
    /// What to send.
    pub(crate) email: &'a compose::Email,
    /// The mention that set it off (empty for a summary).
    pub(crate) mention_id: &'a str,
    /// When the source handed that mention over.
    pub(crate) handed_over_at: &'a str,
    /// When it is queued.
    pub(crate) created_at: &'a str,
    /// Inline images as JSON `[[content id, base64 PNG]]`.
    pub(crate) images: Option<&'a str>,
}

/// Queues `q` once per recipient; a row already there (same key, version, recipient) stays.
pub(crate) fn insert_outbox(
    conn: &Connection,
    q: &Queued<'_>,
    rcpts: &[String],
) -> rusqlite::Result<usize> {
    let mut n = 0;
    for r in rcpts {
        n += conn.execute(
            "INSERT OR IGNORE INTO outbox (key, version, recipient, subject, text, html, \
             mention_id, handed_over_at, created_at, images) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                q.key,
                q.version,
                r,
                q.email.subject,
                q.email.text,
                q.email.html,
                q.mention_id,
                q.handed_over_at,
                q.created_at,
                q.images
            ],
        )?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outbox_from_the_first_release_keeps_its_mail_and_gains_images() {
        // The first release's outbox had no `images` column: reading pending mail from it
        // failed until the schema was versioned.
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("alerts.sqlite");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(include_str!("../tests/fixtures/alerts-unversioned.sql"))
            .unwrap();
        drop(old);
        let s = AlertStore::open(&path).unwrap();
        let v = schema::version(&s.conn.lock().unwrap()).unwrap();
        assert_eq!(v, SCHEMA.len() as u32);
        assert!(s.has_key("pemkab:fc:fc-1").unwrap());
        let due = s.due(10).unwrap();
        assert_eq!(
            due.len(),
            1,
            "the pending e-mail is still due, the sent one not"
        );
        let (item, text, _, images) = &due[0];
        assert_eq!(
            (item.key.as_str(), text.as_str()),
            ("pemkab:fc:fc-1", "teks lama")
        );
        assert!(images.is_empty());
        assert_eq!(s.outbox(10).unwrap().len(), 2);
        let email = compose::Email {
            subject: "Ringkasan".into(),
            text: "t".into(),
            html: "<p>t</p>".into(),
        };
        let imgs = vec![("chart".to_string(), "iVBORw0KGgo=".to_string())];
        let n = s
            .queue_summary(
                "summary:pemkab:2026-11-21",
                &["a@b.c".into()],
                &email,
                &imgs,
            )
            .unwrap();
        assert_eq!(n, 1);
        let due = s.due(10).unwrap();
        assert!(due
            .iter()
            .any(|(i, _, _, im)| i.key.starts_with("summary:") && im == &imgs));
    }

    #[test]
    fn the_outbox_is_private() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("data/alerts.sqlite");
        let _s = AlertStore::open(&path).unwrap();
        if cfg!(unix) {
            assert_eq!(simak_core::private::mode(&path).unwrap(), 0o600);
            assert_eq!(
                simak_core::private::mode(path.parent().unwrap()).unwrap(),
                0o700
            );
        }
    }
}
