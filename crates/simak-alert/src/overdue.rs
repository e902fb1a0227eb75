//! Overdue complaints: a complaint case still open past its OPD's response target
//! (`[complaints] target_hours` of the watch profile) is e-mailed to that OPD's alert recipients,
//! once.
//!
//! Unlike the rules, this is not set off by a mention but by the clock: the checker looks at the
//! review database every `alerts.overdue_check_secs`. Each check sends each OPD at most one
//! e-mail, about the cases that became overdue since its last one (one case: the case; more: a
//! list, so that a first start over weeks of history does not flood anyone). The alert database
//! records which cases an OPD was told about in the same transaction as it queues the e-mail
//! (keyed `complaint_overdue:<opd>:<first case>`), so no case is mailed twice, whatever the
//! restarts; a case re-routed to another OPD while overdue is that OPD's to hear about once too.

use crate::compose::{esc, link, subject_line, wib, Email};
use crate::{AlertError, AlertStore};
use chrono::{DateTime, Utc};
use simak_analyze::profiles::Profiles;
use simak_review::complaints::{category_label_id, ComplaintCase};
use simak_review::ReviewStore;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The most cases one e-mail lists; it links to the page with all of them.
pub const MAX_LISTED: usize = 20;

fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn target_hours(c: &ComplaintCase) -> i64 {
    match (time(&c.posted_at), time(&c.due_at)) {
        (Some(p), Some(d)) => (d - p).num_hours(),
        _ => 0,
    }
}

/// The e-mail about overdue `cases` (at least one) of the OPD `opd` named `opd_name`.
pub fn email(cases: &[&ComplaintCase], opd: &str, opd_name: &str, base_url: &str) -> Email {
    let base = base_url.trim_end_matches('/');
    let at = |s: &str| time(s).map(|t| wib(&t)).unwrap_or_default();
    let one_line = |c: &ComplaintCase| c.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let category = |c: &ComplaintCase| {
        c.category
            .as_deref()
            .and_then(simak_core::ComplaintCategory::parse)
            .map_or("–", category_label_id)
    };
    let page = |c: &ComplaintCase| format!("{base}/#/aduan/{}", c.id);
    let all = format!(
        "{base}/#/aduan?opd={}&overdue=true",
        simak_core::mention::path_segment(opd)
    );
    let subject = match cases {
        [c] => {
            let short: String = one_line(c).chars().take(80).collect();
            format!(
                "[Simak] Aduan belum dijawab lewat {} jam — {opd_name}: {short}",
                target_hours(c)
            )
        }
        _ => format!(
            "[Simak] {} aduan belum dijawab lewat target — {opd_name}",
            cases.len()
        ),
    };
    let mut t = match cases {
        [c] => format!(
            "Aduan no. {} untuk {opd_name} belum dijawab, padahal target jawaban {} jam sudah lewat.\n",
            c.id,
            target_hours(c)
        ),
        _ => format!(
            "{} aduan untuk {opd_name} belum dijawab, padahal target jawabannya sudah lewat.\n",
            cases.len()
        ),
    };
    let mut x = String::from("<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>Aduan lewat target</title></head><body style=\"font-family:sans-serif;max-width:760px\">");
    x.push_str(&format!(
        "<h1>Aduan belum dijawab</h1><p>{}</p>",
        esc(t.trim_end())
    ));
    for c in cases.iter().take(MAX_LISTED) {
        t.push_str(&format!(
            "\nAduan no. {} · diunggah {} · tenggat {} · kategori {} · wilayah {}\n  {} {}\n  {}\n  Jawab atau alihkan di Simak: {}\n",
            c.id,
            at(&c.posted_at),
            at(&c.due_at),
            category(c),
            c.place.as_deref().unwrap_or("–"),
            c.source,
            c.url.as_deref().unwrap_or(""),
            one_line(c),
            page(c)
        ));
        x.push_str(&format!(
            "<h2>Aduan no. {}</h2><p>Diunggah {} · tenggat {} · kategori {} · wilayah {} · {} {}</p><blockquote>{}</blockquote><p>{}</p>",
            c.id,
            esc(&at(&c.posted_at)),
            esc(&at(&c.due_at)),
            esc(category(c)),
            esc(c.place.as_deref().unwrap_or("–")),
            esc(&c.source),
            c.url.as_deref().map(|u| link(u, "buka unggahan")).unwrap_or_default(),
            esc(&c.text),
            link(&page(c), "Jawab atau alihkan di Simak")
        ));
    }
    if cases.len() > MAX_LISTED {
        let more = cases.len() - MAX_LISTED;
        t.push_str(&format!("\n… dan {more} aduan lainnya: {all}\n"));
        x.push_str(&format!(
            "<p>… dan {more} aduan lainnya: {}</p>",
            link(&all, "semua aduan yang lewat target")
        ));
    }
    x.push_str("<p style=\"color:#666\">Dibuat otomatis oleh Simak.</p></body></html>");
    Email {
        subject: subject_line(&subject),
        text: t,
        html: x,
    }
}

/// For each OPD with complaints overdue at `now` it has not been told about, queues one e-mail
/// about them to its recipients (the configured defaults for a profile that names none, or that
/// no longer exists). Returns the cases e-mailed about.
pub fn queue(
    cfg: &simak_core::Config,
    store: &AlertStore,
    review: &ReviewStore,
    profiles: &Profiles,
    now: DateTime<Utc>,
) -> Result<usize, String> {
    let mut by_opd: BTreeMap<String, Vec<ComplaintCase>> = BTreeMap::new();
    for c in review.overdue_complaints(now).map_err(|e| e.to_string())? {
        by_opd.entry(c.opd.clone()).or_default().push(c);
    }
    let mut n = 0;
    for (opd, cases) in by_opd {
        let p = profiles.iter().find(|p| p.id == opd);
        let recipients = crate::recipients(
            p.map(|p| p.alert_recipients.as_slice()).unwrap_or(&[]),
            &cfg.alerts,
        );
        let name = p.map_or(opd.as_str(), |p| p.name.as_str());
        let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
        let sent = store
            .queue_overdue(&opd, &ids, &recipients, |new| {
                let list: Vec<&ComplaintCase> =
                    cases.iter().filter(|c| new.contains(&c.id)).collect();
                let first = list.first()?;
                let key = format!("complaint_overdue:{opd}:{}", first.id);
                let mention = first.mention_id.clone();
                Some((key, mention, email(&list, &opd, name, &cfg.alerts.base_url)))
            })
            .map_err(|e| e.to_string())?;
        n += sent.len();
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
                Ok(n) => {
                    tracing::info!(complaints = n, "overdue complaints e-mailed to their OPDs")
                }
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
        let mail = email(
            &[&pu],
            "dpupr",
            "Dinas PU <Sukamaju>",
            "http://simak.kantor",
        );
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

    #[test]
    fn many_overdue_complaints_make_one_email_per_opd_and_check() {
        let d = tempfile::tempdir().unwrap();
        let review = ReviewStore::open(&d.path().join("review.sqlite")).unwrap();
        let store = AlertStore::open(&d.path().join("alerts.sqlite")).unwrap();
        let ps = profiles();
        let router = Router::new(ps.iter()).unwrap();
        let cfg = simak_core::Config::default();
        // Weeks of history at the first start: 25 overdue for Humas.
        let old: Vec<_> = (0..25)
            .map(|i| complaint(&format!("h:{i}"), 100 + i, "waste"))
            .collect();
        review.open_complaints(&old, &router).unwrap();
        assert_eq!(queue(&cfg, &store, &review, &ps, Utc::now()).unwrap(), 25);
        let rows = store.outbox(10).unwrap();
        assert_eq!(rows.len(), 1, "one e-mail");
        assert!(rows[0].subject.contains("25 aduan"), "{}", rows[0].subject);
        // Then one more: its own e-mail, about it alone.
        review
            .open_complaints(&[complaint("h:new", 30, "waste")], &router)
            .unwrap();
        assert_eq!(queue(&cfg, &store, &review, &ps, Utc::now()).unwrap(), 1);
        let rows = store.outbox(10).unwrap();
        assert_eq!(rows.len(), 2);
        let new = review.complaint_of_mention("h:new").unwrap().unwrap();
        assert_eq!(rows[0].key, format!("complaint_overdue:pemkab:{}", new.id));
        let all: Vec<ComplaintCase> = review.overdue_complaints(Utc::now()).unwrap();
        let refs: Vec<&ComplaintCase> = all.iter().collect();
        let mail = email(&refs, "pemkab", "Pemkab", "http://simak.kantor");
        assert!(
            mail.text.contains(
                "… dan 6 aduan lainnya: http://simak.kantor/#/aduan?opd=pemkab&overdue=true"
            ),
            "{}",
            mail.text
        );
    }
}
