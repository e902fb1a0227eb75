//! Overdue complaints: a complaint case still open past its OPD's response target
//! (`[complaints] target_hours` of the watch profile) is e-mailed to that OPD's alert recipients,
//! once.
//!
//! Unlike the rules, this is not set off by a mention but by the clock: the checker looks at the
//! review database every `alerts.overdue_check_secs`. Each e-mail is keyed
//! `complaint_overdue:<opd>:<case>`, and the outbox keeps one row per key and recipient, so a
//! check repeated after a restart queues nothing new; a case re-routed to another OPD while
//! overdue is that OPD's to hear about once too.

use crate::compose::{esc, link, subject_line, wib, Email};
use crate::{AlertError, AlertStore};
use chrono::{DateTime, Utc};
use simak_analyze::profiles::Profiles;
use simak_review::complaints::{category_label_id, ComplaintCase};
use simak_review::ReviewStore;
use std::sync::Arc;

/// The outbox key of `c`'s overdue e-mail.
pub fn key(c: &ComplaintCase) -> String {
    format!("complaint_overdue:{}:{}", c.opd, c.id)
}

fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The e-mail about overdue `c`, for the OPD named `opd_name`.
pub fn email(c: &ComplaintCase, opd_name: &str, base_url: &str) -> Email {
    let (posted, due) = (time(&c.posted_at), time(&c.due_at));
    let hours = match (posted, due) {
        (Some(p), Some(d)) => (d - p).num_hours(),
        _ => 0,
    };
    let category = c
        .category
        .as_deref()
        .and_then(simak_core::ComplaintCategory::parse)
        .map_or("–", category_label_id);
    let one_line = c.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let short: String = one_line.chars().take(80).collect();
    let subject = subject_line(&format!(
        "[Simak] Aduan belum dijawab lewat {hours} jam — {opd_name}: {short}"
    ));
    let page = format!("{}/#/aduan/{}", base_url.trim_end_matches('/'), c.id);
    let at = |t: Option<DateTime<Utc>>| t.map(|t| wib(&t)).unwrap_or_default();
    let mut t = format!(
        "Aduan no. {} untuk {opd_name} belum dijawab, padahal target jawaban {hours} jam sudah lewat.\n\n",
        c.id
    );
    t.push_str(&format!("Diunggah: {}\n", at(posted)));
    t.push_str(&format!("Tenggat: {}\n", at(due)));
    t.push_str(&format!("Kategori: {category}\n"));
    t.push_str(&format!("Wilayah: {}\n", c.place.as_deref().unwrap_or("–")));
    t.push_str(&format!(
        "Sumber: {} {}\n\n",
        c.source,
        c.url.as_deref().unwrap_or("")
    ));
    t.push_str(&format!(
        "{one_line}\n\nJawab atau alihkan di Simak: {page}\n"
    ));
    let mut x = String::from("<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>Aduan lewat target</title></head><body style=\"font-family:sans-serif;max-width:760px\">");
    x.push_str(&format!(
        "<h1>Aduan belum dijawab</h1><p>Aduan no. {} untuk <b>{}</b> belum dijawab, padahal target jawaban {hours} jam sudah lewat.</p>",
        c.id,
        esc(opd_name)
    ));
    x.push_str(&format!(
        "<p>Diunggah {} · tenggat {} · kategori {} · wilayah {} · {} {}</p><blockquote>{}</blockquote>",
        esc(&at(posted)),
        esc(&at(due)),
        esc(category),
        esc(c.place.as_deref().unwrap_or("–")),
        esc(&c.source),
        c.url.as_deref().map(|u| link(u, "buka unggahan")).unwrap_or_default(),
        esc(&c.text)
    ));
    x.push_str(&format!(
        "<p>{}</p><p style=\"color:#666\">Dibuat otomatis oleh Simak.</p></body></html>",
        link(&page, "Jawab atau alihkan di Simak")
    ));
    Email {
        subject,
        text: t,
        html: x,
    }
}

/// Queues the e-mail of every complaint overdue at `now` that has none yet, to its OPD's
/// recipients (the configured defaults for a profile that names none, or that no longer
/// exists). Returns the rows queued.
pub fn queue(
    cfg: &simak_core::Config,
    store: &AlertStore,
    review: &ReviewStore,
    profiles: &Profiles,
    now: DateTime<Utc>,
) -> Result<usize, String> {
    let mut n = 0;
    for c in review.overdue_complaints(now).map_err(|e| e.to_string())? {
        let key = key(&c);
        if store.has_key(&key).map_err(|e| e.to_string())? {
            continue;
        }
        let p = profiles.iter().find(|p| p.id == c.opd);
        let recipients = crate::recipients(
            p.map(|p| p.alert_recipients.as_slice()).unwrap_or(&[]),
            &cfg.alerts,
        );
        let name = p.map_or(c.opd.as_str(), |p| p.name.as_str());
        let mail = email(&c, name, &cfg.alerts.base_url);
        n += store
            .queue_once(&key, &recipients, &mail, &c.mention_id)
            .map_err(|e| e.to_string())?;
    }
    Ok(n)
}

/// Checks for overdue complaints every `alerts.overdue_check_secs` (the first time at once),
/// until `shutdown`.
pub async fn run_checker(
    cfg: simak_core::Config,
    store: Arc<AlertStore>,
    shutdown: tokio_util::sync::CancellationToken,
) -> Result<(), AlertError> {
    let profiles = Arc::new(Profiles::load_dir(&cfg.analyzer.profiles_dir)?);
    let every = std::time::Duration::from_secs(cfg.alerts.overdue_check_secs.max(1));
    let mut review: Option<Arc<ReviewStore>> = None;
    loop {
        if review.is_none() {
            match ReviewStore::open(&cfg.review_db_path()) {
                Ok(r) => review = Some(Arc::new(r)),
                Err(e) => {
                    tracing::warn!(error = %e, "overdue complaints: the review database cannot be opened yet")
                }
            }
        }
        if let Some(r) = &review {
            let (c, st, r, p) = (cfg.clone(), store.clone(), r.clone(), profiles.clone());
            let res = tokio::task::spawn_blocking(move || queue(&c, &st, &r, &p, Utc::now()))
                .await
                .expect("overdue task");
            match res {
                Ok(0) => {}
                Ok(n) => tracing::info!(queued = n, "overdue complaint e-mails queued"),
                Err(e) => tracing::error!(error = %e, "checking overdue complaints failed"),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simak_analyze::profiles::WatchProfile;
    use simak_review::complaints::Router;

    fn profiles() -> Profiles {
        let p = |v: serde_json::Value| -> WatchProfile { serde_json::from_value(v).unwrap() };
        Profiles::new(vec![
            p(serde_json::json!({"id": "dpupr", "name": "Dinas PU <Sukamaju>",
                "alert_recipients": ["pu@kab.go.id"],
                "complaints": {"categories": ["roads"], "target_hours": 48}})),
            p(serde_json::json!({"id": "pemkab", "name": "Pemkab", "complaints": {"fallback": true}})),
        ])
        .unwrap()
    }

    fn complaint(id: &str, hours_ago: i64, category: &str) -> simak_core::Mention {
        let at = Utc::now() - chrono::Duration::hours(hours_ago);
        serde_json::from_value(serde_json::json!({
            "id": id, "source": "instagram", "url": "https://instagram.example/p/1",
            "text": "jalan rusak <script>alert(1)</script>", "published_at": at, "fetched_at": at,
            "profiles": ["pemkab"],
            "complaint": {"kind": "complaint", "category": category, "confidence": 0.9}
        }))
        .unwrap()
    }

    #[test]
    fn each_overdue_complaint_is_queued_once_to_its_opd() {
        let d = tempfile::tempdir().unwrap();
        let review = ReviewStore::open(&d.path().join("review.sqlite")).unwrap();
        let store = AlertStore::open(&d.path().join("alerts.sqlite")).unwrap();
        let ps = profiles();
        let router = Router::new(ps.iter()).unwrap();
        let mut cfg = simak_core::Config::default();
        cfg.alerts.default_recipients = vec!["humas@kab.go.id".into()];
        // 50 h ago for PU (48 h): overdue; 30 h ago for PU: not yet; 30 h for Humas (24 h): overdue.
        review
            .open_complaints(
                &[
                    complaint("m:1", 50, "roads"),
                    complaint("m:2", 30, "roads"),
                    complaint("m:3", 30, "waste"),
                ],
                &router,
            )
            .unwrap();
        assert_eq!(queue(&cfg, &store, &review, &ps, Utc::now()).unwrap(), 2);
        assert_eq!(
            queue(&cfg, &store, &review, &ps, Utc::now()).unwrap(),
            0,
            "once"
        );
        let rows = store.outbox(10).unwrap();
        let mut to: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.key.clone(), r.recipient.clone()))
            .collect();
        to.sort();
        let pu = review.complaint_of_mention("m:1").unwrap().unwrap();
        let humas = review.complaint_of_mention("m:3").unwrap().unwrap();
        assert_eq!(
            to,
            [
                (
                    format!("complaint_overdue:dpupr:{}", pu.id),
                    "pu@kab.go.id".into()
                ),
                (
                    format!("complaint_overdue:pemkab:{}", humas.id),
                    "humas@kab.go.id".into()
                ),
            ]
        );
        // Answered cases are not overdue, whatever the clock says later.
        let answer = simak_review::complaints::ComplaintAction::Answer {
            text: "sudah".into(),
            url: None,
        };
        let m2 = review.complaint_of_mention("m:2").unwrap().unwrap();
        review
            .act_on_complaint(m2.id, "pu-1", &answer, None, &router)
            .unwrap();
        let later = Utc::now() + chrono::Duration::hours(24);
        assert_eq!(queue(&cfg, &store, &review, &ps, later).unwrap(), 0);
        let mail = email(&pu, "Dinas PU <Sukamaju>", "http://simak.kantor");
        assert!(mail.subject.contains("lewat 48 jam"), "{}", mail.subject);
        assert!(
            mail.text
                .contains(&format!("http://simak.kantor/#/aduan/{}", pu.id)),
            "{}",
            mail.text
        );
        assert!(!mail.html.contains("<script") && !mail.html.contains("<Sukamaju>"));
        assert!(mail.html.contains("&lt;script&gt;"), "{}", mail.html);
    }
}
