//! Attacking `simak run --demo` as an officer or a viewer of one OPD would (issue 15, item 6):
//! nothing of another OPD through query syntax, facets, timelines, export, summaries, case,
//! mention and alert ids (another OPD's ids answer exactly as unknown ones); writes need the
//! session's CSRF token; a planted session cookie is never adopted and a logged-out one is
//! dead; oversized bodies and headers are refused and the server goes on; URLs a user gives
//! (clarifications, fact-checks) are never fetched; hostile text in a note stays text in the
//! case page, and in imported posts stays text in search highlights, the CSV export (formulas
//! defused) and the summary page, and no payload runs in Chromium (search, mention, case and
//! summary views). Login limits with and without a trusted proxy run on a plain `simak run`.

use crate::harness::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::time::Duration;

/// A client logged in with a session cookie, and its CSRF token.
async fn login(base: &str, user: &str, pw: &str) -> (reqwest::Client, String) {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    for _ in 0..300 {
        if let Ok(r) = c
            .post(format!("{base}/api/login"))
            .json(&serde_json::json!({"username": user, "password": pw}))
            .send()
            .await
        {
            assert_eq!(r.status().as_u16(), 200, "{user} logs in");
            let v: Value = r.json().await.unwrap();
            return (c, v["csrf"].as_str().unwrap().to_string());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the demo server did not answer");
}

async fn get(c: &reqwest::Client, url: String) -> (u16, Value) {
    let r = c.get(url).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or_default())
}

/// The profiles a mention JSON names.
fn profiles_of(m: &Value) -> BTreeSet<String> {
    m["profiles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect()
}

/// Whether a 404 for an id of another OPD says exactly what a 404 for an id that never
/// existed says (the ids themselves aside).
fn same_404(
    (s_other, v_other): &(u16, Value),
    other_id: &str,
    (s_none, v_none): &(u16, Value),
    none_id: &str,
) -> bool {
    *s_other == 404
        && *s_none == 404
        && v_other["error"]["code"] == "not_found"
        && v_other.to_string().replace(other_id, "ID") == v_none.to_string().replace(none_id, "ID")
}

/// A raw HTTP/1.1 exchange (for headers reqwest would not send): the status, or None if the
/// server closed the connection without one.
fn raw_status(port: u16, request: &[u8]) -> Option<u16> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(request);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let head = String::from_utf8_lossy(&buf);
    head.split_whitespace().nth(1).and_then(|c| c.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_of_one_opd_reads_nothing_of_another_and_cannot_be_forged() {
    let app = App::new(None, "");
    let (_demo, pw) = start_demo(&app);
    let base = app.base_url();
    let (admin, _) = login(&base, "demo", &pw["demo"]).await;
    // The demo's data: mentions, cases of every OPD and alerts.
    let started = std::time::Instant::now();
    loop {
        let (_, s) = get(&admin, format!("{base}/api/search?q=*&limit=1")).await;
        let (_, r) = get(&admin, format!("{base}/api/review?limit=200")).await;
        let (_, a) = get(&admin, format!("{base}/api/alerts")).await;
        let profiles: BTreeSet<&str> = r["cases"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["profile"].as_str())
            .collect();
        if s["total"].as_u64().unwrap_or(0) > 2000
            && profiles.len() >= 4
            && profiles.contains("bpbd-sukamaju")
            && a["alerts"].as_array().is_some_and(|a| a.len() > 5)
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the demo did not fill in time\n{}",
            std::fs::read_to_string(app.dir.path().join("demo.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (officer, officer_csrf) = login(&base, "petugas-bpbd", &pw["petugas-bpbd"]).await;
    let (viewer, _) = login(&base, "pemantau-dinkes", &pw["pemantau-dinkes"]).await;

    // Ids of other OPDs, as the admin sees them.
    let (_, cases) = get(&admin, format!("{base}/api/review?limit=200")).await;
    let case_of = |p: &str| -> String {
        cases["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["profile"] == p)
            .unwrap_or_else(|| panic!("a case of {p}: {cases}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (pemkab_case, dinkes_case, bpbd_case) = (
        case_of("pemkab-sukamaju"),
        case_of("dinkes-sukamaju"),
        case_of("bpbd-sukamaju"),
    );
    // A mention only the Pemkab's profile matched (neither the BPBD's nor the Dinkes').
    let (_, s) = get(
        &admin,
        format!("{base}/api/search?q=*&profile=pemkab-sukamaju&limit=200"),
    )
    .await;
    let pemkab_only = s["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            let p = profiles_of(m);
            !p.contains("bpbd-sukamaju") && !p.contains("dinkes-sukamaju")
        })
        .expect("a Pemkab-only mention")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let enc = |s: &str| s.replace(':', "%3A");

    // a. Query syntax, facets, timelines and export stay within the caller's profiles.
    let mut checks = 0;
    // Which other OPDs also matched a mention the caller sees is theirs: collected, so that
    // one run shows every place that tells.
    let mut leaks = BTreeSet::new();
    for (who, c, mine) in [
        ("officer", &officer, "bpbd-sukamaju"),
        ("viewer", &viewer, "dinkes-sukamaju"),
    ] {
        // The demo replays its last two hours live: counts only grow, so every count is
        // bounded by the caller's own count taken after it.
        let visible_now = async || -> u64 {
            let (_, stats) = get(c, format!("{base}/api/stats")).await;
            stats["mentions"].as_u64().unwrap()
        };
        let before = visible_now().await;
        let (_, all) = get(
            &admin,
            format!("{base}/api/search?q=*&profile={mine}&limit=1"),
        )
        .await;
        let after = visible_now().await;
        let all = all["total"].as_u64().unwrap();
        assert!(
            (before..=after).contains(&all),
            "{who}: stats {before}..{after}, {all}"
        );
        assert!(before > 0, "{who} sees its own mentions");
        let queries = [
            "*".to_string(),
            "profiles:pemkab-sukamaju".into(),
            "profiles:dinkes-sukamaju OR profiles:bpbd-sukamaju".into(),
            "* OR profiles:pemkab-sukamaju".into(),
            format!("NOT profiles:{mine}"),
            format!("* -profiles:{mine}"),
            "(banjir OR NOT banjir)".into(),
            "profile:pemkab-sukamaju".into(),
            "opd:pemkab-sukamaju".into(),
            format!("id:\"{pemkab_only}\""),
            format!("\"{pemkab_only}\""),
            "pemkab NEAR sukamaju".into(),
            "\"pemkab sukamaju\"~3".into(),
            "profiles:[a TO z]".into(),
            "profiles:pemkab*".into(),
            "hoax:known_hoax".into(),
        ];
        for q in &queries {
            for extra in ["", "&timeline=day&sort=relevance", "&hoax=known_hoax"] {
                let url = format!("{base}/api/search?q={}&limit=200{extra}", urlencode(q));
                let (status, v) = get(c, url.clone()).await;
                checks += 1;
                if status == 400 {
                    assert_eq!(v["error"]["code"], "bad_query", "{who} {q}: {v}");
                    continue;
                }
                assert_eq!(status, 200, "{who} {q}{extra}: {v}");
                let total = v["total"].as_u64().unwrap();
                let visible = visible_now().await;
                assert!(total <= visible, "{who} {q}{extra}: {total} > {visible}");
                for h in v["hits"].as_array().unwrap() {
                    let p = profiles_of(h);
                    assert!(
                        p.contains(mine),
                        "{who} {q}{extra}: a hit of {p:?}: {}",
                        h["id"]
                    );
                    if !p.iter().all(|x| x == mine) {
                        leaks.insert(format!("{who}: a search hit names {p:?}"));
                    }
                    assert_ne!(h["id"], pemkab_only.as_str());
                }
                let facet: Vec<&String> = v["facets"]["profile"]
                    .as_object()
                    .map(|o| o.keys().collect())
                    .unwrap_or_default();
                if !facet.iter().all(|k| *k == mine) {
                    leaks.insert(format!("{who}: the profile facet names {facet:?}"));
                }
                if let Some(t) = v["timeline"].as_array() {
                    let sum: u64 = t.iter().map(|b| b["total"].as_u64().unwrap()).sum();
                    assert!(sum <= visible, "{who} {q}: timeline {sum} > {visible}");
                }
            }
        }
        // Another OPD's profile by parameter: refused (profiles are configuration, not ids).
        for path in [
            "/api/search?q=*&profile=pemkab-sukamaju".to_string(),
            "/api/export?q=*&profile=pemkab-sukamaju".to_string(),
            "/api/review?profile=pemkab-sukamaju".to_string(),
            "/api/summary/pemkab-sukamaju/2026-11-20".to_string(),
        ] {
            let (s, v) = get(c, format!("{base}{path}")).await;
            assert_eq!(
                (s, v["error"]["code"].as_str()),
                (403, Some("forbidden")),
                "{who} {path}"
            );
            checks += 1;
        }
        // Export, both formats, crafted queries included: only the caller's mentions, all of them.
        for q in [
            "*",
            "* OR profiles:pemkab-sukamaju",
            "* -profiles:bpbd-sukamaju",
            "NOT profiles:bpbd-sukamaju",
        ] {
            let r = c
                .get(format!("{base}/api/export?format=jsonl&q={}", urlencode(q)))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let jsonl = r.text().await.unwrap();
            if status == 400 {
                assert!(jsonl.contains("\"bad_query\""), "{who} export {q}: {jsonl}");
                continue;
            }
            assert_eq!(status, 200, "{who} export {q}");
            let rows: Vec<Value> = jsonl
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            for m in &rows {
                let p = profiles_of(m);
                assert!(p.contains(mine), "{who} export {q}: {p:?}");
                if !p.iter().all(|x| x == mine) {
                    leaks.insert(format!("{who}: a JSONL export row names {p:?}"));
                }
            }
            if q == "*" {
                let visible = visible_now().await;
                assert!(
                    rows.len() as u64 >= before && rows.len() as u64 <= visible,
                    "{who}: the whole export, {} rows, {before}..{visible}",
                    rows.len()
                );
            }
            let csv = c
                .get(format!("{base}/api/export?format=csv&q={}", urlencode(q)))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            // The id is each row's first cell; a substring test would also find `x:demo-c1`
            // inside `x:demo-c12`, a mention of the caller's own.
            assert!(
                !csv.lines()
                    .any(|l| l.split(',').next() == Some(pemkab_only.as_str())),
                "{who} csv {q}"
            );
            assert!(csv.starts_with("id,"), "{who} csv {q}: {csv:.200}");
            for other in ["pemkab-sukamaju", "dpupr-sukamaju", "disdukcapil-sukamaju"] {
                if csv.contains(other) {
                    leaks.insert(format!("{who}: the CSV export names {other}"));
                }
            }
            checks += 2;
        }
        // The caller's own summary holds only its own posts and cases.
        let date = (chrono::Utc::now() + chrono::Duration::hours(7) - chrono::Duration::days(1))
            .date_naive();
        let (s, v) = get(c, format!("{base}/api/summary/{mine}/{date}")).await;
        assert_eq!(s, 200, "{v}");
        for m in v["top_posts"].as_array().unwrap() {
            if !profiles_of(m).iter().all(|x| x == mine) {
                leaks.insert(format!(
                    "{who}: a summary top post names {:?}",
                    profiles_of(m)
                ));
            }
        }
        for k in v["cases"].as_array().unwrap() {
            assert!(k["id"].as_str().unwrap().starts_with(mine), "{who}: {k}");
        }
        // Case, mention, alert ids of another OPD answer exactly as ids that never existed.
        let none_case = "pemkab-sukamaju:fc:tidak-ada";
        for other_case in [
            &pemkab_case,
            if mine == "bpbd-sukamaju" {
                &dinkes_case
            } else {
                &bpbd_case
            },
        ] {
            let a = get(c, format!("{base}/api/review/{}", enc(other_case))).await;
            let b = get(c, format!("{base}/api/review/{}", enc(none_case))).await;
            assert!(
                same_404(&a, other_case, &b, none_case),
                "{who}: {a:?} vs {b:?}"
            );
            let post = |id: String| {
                let c = c.clone();
                let url = format!("{base}/api/review/{}/actions", enc(&id));
                let csrf = if who == "officer" {
                    officer_csrf.clone()
                } else {
                    String::new()
                };
                async move {
                    let r = c
                        .post(url)
                        .header("x-csrf-token", csrf)
                        .json(&serde_json::json!({"action": "take"}))
                        .send()
                        .await
                        .unwrap();
                    (
                        r.status().as_u16(),
                        r.json::<Value>().await.unwrap_or_default(),
                    )
                }
            };
            if who == "officer" {
                let a = post(other_case.clone()).await;
                let b = post(none_case.to_string()).await;
                assert!(
                    same_404(&a, other_case, &b, none_case),
                    "act: {a:?} vs {b:?}"
                );
            }
            let page = |id: &str| {
                let c = c.clone();
                let url = format!("{base}/review/{}", enc(id));
                async move {
                    let r = c.get(url).send().await.unwrap();
                    (
                        r.status().as_u16(),
                        r.json::<Value>().await.unwrap_or_default(),
                    )
                }
            };
            let (a, b) = (page(other_case).await, page(none_case).await);
            assert!(
                same_404(&a, other_case, &b, none_case),
                "page: {a:?} vs {b:?}"
            );
            checks += 3;
        }
        let none_mention = "demo:tidak-ada";
        let a = get(c, format!("{base}/api/mentions/{}", enc(&pemkab_only))).await;
        let b = get(c, format!("{base}/api/mentions/{}", enc(none_mention))).await;
        assert!(
            same_404(&a, &pemkab_only, &b, none_mention),
            "{who}: {a:?} vs {b:?}"
        );
        // The alert list holds the caller's own alerts only; outbox files are the admin's
        // (the same 403 whether the file exists or not).
        let (_, al) = get(c, format!("{base}/api/alerts")).await;
        for a in al["alerts"].as_array().unwrap() {
            let key = a["key"].as_str().unwrap();
            assert_eq!(key.split(':').nth(1), Some(mine), "{who}: alert {key}");
        }
        let (_, all) = get(&admin, format!("{base}/api/alerts")).await;
        let first = all["alerts"][0]["id"].as_i64().unwrap();
        let a = c
            .get(format!("{base}/outbox/{first:08}.eml"))
            .send()
            .await
            .unwrap();
        let b = c
            .get(format!("{base}/outbox/99999999.eml"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            (a.status().as_u16(), b.status().as_u16()),
            (403, 403),
            "{who}"
        );
        checks += 3;
        // A mention of the caller's own that another OPD's profile matched too does not say so.
        let (_, s) = get(c, format!("{base}/api/search?q=*&limit=1")).await;
        let id = s["hits"][0]["id"].as_str().unwrap().to_string();
        let (st, m) = get(c, format!("{base}/api/mentions/{}", enc(&id))).await;
        assert_eq!(st, 200);
        if !profiles_of(&m["mention"]).iter().all(|x| x == mine) {
            leaks.insert(format!(
                "{who}: the mention page names {:?}",
                profiles_of(&m["mention"])
            ));
        }
        for k in m["cases"].as_array().unwrap() {
            assert_eq!(k["profile"], mine);
        }
        for p in m["cluster"]["posts"].as_array().into_iter().flatten() {
            if !profiles_of(p).iter().all(|x| x == mine) {
                leaks.insert(format!("{who}: a cluster post names {:?}", profiles_of(p)));
            }
        }
    }
    assert!(leaks.is_empty(), "other OPDs' profiles shown: {leaks:#?}");
    eprintln!("{checks} isolation probes held");

    // b. CSRF: a session's write needs its token; API tokens need none (they are not cookies).
    for (path, body) in [
        (
            format!("/api/review/{}/actions", enc(&bpbd_case)),
            serde_json::json!({"action": "take"}),
        ),
        (
            "/api/factchecks".to_string(),
            serde_json::json!({"profile": "bpbd-sukamaju", "claim": "klaim palsu yang beredar luas"}),
        ),
        ("/api/logout".to_string(), serde_json::json!({})),
    ] {
        for token in [None, Some("salah"), Some("")] {
            let mut r = officer.post(format!("{base}{path}")).json(&body);
            if let Some(t) = token {
                r = r.header("x-csrf-token", t);
            }
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 403, "{path} {token:?}");
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["error"]["code"], "csrf", "{path}");
        }
        // Another session's token is no better.
        let (_, other_csrf) = login(&base, "petugas-bpbd", &pw["petugas-bpbd"]).await;
        let r = officer
            .post(format!("{base}{path}"))
            .header("x-csrf-token", other_csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}: another session's token");
    }
    let (_, case) = get(&admin, format!("{base}/api/review/{}", enc(&bpbd_case))).await;
    assert!(case["history"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"] != "petugas-bpbd"));

    // Cookie flags (this demo is served over http: no Secure; see the proxy test for https).
    let anon = reqwest::Client::new();
    let r = anon
        .post(format!("{base}/api/login"))
        .header("cookie", "simak_session=ditanam-penyerang")
        .json(&serde_json::json!({"username": "petugas-bpbd", "password": pw["petugas-bpbd"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(flag), "{set}");
    }
    assert!(!set.contains("Secure"), "{set}");
    // Session fixation: the planted value is not adopted, and it opens nothing.
    let token = set
        .strip_prefix("simak_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(token, "ditanam-penyerang");
    assert!(token.len() >= 32, "a long random token: {token}");
    let with = |t: &str| {
        anon.get(format!("{base}/api/me"))
            .header("cookie", format!("simak_session={t}"))
            .send()
    };
    assert_eq!(with("ditanam-penyerang").await.unwrap().status(), 401);
    let me: Value = with(&token).await.unwrap().json().await.unwrap();
    let csrf = me["csrf"].as_str().unwrap().to_string();
    // Logout kills the session on the server, not only in the browser.
    let r = anon
        .post(format!("{base}/api/logout"))
        .header("cookie", format!("simak_session={token}"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        with(&token).await.unwrap().status(),
        401,
        "replayed after logout"
    );
    let r = anon
        .post(format!("{base}/api/review/{}/actions", enc(&bpbd_case)))
        .header("cookie", format!("simak_session={token}"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"action": "take"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a dead session cannot write");

    // d. Size limits: a 10 MB body and oversized headers are refused, and the server goes on.
    let big = format!(
        "{{\"username\":\"petugas-bpbd\",\"password\":\"{}\"}}",
        "a".repeat(10 << 20)
    );
    let r = anon
        .post(format!("{base}/api/login"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await;
    let refused = async |r: reqwest::Result<reqwest::Response>, what: &str| match r {
        Ok(r) => {
            let s = r.status().as_u16();
            let v: Value = r.json().await.unwrap_or_default();
            eprintln!("{what}: {s} {v}");
            assert!(
                s == 413 || (s == 400 && v["error"]["code"] == "bad_request"),
                "{what}: {s} {v}"
            );
        }
        Err(e) => eprintln!("{what}: connection closed early ({e})"),
    };
    refused(r, "a 10 MB login body").await;
    let r = officer
        .post(format!("{base}/api/factchecks"))
        .header("x-csrf-token", &officer_csrf)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await;
    refused(r, "a 10 MB fact-check body").await;
    let port = app.port;
    let hdr = |n: usize| {
        format!(
            "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-pad: {}\r\nconnection: close\r\n\r\n",
            "a".repeat(n)
        )
    };
    let h100k = raw_status(port, hdr(100 << 10).as_bytes());
    let h1m = raw_status(port, hdr(1 << 20).as_bytes());
    let many: String = (0..500).map(|i| format!("x-h{i}: v\r\n")).collect();
    let hmany = raw_status(
        port,
        format!("GET /healthz HTTP/1.1\r\nhost: a\r\n{many}connection: close\r\n\r\n").as_bytes(),
    );
    eprintln!("100 KB header: {h100k:?}; 1 MB header: {h1m:?}; 500 headers: {hmany:?}");
    for (what, s) in [
        ("100 KB header", h100k),
        ("1 MB header", h1m),
        ("500 headers", hmany),
    ] {
        assert!(
            matches!(s, Some(400 | 413 | 431) | None),
            "{what} answered {s:?}"
        );
    }
    assert_eq!(
        raw_status(
            port,
            b"GET /healthz HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n"
        ),
        Some(200),
        "the server goes on"
    );

    // e. A URL an officer gives is stored, never fetched: a clarification and a fact-check
    // pointing at a listener on loopback get no connection.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let trap_url = format!(
        "http://127.0.0.1:{}/klarifikasi",
        trap.local_addr().unwrap().port()
    );
    let (officer2, csrf2) = login(&base, "petugas-bpbd", &pw["petugas-bpbd"]).await;
    let act = |body: Value| {
        officer2
            .post(format!("{base}/api/review/{}/actions", enc(&bpbd_case)))
            .header("x-csrf-token", &csrf2)
            .json(&body)
            .send()
    };
    for (body, want) in [
        (
            serde_json::json!({"action": "clarify", "url": "javascript:alert(1)"}),
            400,
        ),
        (
            serde_json::json!({"action": "clarify", "url": "file:///etc/passwd"}),
            400,
        ),
        (serde_json::json!({"action": "take"}), 200),
        (serde_json::json!({"action": "confirm"}), 200),
        (
            serde_json::json!({"action": "clarify", "url": trap_url}),
            200,
        ),
    ] {
        let r = act(body.clone()).await.unwrap();
        let s = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(s, want, "{body}: {v}");
        if want == 400 {
            assert_eq!(v["error"]["code"], "bad_request", "{v}");
        }
    }
    let r = officer2
        .post(format!("{base}/api/factchecks"))
        .header("x-csrf-token", &csrf2)
        .json(&serde_json::json!({"profile": "bpbd-sukamaju",
            "claim": "Tanggul sungai Cibening jebol malam ini, warga harus mengungsi",
            "url": format!("{trap_url}/2"), "explanation": "tidak benar"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // The fact-check reaches the analyzer and the store; nothing dials the trap meanwhile.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        assert!(
            trap.accept().is_err(),
            "something fetched a user-supplied URL"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // f. Hostile text in an officer's note stays text on the case page.
    let payloads = [
        "<script>window.__pwned=1</script>",
        "<img src=x onerror=\"window.__pwned=2\">",
        "<svg onload=\"window.__pwned=3\">",
        "\"><a href=\"javascript:window.__pwned=4\">klik</a>",
        "<div style=\"width:expression(alert(1))\">",
        "&lt;script&gt;entitas&lt;/script&gt;",
        "\u{202e}gnp.exe",
        "baris\r\nBcc: korban@example.com",
    ];
    let note = payloads.join(" | ");
    let r = act(serde_json::json!({"action": "reopen", "note": note}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = officer2
        .get(format!("{base}/review/{}", enc(&bpbd_case)))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    for bad in [
        "<script>window",
        "<img src=x",
        "<svg onload",
        "href=\"javascript",
        "<div style",
        "&lt;script&gt;entitas",
    ] {
        assert!(!html.contains(bad), "{bad:?} unescaped in the case page");
    }
    assert!(
        html.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"),
        "the note is shown as text"
    );
    assert!(
        html.contains("&amp;lt;script&amp;gt;entitas"),
        "entities are shown as typed"
    );
    // The clarification link is the one given, as a link, not fetched.
    assert!(html.contains(&format!("href=\"{trap_url}\"")));

    // f. The import path: hostile posts, as any source could bring them, into the running demo.
    // Search highlights (HTML) escape all but their own marks, the CSV export defuses formulas,
    // and the printable summary page, where they are the day's top posts, shows them as text.
    let demo_dir = app.dir.path().join("data/demo");
    let now = chrono::Utc::now();
    let mut lines = String::new();
    for (i, p) in payloads.iter().enumerate() {
        lines.push_str(
            &serde_json::json!({
                "id": format!("serangan:{i}"), "source": "import",
                "url": "javascript:window.__pwned=9",
                "author": {"handle": p, "name": p},
                "text": format!("{}BPBD Sukamaju {p} serangan{i}", if i == 0 { "=HYPERLINK(\"http://x\") " } else { "" }),
                "metrics": {"views": 1_000_000_000u64 + i as u64},
                "published_at": now.to_rfc3339(),
            })
            .to_string(),
        );
        lines.push('\n');
    }
    let mut import = app.cmd(&["import", "-"]);
    import.env("SIMAK_DATA_DIR", &demo_dir);
    let out = with_stdin(import, &lines);
    assert_ok(&out);
    // Newest first: the imported posts, published now, lead the page.
    let hits = loop {
        let (_, v) = get(
            &officer2,
            format!("{base}/api/search?q=BPBD&source=import&limit=50"),
        )
        .await;
        let mine: Vec<Value> = v["hits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|h| h["id"].as_str().is_some_and(|i| i.starts_with("serangan:")))
            .cloned()
            .collect();
        if mine.len() == payloads.len() {
            break mine;
        }
        assert!(
            started.elapsed() < Duration::from_secs(150),
            "the hostile posts were not indexed: {} of {}",
            mine.len(),
            payloads.len()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    for h in &hits {
        let hl = h["highlight"]
            .as_str()
            .unwrap()
            .replace("<b>", "")
            .replace("</b>", "");
        assert!(!hl.contains(['<', '>']), "raw markup in a highlight: {hl}");
    }
    let csv = officer2
        .get(format!("{base}/api/export?format=csv&source=import&q=BPBD"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"),
        "{csv}"
    );
    let today = (now + chrono::Duration::hours(7)).date_naive();
    let page = officer2
        .get(format!("{base}/summary/bpbd-sukamaju/{today}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("serangan"),
        "the hostile posts are the day's top posts"
    );
    for bad in [
        "<script>window",
        "<img src=x",
        "<svg onload",
        "href=\"javascript",
        "<div style",
        "&lt;script&gt;entitas",
    ] {
        assert!(!page.contains(bad), "{bad:?} unescaped in the summary page");
    }

    // The same in a real browser: the officer opens the search, each hostile post's page, the
    // case with the hostile note and today's summary; no payload runs or becomes an element.
    let (_driver, driver_port) = crate::browser::start_driver();
    let b = crate::browser::browser(driver_port).await;
    b.goto(&format!("{base}/login")).await.unwrap();
    crate::browser::until(&b, "the login form", "return document.querySelector('#u')").await;
    crate::browser::type_into(&b, "#u", "petugas-bpbd").await;
    crate::browser::type_into(&b, "#p", &pw["petugas-bpbd"]).await;
    crate::browser::click(&b, "#f button").await;
    crate::browser::until(
        &b,
        "the logged-in page",
        "return location.pathname === '/' && document.querySelector('#who').textContent",
    )
    .await;
    let mut views = vec![
        (
            format!("#/kasus/{}", enc(&bpbd_case)),
            "pwned=1".to_string(),
        ),
        (
            format!("#/ringkasan?profile=bpbd-sukamaju&date={today}"),
            "serangan".to_string(),
        ),
        (
            "#/cari?q=BPBD&source=import".to_string(),
            "serangan".to_string(),
        ),
    ];
    for i in 0..payloads.len() {
        views.push((format!("#/sebutan/serangan%3A{i}"), format!("serangan{i}")));
    }
    for (view, shows) in &views {
        b.goto(&format!("{base}/{view}")).await.unwrap();
        crate::browser::until(
            &b,
            &format!("{view} showing {shows}"),
            &format!("return document.querySelector('main').innerText.includes({shows:?})"),
        )
        .await;
        let injected = b
            .execute(
                "return [window.__pwned === undefined, document.querySelectorAll('main script, main img, main svg:not(.chart), main [onerror], main [onload], main [style*=expression], a[href^=javascript]').length]",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            injected,
            serde_json::json!([true, 0]),
            "{view}: an injected element"
        );
    }
    b.close().await.unwrap();

    // c. Without a trusted proxy X-Forwarded-For is the client's own word and ignored: five
    // failures "from" one address lock the account out of every address it could name.
    for i in 0..5 {
        let r = anon
            .post(format!("{base}/api/login"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&serde_json::json!({"username": "petugas-bpbd", "password": "salah-salah-salah"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = anon
        .post(format!("{base}/api/login"))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&serde_json::json!({"username": "petugas-bpbd", "password": pw["petugas-bpbd"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        429,
        "a forged X-Forwarded-For does not reset the limit"
    );
    let r = anon
        .post(format!("{base}/api/login"))
        .json(
            &serde_json::json!({"username": "pemantau-dinkes", "password": pw["pemantau-dinkes"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "another account from the same address");

    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let log = std::fs::read_to_string(app.dir.path().join("demo.log")).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
}

/// Percent-encodes a query value.
fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn login_limits_count_the_client_behind_a_trusted_proxy() {
    let app = App::new(None, "");
    // The proxy on loopback is trusted, and Simak is opened over https (the cookie is Secure).
    let cfg = std::fs::read_to_string(&app.config).unwrap();
    let cfg = cfg.replacen(
        "[server]\n",
        "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n",
        1,
    ) + "\n[alerts]\nbase_url = \"https://simak.example.go.id\"\n";
    std::fs::write(&app.config, cfg).unwrap();
    for (u, p) in [
        ("rina", "sandi-rina-123"),
        ("budi", "sandi-budi-123"),
        ("sari", "sandi-sari-123"),
    ] {
        app.add_user(u, "officer", "diskominfo-sukamaju", None, p);
    }
    let _run = app.spawn(&["run"]);
    let base = app.base_url();
    let c = reqwest::Client::new();
    let try_login = async |user: &str, pw: &str, from: &str| -> (u16, Option<String>, String) {
        for _ in 0..300 {
            if let Ok(r) = c
                .post(format!("{base}/api/login"))
                .header("x-forwarded-for", from)
                .json(&serde_json::json!({"username": user, "password": pw}))
                .send()
                .await
            {
                let s = r.status().as_u16();
                let retry = r
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string());
                let cookie = r
                    .headers()
                    .get("set-cookie")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                return (s, retry, cookie);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not answer\n{}", app.logs());
    };
    let (s, _, cookie) = try_login("rina", "sandi-rina-123", "198.51.100.1").await;
    assert_eq!(s, 200);
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // Per account and client: five failures from one client behind the proxy lock that pair;
    // the same account from another client behind the same proxy still logs in.
    for _ in 0..5 {
        assert_eq!(
            try_login("rina", "salah-salah", "198.51.100.1").await.0,
            401
        );
    }
    let (s, retry, _) = try_login("rina", "sandi-rina-123", "198.51.100.1").await;
    assert_eq!(s, 429);
    assert!(retry.is_some());
    assert_eq!(
        try_login("rina", "sandi-rina-123", "198.51.100.2").await.0,
        200
    );
    // A hop the client wrote before the proxy's own is not believed.
    assert_eq!(
        try_login("rina", "sandi-rina-123", "198.51.100.2, 198.51.100.1")
            .await
            .0,
        429
    );
    // Per account: failures spread over many clients back the account off (1 s doubling,
    // at most 60 s) for every client, with Retry-After.
    for i in 0..10 {
        assert_eq!(
            try_login("budi", "salah-salah", &format!("192.0.2.{i}"))
                .await
                .0,
            401
        );
    }
    let (s, retry, _) = try_login("budi", "sandi-budi-123", "192.0.2.200").await;
    assert_eq!(s, 429, "the account backs off");
    let secs: i64 = retry.unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
    tokio::time::sleep(Duration::from_secs(secs as u64 + 1)).await;
    assert_eq!(
        try_login("budi", "sandi-budi-123", "192.0.2.200").await.0,
        200,
        "after the backoff"
    );
    // Per client: 30 failures from one address, over many names, stop that address only.
    for i in 0..30 {
        assert_eq!(
            try_login(&format!("tebak{i}"), "salah-salah", "203.0.113.7")
                .await
                .0,
            401
        );
    }
    assert_eq!(
        try_login("sari", "sandi-sari-123", "203.0.113.7").await.0,
        429
    );
    assert_eq!(
        try_login("sari", "sandi-sari-123", "203.0.113.8").await.0,
        200
    );
}
