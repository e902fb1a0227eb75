//! `simak run --demo`: within a minute of start, a newcomer with no internet and no accounts
//! sees mentions to search, facets, flagged items, alert e-mails in the outbox and yesterday's
//! summary, logging in with an account printed at start.

use crate::harness::*;
use serde_json::Value;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn demo_shows_everything_within_a_minute() {
    let app = App::new(None, "");
    // A directory that is not an earlier demo's is never wiped.
    let demo_dir = app.dir.path().join("data/demo");
    std::fs::create_dir_all(&demo_dir).unwrap();
    std::fs::write(demo_dir.join("keep.txt"), "mine").unwrap();
    let out = app.run(&["run", "--demo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an earlier demo"));
    assert!(demo_dir.join("keep.txt").exists());
    std::fs::remove_dir_all(&demo_dir).unwrap();

    let started = Instant::now();
    let (_child, logins) = start_demo(&app);
    assert_eq!(
        logins.keys().collect::<Vec<_>>(),
        ["demo", "pemantau-dinkes", "petugas-bpbd"]
    );
    let base = app.base_url();
    let login = |user: &str| {
        let (user, pw, base) = (user.to_string(), logins[user].clone(), base.clone());
        async move {
            let c = reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap();
            for _ in 0..200 {
                if let Ok(r) = c
                    .post(format!("{base}/api/login"))
                    .json(&serde_json::json!({"username": user, "password": pw}))
                    .send()
                    .await
                {
                    assert_eq!(r.status().as_u16(), 200, "{user} logs in");
                    return c;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("the demo server did not answer");
        }
    };
    let admin = login("demo").await;
    let get = async |c: &reqwest::Client, path: &str| -> Value {
        c.get(format!("{base}{path}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    // Everything the issue names, within a minute (the test allows two on a slow machine).
    let yesterday =
        (chrono::Utc::now() + chrono::Duration::hours(7) - chrono::Duration::days(1)).date_naive();
    let ready = loop {
        let s = get(&admin, "/api/search?q=*&limit=1").await;
        let cases = get(&admin, "/api/review?limit=200").await;
        let alerts = get(&admin, "/api/alerts").await;
        let summary = get(&admin, &format!("/api/summary/pemkab-sukamaju/{yesterday}")).await;
        let case_ids: Vec<&str> = cases["cases"]
            .as_array()
            .map(|v| v.iter().filter_map(|c| c["id"].as_str()).collect())
            .unwrap_or_default();
        let subjects: Vec<&str> = alerts["alerts"]
            .as_array()
            .map(|v| v.iter().filter_map(|a| a["subject"].as_str()).collect())
            .unwrap_or_default();
        let ok = s["total"].as_u64().unwrap_or(0) >= 2500
            && s["facets"]["source"]
                .as_object()
                .is_some_and(|m| m.len() >= 8)
            && s["facets"]["hoax"]["known_hoax"].as_u64().unwrap_or(0) > 100
            && [
                "pemkab-sukamaju:fc:demo-01",
                "dinkes-sukamaju:fc:demo-03",
                "disdukcapil-sukamaju:fc:demo-04",
                "dpupr-sukamaju:fc:demo-06",
                // The live wave.
                "bpbd-sukamaju:fc:demo-02",
            ]
            .iter()
            .all(|c| case_ids.contains(c))
            && subjects.iter().any(|s| s.contains("Bendungan Cibening"))
            && subjects.iter().any(|s| s.starts_with("[Simak] Ringkasan"))
            && summary["total"].as_u64().unwrap_or(0) > 0;
        if ok {
            break started.elapsed();
        }
        let seen = serde_json::json!({"total": s["total"], "facets": s["facets"], "cases": case_ids, "subjects": subjects, "summary": summary["total"]});
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the demo did not show everything in time: {seen}\n{}",
            std::fs::read_to_string(app.dir.path().join("demo.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    eprintln!("demo ready after {ready:?}");
    // Complaints over several OPDs, some answered, some overdue.
    let all = get(&admin, "/api/complaints?limit=1000").await;
    let all = all["complaints"].as_array().unwrap();
    let opds: std::collections::BTreeSet<&str> =
        all.iter().map(|c| c["opd"].as_str().unwrap()).collect();
    assert!(opds.len() >= 3, "{opds:?}");
    let answered = all
        .iter()
        .filter(|c| c["first_response_at"].is_string())
        .count();
    let overdue = all.iter().filter(|c| c["overdue"] == true).count();
    eprintln!(
        "demo complaints: {} over {opds:?}, {answered} answered, {overdue} overdue",
        all.len()
    );
    assert!(
        answered > 10 && overdue > 10,
        "{answered} answered, {overdue} overdue"
    );
    // Alert e-mails are files in the outbox.
    let outbox = app.dir.path().join("data/demo/outbox");
    let emls = std::fs::read_dir(&outbox).unwrap().count();
    assert!(emls > 5, "{emls} files in {}", outbox.display());

    // The demo officer sees only the BPBD's cases; the viewer cannot act.
    let officer = login("petugas-bpbd").await;
    let cases = get(&officer, "/api/review?limit=200").await;
    let profiles: std::collections::BTreeSet<&str> = cases["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["profile"].as_str().unwrap())
        .collect();
    assert_eq!(profiles.into_iter().collect::<Vec<_>>(), ["bpbd-sukamaju"]);
    let viewer = login("pemantau-dinkes").await;
    let me = get(&viewer, "/api/me").await;
    let r = viewer
        .post(format!(
            "{base}/api/review/dinkes-sukamaju%3Afc%3Ademo-03/actions"
        ))
        .header("x-csrf-token", me["csrf"].as_str().unwrap())
        .json(&serde_json::json!({"action": "take"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}
