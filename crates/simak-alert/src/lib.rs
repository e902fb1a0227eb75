//! Alerts: rules evaluated on the enriched stream, a persistent outbox, delivery by SMTP (or as
//! `.eml` files when no SMTP server is configured).
//!
//! **Rules**, per watch profile a mention matched:
//! * a known hoax, at once; a suspected hoax from `alerts.suspected_min_score`. One alert per
//!   key (the review case: the debunked claim, or else the near-duplicate cluster); an update
//!   only when the case's spread has grown by `alerts.growth_factor` since the last e-mail;
//! * a volume spike: the mentions of the profile in an hour (by publication time) above
//!   mean + k·σ of the same hour on the 7 days before, with a minimum count; once per hour;
//! * a surge of negative sentiment: the same on negative mentions.
//!
//! **Nothing lost, nothing twice.** The alerter applies a batch of mentions in one SQLite
//! transaction (counts, alert state, outbox rows) and commits its log offsets after it. Counting
//! and outbox rows are keyed (mention per profile; alert key, version and recipient), so a batch
//! read again after a crash changes nothing. The sender takes pending rows, delivers them, and
//! marks them sent; an SMTP outage leaves them pending and they are retried with backoff. A crash
//! between the server's acceptance and the mark would send that one e-mail again: its
//! Message-ID is derived from the row, so mail clients show one message.
#![warn(missing_docs)]

pub mod compose;
pub mod summary;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use simak_analyze::profiles::Profiles;
use simak_bus::Bus;
use simak_core::config::AlertsConfig;
use simak_core::schema::{self, Step};
use simak_core::{Config, HoaxLabel, HoaxVerdict, Mention};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The database failed.
    #[error("alert database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The configuration is not usable.
    #[error("alerts: {0}")]
    Config(String),
    /// The database's schema could not be brought forward.
    #[error(transparent)]
    Schema(#[from] schema::SchemaError),
    /// The log failed.
    #[error(transparent)]
    Bus(#[from] simak_bus::BusError),
    /// A watch profile is wrong.
    #[error(transparent)]
    Profiles(#[from] simak_analyze::profiles::ProfileError),
}

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
];

fn now_s() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A pending row: the item, its text and HTML, its inline images (content id, base64 PNG).
type Due = (OutboxItem, String, String, Vec<(String, String)>);

/// One row of the outbox.
#[derive(Debug, Clone, Serialize)]
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
    conn: Mutex<Connection>,
    /// Signalled when new outbox rows were queued.
    queued: tokio::sync::Notify,
}

impl std::fmt::Debug for AlertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AlertStore")
    }
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// What an applied batch produced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Alerts queued (one per key and version).
    pub alerts: usize,
    /// Outbox rows queued (one per recipient).
    pub emails: usize,
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

    /// Applies enriched mentions: counts, rules, outbox rows, in one transaction.
    pub fn apply(
        &self,
        mentions: &[Mention],
        profiles: &Profiles,
        cfg: &AlertsConfig,
    ) -> Result<Applied, AlertError> {
        // Per profile: its name, its recipients and its thresholds.
        let known: HashMap<&str, (&str, Vec<String>, AlertsConfig)> = profiles
            .iter()
            .map(|p| {
                let c = p.alerts.apply(cfg);
                (
                    p.id.as_str(),
                    (p.name.as_str(), recipients(&p.alert_recipients, &c), c),
                )
            })
            .collect();
        let unknown = recipients(&[], cfg);
        let mut conn = self.conn.lock().expect("alert db lock");
        let tx = conn.transaction()?;
        let mut out = Applied::default();
        let created = now_s();
        for m in mentions {
            let handed_over_at = m.fetched_at.to_rfc3339_opts(SecondsFormat::Millis, true);
            let hoax = m.hoax();
            for profile in &m.profiles {
                let (name, rcpts, cfg) = match known.get(profile.as_str()) {
                    Some((n, r, c)) => (*n, r, c),
                    None => (profile.as_str(), &unknown, cfg),
                };
                let mut alerts = volume_alerts(&tx, m, profile, name, cfg, &created)?;
                alerts.extend(hoax_alert(
                    &tx,
                    m,
                    hoax.as_ref(),
                    profile,
                    name,
                    cfg,
                    &created,
                )?);
                for (key, version, email) in alerts {
                    out.alerts += 1;
                    out.emails += insert_outbox(
                        &tx,
                        &Queued {
                            key: &key,
                            version,
                            email: &email,
                            mention_id: &m.id,
                            handed_over_at: &handed_over_at,
                            created_at: &created,
                            images: None,
                        },
                        rcpts,
                    )?;
                }
            }
        }
        // Counting state older than the 7-day window is not needed.
        let oldest = Utc::now().timestamp().div_euclid(3600) - 24 * 9;
        tx.execute("DELETE FROM counted WHERE hour < ?1", [oldest])?;
        tx.commit()?;
        if out.emails > 0 {
            self.queued.notify_one();
        }
        Ok(out)
    }

    /// Pending outbox rows due now, oldest first.
    fn due(&self, limit: usize) -> Result<Vec<Due>, AlertError> {
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
    fn sent_last_hour(&self, recipient: &str) -> Result<(u32, Option<i64>), AlertError> {
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

    fn mark_sent(&self, id: i64, file: Option<&str>) -> Result<(), AlertError> {
        let conn = self.conn.lock().expect("alert db lock");
        conn.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?2, file = ?3, error = NULL WHERE id = ?1",
            params![id, now_s(), file],
        )?;
        Ok(())
    }

    fn postpone(&self, id: i64, until_ms: i64, error: Option<&str>) -> Result<(), AlertError> {
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
struct Queued<'a> {
    key: &'a str,
    version: u32,
    email: &'a compose::Email,
    mention_id: &'a str,
    handed_over_at: &'a str,
    created_at: &'a str,
    /// Inline images as JSON `[[content id, base64 PNG]]`.
    images: Option<&'a str>,
}

/// Queues `q` once per recipient; a row already there (same key, version, recipient) stays.
fn insert_outbox(conn: &Connection, q: &Queued<'_>, rcpts: &[String]) -> rusqlite::Result<usize> {
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

/// Counts `m` for `profile` (once) and returns the volume alerts it sets off: a spike of the
/// hour's mentions, a surge of its negative ones, each once per hour.
fn volume_alerts(
    tx: &Connection,
    m: &Mention,
    profile: &str,
    name: &str,
    cfg: &AlertsConfig,
    created: &str,
) -> Result<Vec<(String, u32, compose::Email)>, AlertError> {
    let hour = m.published_at.timestamp().div_euclid(3600);
    let negative = m.sentiment.as_ref().is_some_and(|s| s.label == "negative");
    let fresh = tx.execute(
        "INSERT OR IGNORE INTO counted (profile, mention_id, hour) VALUES (?1, ?2, ?3)",
        params![profile, m.id, hour],
    )? == 1;
    if !fresh {
        return Ok(Vec::new());
    }
    let (total, neg): (i64, i64) = tx.query_row(
        "INSERT INTO counts (profile, hour, total, negative) VALUES (?1, ?2, 1, ?3) \
         ON CONFLICT(profile, hour) DO UPDATE SET total = total + 1, negative = negative + ?3 \
         RETURNING total, negative",
        params![profile, hour, i64::from(negative)],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut out = Vec::new();
    for (kind, count, k, min) in [
        ("spike", total, cfg.spike_k, cfg.spike_min_count),
        ("negative", neg, cfg.negative_k, cfg.negative_min_count),
    ] {
        if count < i64::from(min) || (kind == "negative" && !negative) {
            continue;
        }
        let key = format!("{kind}:{profile}:{hour}");
        let sent: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM alerts WHERE key = ?1)",
            [&key],
            |r| r.get(0),
        )?;
        if sent {
            continue;
        }
        // The same hour on each of the 7 days before (0 where nothing was counted).
        let col = if kind == "spike" { "total" } else { "negative" };
        let mut week = [0f64; 7];
        let mut st = tx.prepare_cached(&format!(
            "SELECT hour, {col} FROM counts WHERE profile = ?1 AND hour IN \
             (?2 - 24, ?2 - 48, ?2 - 72, ?2 - 96, ?2 - 120, ?2 - 144, ?2 - 168)"
        ))?;
        let rows = st.query_map(params![profile, hour], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (h, c) = row?;
            week[((hour - h) / 24 - 1) as usize] = c as f64;
        }
        let (mean, sd) = mean_sd(&week);
        if (count as f64) <= mean + f64::from(k) * sd {
            continue;
        }
        tx.execute(
            "INSERT INTO alerts (key, kind, profile, version, spread, first_at, last_at) \
             VALUES (?1, ?2, ?3, 1, ?4, ?5, ?5)",
            params![key, kind, profile, count, created],
        )?;
        let email = compose::volume_email(&compose::VolumeAlert {
            profile_name: name,
            kind,
            hour: Utc
                .timestamp_opt(hour * 3600, 0)
                .single()
                .unwrap_or_default(),
            count: count as u64,
            mean,
            sd,
            example: m,
            base_url: &cfg.base_url,
        });
        out.push((key, 1, email));
    }
    Ok(out)
}

/// The hoax alert `m` (with its verdict `hoax`) sets off for `profile`, if any: the first for
/// its review case, or an update once the case's spread has grown by `growth_factor` since the
/// last one.
fn hoax_alert(
    tx: &Connection,
    m: &Mention,
    hoax: Option<&HoaxVerdict>,
    profile: &str,
    name: &str,
    cfg: &AlertsConfig,
    created: &str,
) -> Result<Option<(String, u32, compose::Email)>, AlertError> {
    let Some(hoax) = hoax else {
        return Ok(None);
    };
    let alert = match hoax.label {
        HoaxLabel::KnownHoax => true,
        HoaxLabel::Suspected => hoax.score_f64() >= f64::from(cfg.suspected_min_score),
        HoaxLabel::None => false,
    };
    let Some(case) = alert
        .then(|| simak_review::case_id(profile, hoax))
        .flatten()
    else {
        return Ok(None);
    };
    let key = format!("hoax:{case}");
    tx.execute(
        "INSERT OR IGNORE INTO alert_members (key, mention_id) VALUES (?1, ?2)",
        params![key, m.id],
    )?;
    let members: i64 = tx.query_row(
        "SELECT COUNT(*) FROM alert_members WHERE key = ?1",
        [&key],
        |r| r.get(0),
    )?;
    let spread = members.max(hoax.cluster.as_ref().map_or(1, |c| i64::from(c.size)));
    let prev: Option<(u32, i64)> = tx
        .query_row(
            "SELECT version, spread FROM alerts WHERE key = ?1",
            [&key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let version = match prev {
        None => 1,
        Some((v, last)) if spread as f64 >= last.max(1) as f64 * f64::from(cfg.growth_factor) => {
            v + 1
        }
        Some(_) => return Ok(None),
    };
    tx.execute(
        "INSERT INTO alerts (key, kind, profile, version, spread, first_at, last_at) \
         VALUES (?1, 'hoax', ?2, ?3, ?4, ?5, ?5) \
         ON CONFLICT(key) DO UPDATE SET version = ?3, spread = ?4, last_at = ?5",
        params![key, profile, version, spread, created],
    )?;
    let email = compose::hoax_email(&compose::HoaxAlert {
        profile_name: name,
        case_id: &case,
        mention: m,
        hoax,
        spread: spread as u64,
        version,
        base_url: &cfg.base_url,
    });
    Ok(Some((key, version, email)))
}

/// Runs the alert rules on the enriched stream until `shutdown`. Offsets are committed after
/// the batch's effects are in the database.
pub async fn run_alerter(
    cfg: &Config,
    bus: &Bus,
    store: Arc<AlertStore>,
    shutdown: CancellationToken,
) -> Result<(), AlertError> {
    let profiles = Arc::new(Profiles::load_dir(&cfg.analyzer.profiles_dir)?);
    let topic = &cfg.bus.topics.enriched;
    bus.ensure_topic(topic).await?;
    let mut consumer = bus.group_consumer(topic, &cfg.bus.groups.alerts)?;
    tracing::info!(topic, profiles = profiles.len(), "alert rules started");
    consumer
        .apply_batches(
            1000,
            Duration::from_millis(200),
            "alert rules",
            &shutdown,
            |recs| {
                let (store, profiles, alerts) =
                    (store.clone(), profiles.clone(), cfg.alerts.clone());
                async move {
                    let applied = tokio::task::spawn_blocking(move || {
                        let (mentions, _rejected) =
                            simak_bus::decode_mentions(&recs, "alert rules");
                        store.apply(&mentions, &profiles, &alerts)
                    })
                    .await
                    .expect("alert task")?;
                    if applied.alerts > 0 {
                        tracing::info!(
                            alerts = applied.alerts,
                            emails = applied.emails,
                            "alerts queued"
                        );
                    }
                    Ok::<_, AlertError>(())
                }
            },
        )
        .await;
    Ok(())
}

/// Where alerts go.
enum Delivery {
    Smtp(lettre::AsyncSmtpTransport<lettre::Tokio1Executor>),
    /// `.eml` files under `<data_dir>/outbox`.
    Files,
}

fn delivery(cfg: &Config) -> Result<Delivery, AlertError> {
    let a = &cfg.alerts;
    if a.smtp_url.trim().is_empty() {
        return Ok(Delivery::Files);
    }
    let mut b = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(a.smtp_url.trim())
        .map_err(|e| AlertError::Config(format!("alerts.smtp_url: {e}")))?
        .timeout(Some(Duration::from_secs(20)));
    if !a.smtp_user.is_empty() {
        let pass = simak_core::config::secret("SMTP_PASSWORD").ok_or_else(|| {
            AlertError::Config(
                "alerts.smtp_user is set but SIMAK_SECRET_SMTP_PASSWORD (or its _FILE) is not"
                    .into(),
            )
        })?;
        b = b.credentials(lettre::transport::smtp::authentication::Credentials::new(
            a.smtp_user.clone(),
            pass,
        ));
    }
    Ok(Delivery::Smtp(b.build()))
}

fn message(
    cfg: &AlertsConfig,
    item: &OutboxItem,
    text: &str,
    html: &str,
    images: &[(String, String)],
) -> Result<lettre::Message, String> {
    use lettre::message::{header, MultiPart, SinglePart};
    let from: lettre::message::Mailbox = cfg
        .from
        .parse()
        .map_err(|e| format!("alerts.from {:?}: {e}", cfg.from))?;
    let to = if item.recipient.is_empty() {
        from.clone()
    } else {
        item.recipient
            .parse()
            .map_err(|e| format!("recipient {:?}: {e}", item.recipient))?
    };
    let domain = from.email.domain().to_string();
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(&item.subject)
        .message_id(Some(format!(
            "<simak-{}-v{}-{}@{domain}>",
            item.id,
            item.version,
            simak_core::mention::short_hash(item.key.as_bytes())
        )))
        .raw_header(header::HeaderValue::new(
            header::HeaderName::new_from_ascii_str("X-Simak-Alert"),
            format!("{} v{}", item.key.replace(['\r', '\n'], " "), item.version),
        ))
        .raw_header(header::HeaderValue::new(
            header::HeaderName::new_from_ascii_str("X-Simak-Mention"),
            item.mention_id.replace(['\r', '\n'], " "),
        ))
        .multipart(if images.is_empty() {
            MultiPart::alternative()
                .singlepart(SinglePart::plain(text.to_string()))
                .singlepart(SinglePart::html(html.to_string()))
        } else {
            use base64::Engine;
            let mut related = MultiPart::related().singlepart(SinglePart::html(html.to_string()));
            for (cid, b64) in images {
                let png = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| format!("inline image {cid}: {e}"))?;
                related = related.singlepart(
                    lettre::message::Attachment::new_inline(cid.clone())
                        .body(png, "image/png".parse().expect("content type")),
                );
            }
            MultiPart::alternative()
                .singlepart(SinglePart::plain(text.to_string()))
                .multipart(related)
        })
        .map_err(|e| e.to_string())
}

/// Delivers what is due in the outbox once; returns how many were delivered.
pub async fn deliver_pending(cfg: &Config, store: &Arc<AlertStore>) -> Result<usize, AlertError> {
    let d = delivery(cfg)?;
    Ok(deliver_round(cfg, store, &d, &CancellationToken::new())
        .await
        .1)
}

/// Delivers the outbox until `shutdown`: by SMTP when configured, else as `.eml` files. A
/// failed delivery stays pending and is retried with backoff (1 s doubling to 60 s); a recipient
/// over `alerts.per_recipient_per_hour` waits until an hour after its oldest e-mail in the window.
pub async fn run_sender(
    cfg: &Config,
    store: Arc<AlertStore>,
    shutdown: CancellationToken,
) -> Result<(), AlertError> {
    let delivery = delivery(cfg)?;
    match &delivery {
        Delivery::Smtp(_) => {
            tracing::info!(smtp = %redact(&cfg.alerts.smtp_url), "alert sender started")
        }
        Delivery::Files => {
            tracing::info!(dir = %cfg.outbox_path().display(), "no alerts.smtp_url: alerts are written as .eml files")
        }
    }
    loop {
        let idle = deliver_round(cfg, &store, &delivery, &shutdown).await.0 == 0;
        if shutdown.is_cancelled() {
            return Ok(());
        }
        if idle {
            // Woken as soon as the rules queue something; otherwise look again for retries due.
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = store.queued.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }
}

/// One round of delivery: the rows due now. Returns how many were due and how many delivered.
async fn deliver_round(
    cfg: &Config,
    store: &Arc<AlertStore>,
    delivery: &Delivery,
    shutdown: &CancellationToken,
) -> (usize, usize) {
    let due = {
        let s = store.clone();
        tokio::task::spawn_blocking(move || s.due(100))
            .await
            .expect("alert task")
    };
    let due = match due {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "alert sender: reading the outbox failed; retrying");
            Vec::new()
        }
    };
    let count = due.len();
    let mut delivered = 0;
    // Prepare: rate limits (counting this round too), then addressing.
    let mut ready = Vec::new();
    let mut this_round: HashMap<String, u32> = HashMap::new();
    for (item, text, html, images) in due {
        let to_file = matches!(delivery, Delivery::Files) || item.recipient.is_empty();
        if !to_file {
            let limit = cfg.alerts.per_recipient_per_hour.max(1);
            let extra = this_round.entry(item.recipient.clone()).or_default();
            if let Ok((n, oldest)) = store.sent_last_hour(&item.recipient) {
                if n + *extra >= limit {
                    let until = oldest.unwrap_or_else(|| Utc::now().timestamp_millis()) + 3_600_000;
                    tracing::info!(id = item.id, recipient = %item.recipient, "alert waits: recipient rate limit");
                    let _ = store.postpone(item.id, until, None);
                    continue;
                }
            }
            *extra += 1;
        }
        match message(&cfg.alerts, &item, &text, &html, &images) {
            Ok(m) => ready.push((item, m, to_file)),
            Err(e) => {
                // A bad address needs an operator; keep the alert, retry rarely.
                tracing::error!(id = item.id, error = %e, "alert cannot be addressed; fix the configuration");
                let _ = store.postpone(item.id, Utc::now().timestamp_millis() + 600_000, Some(&e));
            }
        }
    }
    // Deliver up to 8 at a time: an SMTP exchange spends most of its time waiting.
    while !ready.is_empty() {
        if shutdown.is_cancelled() {
            return (count, delivered);
        }
        let batch: Vec<_> = ready.drain(..ready.len().min(8)).collect();
        let sends = batch.iter().map(|(item, msg, to_file)| async move {
            match (delivery, to_file) {
                (Delivery::Smtp(t), false) => {
                    use lettre::AsyncTransport;
                    t.send(msg.clone())
                        .await
                        .map(|_| None)
                        .map_err(|e| e.to_string())
                }
                _ => write_eml(&cfg.outbox_path(), item, &msg.formatted()).map(Some),
            }
        });
        let results = futures::future::join_all(sends).await;
        for ((item, _, _), result) in batch.iter().zip(results) {
            match result {
                Ok(file) => {
                    delivered += 1;
                    if let Err(e) = store.mark_sent(item.id, file.as_deref()) {
                        tracing::error!(id = item.id, error = %e, "alert delivered but not marked; it may be sent again");
                    } else {
                        tracing::info!(id = item.id, key = %item.key, recipient = %item.recipient, "alert delivered");
                    }
                }
                Err(e) => {
                    let wait = 1000i64 << item.attempts.clamp(0, 6);
                    tracing::warn!(id = item.id, attempts = item.attempts + 1, retry_in_ms = wait.min(60_000), error = %e, "alert delivery failed; it stays in the outbox");
                    let _ = store.postpone(
                        item.id,
                        Utc::now().timestamp_millis() + wait.min(60_000),
                        Some(&e),
                    );
                }
            }
        }
    }
    (count, delivered)
}

fn write_eml(dir: &Path, item: &OutboxItem, bytes: &[u8]) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let name = format!("{:08}.eml", item.id);
    let path = dir.join(&name);
    simak_bus::embedded::write_atomic(&path, bytes, true).map_err(|e| e.to_string())?;
    Ok(name)
}

/// The SMTP URL without any password in it, for logs.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mention(id: &str, text: &str, hoax: serde_json::Value, published: &str) -> Mention {
        serde_json::from_value(serde_json::json!({
            "id": id, "source": "x", "text": text,
            "published_at": published, "fetched_at": published,
            "profiles": ["pemkab"], "sentiment": {"label": "negative", "scores": {"negative": 0.9, "neutral": 0.05, "positive": 0.05}},
            "hoax": hoax
        }))
        .unwrap()
    }

    fn known(size: u32) -> serde_json::Value {
        serde_json::json!({"label": "known_hoax", "score": 0.95, "reasons": ["r"],
            "matches": [{"id": "fc-1", "claim": "klaim", "url": null, "verdict": "hoaks", "similarity": 0.9}],
            "cluster": {"id": "00000000000000aa", "size": size, "last_hour": size}})
    }

    fn none() -> serde_json::Value {
        serde_json::json!({"label": "none", "score": 0.0, "reasons": [], "matches": [],
            "cluster": {"id": "00000000000000bb", "size": 1, "last_hour": 1}})
    }

    fn store() -> (tempfile::TempDir, AlertStore) {
        let d = tempfile::tempdir().unwrap();
        let s = AlertStore::open(&d.path().join("alerts.sqlite")).unwrap();
        (d, s)
    }

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

    fn cfg() -> AlertsConfig {
        AlertsConfig {
            default_recipients: vec!["humas@example.id".into(), "kabid@example.id".into()],
            ..Default::default()
        }
    }

    #[test]
    fn one_alert_per_case_and_updates_only_on_growth() {
        let (_d, s) = store();
        let p = Profiles::default();
        let batch: Vec<Mention> = (1..=3)
            .map(|i| mention(&format!("x:{i}"), "hoaks", known(i), "2026-11-20T01:00:00Z"))
            .collect();
        let a = s.apply(&batch, &p, &cfg()).unwrap();
        // x:1 alerts (v1); x:2 doubles the spread (2 >= 1*2): update v2; x:3 (3 < 2*2): nothing.
        assert_eq!(
            a,
            Applied {
                alerts: 2,
                emails: 4
            }
        );
        // The same batch again (a replay after a crash) queues nothing.
        let again = s.apply(&batch, &p, &cfg()).unwrap();
        assert_eq!(again.emails, 0);
        assert_eq!(s.outbox(100).unwrap().len(), 4);
        let x4 = mention("x:4", "hoaks", known(4), "2026-11-20T01:05:00Z");
        assert_eq!(s.apply(&[x4], &p, &cfg()).unwrap().alerts, 1, "4 >= 2*2");
    }

    #[test]
    fn spikes_against_the_same_hour_of_the_week_before() {
        let (_d, s) = store();
        let p = Profiles::default();
        let c = AlertsConfig {
            spike_min_count: 5,
            negative_min_count: 1000,
            ..cfg()
        };
        // Two mentions at 08:00 on each of the 7 days before.
        let mut hist = Vec::new();
        for d in 13..20 {
            for i in 0..2 {
                hist.push(mention(
                    &format!("h:{d}:{i}"),
                    "biasa",
                    none(),
                    &format!("2026-11-{d}T01:10:00Z"),
                ));
            }
        }
        assert_eq!(s.apply(&hist, &p, &c).unwrap().alerts, 0);
        let today: Vec<Mention> = (0..6)
            .map(|i| mention(&format!("t:{i}"), "ramai", none(), "2026-11-20T01:20:00Z"))
            .collect();
        let a = s.apply(&today, &p, &c).unwrap();
        assert_eq!(
            a.alerts, 1,
            "one spike alert for the hour, at the 5th mention"
        );
        let out = s.outbox(10).unwrap();
        assert!(out[0].key.starts_with("spike:pemkab:"), "{out:?}");
        assert!(out[0].subject.contains("Lonjakan percakapan"));
    }

    #[test]
    fn a_profile_can_set_its_own_thresholds() {
        let (_d, s) = store();
        let wp: simak_analyze::profiles::WatchProfile = toml_profile(
            "id = \"pemkab\"\nname = \"Pemkab\"\n[alerts]\nspike_min_count = 3\nnegative_min_count = 1000\n",
        );
        let p = Profiles::new(vec![wp]).unwrap();
        let c = AlertsConfig {
            spike_min_count: 100,
            ..cfg()
        };
        let today: Vec<Mention> = (0..3)
            .map(|i| mention(&format!("t:{i}"), "ramai", none(), "2026-11-20T01:20:00Z"))
            .collect();
        assert_eq!(
            s.apply(&today, &p, &c).unwrap().alerts,
            1,
            "the profile's 3, not the global 100"
        );
    }

    fn toml_profile(t: &str) -> simak_analyze::profiles::WatchProfile {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("p.toml"), t).unwrap();
        Profiles::load_dir(d.path())
            .unwrap()
            .iter()
            .next()
            .unwrap()
            .clone()
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("smtp://u:secret@mail:587"), "smtp://***@mail:587");
        assert_eq!(redact("smtp://mail:25"), "smtp://mail:25");
    }
}
