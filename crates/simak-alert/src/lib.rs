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
mod outbox;
mod smtp;
pub mod summary;

pub use outbox::{recipients, AlertStore, OutboxItem};
pub use smtp::{deliver_pending, run_sender};

use chrono::{SecondsFormat, TimeZone, Utc};
use outbox::{insert_outbox, now_s, Queued};
use rusqlite::{params, Connection, OptionalExtension};
use simak_analyze::profiles::Profiles;
use simak_bus::Bus;
use simak_core::config::AlertsConfig;
use simak_core::schema;
use simak_core::{Config, HoaxLabel, HoaxVerdict, Mention};
use std::collections::HashMap;
use std::sync::Arc;
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
}
