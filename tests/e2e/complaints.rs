//! Complaint cases on a running `simak run`: comments imported as mentions are analyzed, each
//! complaint opens one case for the OPD that owns it (a replay opens none twice), officers see
//! only their own OPD's, and answer, re-route and resolve them through the API.

use crate::harness::*;
use serde_json::{json, Value};
use std::time::Duration;

async fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let r = match token {
        Some(t) => reqwest::Client::new().get(url).bearer_auth(t).send().await,
        None => crate::harness::http_get(url).await,
    };
    match r {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

async fn post(url: &str, token: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or_default())
}

/// Comments on the regency's posts, as `simak import` takes them; `ago` hours before now.
pub fn comments(ago: &[i64; 5]) -> String {
    let at = |h: i64| (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc3339();
    [
        json!({"id": "ig:c1", "source": "instagram", "url": "https://instagram.example/p/1/c/1",
               "author": {"handle": "warga_jatisari"},
               "text": "@pemkabsukamaju jalan di desa Jatisari berlubang besar, sudah banyak motor jatuh",
               "published_at": at(ago[0])}),
        json!({"id": "ig:c2", "source": "instagram", "url": "https://instagram.example/p/1/c/2",
               "text": "Pemkab Sukamaju tolong, obat di puskesmas Cibening habis terus, pasien disuruh beli sendiri",
               "published_at": at(ago[1])}),
        json!({"id": "ig:c3", "source": "instagram", "url": "https://instagram.example/p/1/c/3",
               "text": "@pemkabsukamaju sampah di pasar Karanganyar menumpuk tidak diangkut seminggu <script>alert(1)</script>",
               "published_at": at(ago[2])}),
        json!({"id": "ig:c4", "source": "instagram",
               "text": "Terima kasih Pemkab Sukamaju jalannya sudah mulus",
               "published_at": at(ago[3])}),
        json!({"id": "ig:c5", "source": "instagram", "author": {"handle": "@PemkabSukamaju"},
               "text": "Pemkab Sukamaju: jalan di desa Jatisari rusak akan diperbaiki minggu depan, mohon sabar",
               "published_at": at(ago[4])}),
    ]
    .iter()
    .map(|v| v.to_string() + "\n")
    .collect()
}

pub async fn wait_for_complaints(app: &App, n: usize) -> Value {
    let base = app.base_url();
    for _ in 0..600 {
        let (s, v) = get(&format!("{base}/api/complaints"), None).await;
        if s == 200 && v["complaints"].as_array().is_some_and(|a| a.len() >= n) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {n} complaint cases in time\n{}", app.logs());
}

#[tokio::test(flavor = "multi_thread")]
async fn complaints_open_route_and_get_answered() {
    let app = App::new(None, "");
    let _run = app.spawn(&["run"]);
    let base = app.base_url();
    let posts = comments(&[2, 30, 3, 1, 1]);
    assert_ok(&app.import(&posts));
    let v = wait_for_complaints(&app, 3).await;
    let all = v["complaints"].as_array().unwrap();
    // The praise and the office's own post open nothing.
    assert_eq!(all.len(), 3, "{v}");
    let by = |mention: &str| {
        all.iter()
            .find(|c| c["mention_id"] == mention)
            .unwrap_or_else(|| panic!("no case of {mention}: {v}"))
            .clone()
    };
    let (road, health, waste) = (by("ig:c1"), by("ig:c2"), by("ig:c3"));
    assert_eq!(road["opd"], "dpupr-sukamaju");
    assert_eq!(road["category"], "roads");
    assert_eq!(road["status"], "open");
    assert_eq!(road["url"], "https://instagram.example/p/1/c/1");
    assert_eq!(road["first_response_at"], Value::Null);
    assert!(road["opened_at"].is_string() && road["text"].is_string());
    assert_eq!(health["opd"], "dinkes-sukamaju");
    // Posted 30 hours ago, the health office's target is 24: overdue, and listed first.
    assert_eq!(health["overdue"], true, "{health}");
    assert_eq!(all[0]["id"], health["id"]);
    // Nobody owns waste in the shipped profiles: Humas, as the fallback.
    assert_eq!(waste["opd"], "pemkab-sukamaju");

    // A replay (the same comments imported again) opens no case twice. A new comment imported
    // after it shows the replay went through; the replayed ones may travel other partitions, so
    // wait twice as long again before counting.
    let started = std::time::Instant::now();
    assert_ok(&app.import(&posts));
    let marker = json!({"id": "ig:c6", "source": "instagram",
        "text": "@pemkabsukamaju air PDAM di Margamulya mati tiga hari, warga susah",
        "published_at": chrono::Utc::now().to_rfc3339()});
    assert_ok(&app.import(&format!("{marker}\n")));
    wait_for_complaints(&app, 4).await;
    tokio::time::sleep((started.elapsed() * 2).max(Duration::from_secs(1))).await;
    let (_, v) = get(&format!("{base}/api/complaints"), None).await;
    assert_eq!(v["complaints"].as_array().unwrap().len(), 4, "{v}");

    // The public works office's own account replies under the water complaint on the platform:
    // the source brings the reply, and the case is answered by it.
    let reply = json!({"id": "ig:r6", "source": "instagram", "in_reply_to": "ig:c6",
        "url": "https://instagram.example/p/1/c/6/r/1", "author": {"handle": "@dpupr_sukamaju"},
        "text": "Mohon maaf, pipa induk sedang diperbaiki, air mengalir lagi nanti malam.",
        "published_at": chrono::Utc::now().to_rfc3339()});
    assert_ok(&app.import(&format!("{reply}\n")));
    let mut answered = Value::Null;
    for _ in 0..300 {
        let (_, v) = get(&format!("{base}/api/complaints?status=answered"), None).await;
        if let Some(c) = v["complaints"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["mention_id"] == "ig:c6"))
        {
            answered = c.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        answered["answer_url"],
        "https://instagram.example/p/1/c/6/r/1",
        "answered by the office's reply on the platform\n{}",
        app.logs()
    );
    assert!(answered["first_response_at"].is_string());

    // Filters.
    let ids = |v: &Value| -> Vec<String> {
        v["complaints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["mention_id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, v) = get(&format!("{base}/api/complaints?opd=dpupr-sukamaju"), None).await;
    assert_eq!(ids(&v), ["ig:c1", "ig:c6"], "open first: {v}");
    let (_, v) = get(&format!("{base}/api/complaints?category=health"), None).await;
    assert_eq!(ids(&v), ["ig:c2"]);
    let (_, v) = get(&format!("{base}/api/complaints?overdue=true"), None).await;
    assert_eq!(ids(&v), ["ig:c2"]);
    let (_, v) = get(
        &format!("{base}/api/complaints?since=10h&limit=1&offset=1"),
        None,
    )
    .await;
    assert_eq!(v["complaints"].as_array().unwrap().len(), 1, "{v}");
    for (q, code) in [
        ("status=closed", "bad_request"),
        ("category=roadz", "bad_request"),
        ("since=kemarin", "bad_request"),
        ("limit=0", "bad_request"),
        ("overdue=ya", "bad_request"),
        ("opd_id=x", "unknown_parameter"),
    ] {
        let (s, v) = get(&format!("{base}/api/complaints?{q}"), None).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (400, Some(code)),
            "{q}: {v}"
        );
    }

    // Officers: each sees its own OPD's cases only.
    let token_of = |user: &str, profile: &str, role: &str| {
        app.add_user(user, role, profile, None, "kata-sandi-kantor");
        app.token(user)
    };
    let pu = token_of("pu-1", "dpupr-sukamaju", "officer");
    let humas = token_of("humas-1", "pemkab-sukamaju", "officer");
    let dinkes_viewer = token_of("dinkes-pimpinan", "dinkes-sukamaju", "viewer");
    let (_, v) = get(&format!("{base}/api/complaints"), Some(&pu)).await;
    assert_eq!(ids(&v), ["ig:c1", "ig:c6"]);
    let (s, _) = get(
        &format!("{base}/api/complaints?opd=dinkes-sukamaju"),
        Some(&pu),
    )
    .await;
    assert_eq!(s, 403);
    let other = health["id"].as_i64().unwrap();
    let (s, theirs) = get(&format!("{base}/api/complaints/{other}"), Some(&pu)).await;
    let (s2, none) = get(&format!("{base}/api/complaints/99999"), Some(&pu)).await;
    assert_eq!((s, s2), (404, 404));
    assert_eq!(
        theirs["error"]["message"].as_str().unwrap(),
        format!("no complaint \"{other}\""),
        "another OPD's case answers as an unknown one"
    );
    assert_eq!(theirs["error"]["code"], none["error"]["code"]);
    let (s, _) = get(&format!("{base}/api/complaints/abc"), Some(&pu)).await;
    assert_eq!(s, 404);

    // Answer: text and the public reply's link; bad input is a 400.
    let id = road["id"].as_i64().unwrap();
    let act = format!("{base}/api/complaints/{id}/actions");
    for (body, code) in [
        (json!({"action": "answer"}), "bad_request"),
        (
            json!({"action": "answer", "text": "ok", "url": "javascript:alert(1)"}),
            "bad_request",
        ),
        (json!({"action": "close"}), "bad_request"),
        (
            json!({"action": "reroute", "opd": "dinkes-sukamaju"}),
            "bad_request",
        ),
        (json!({"action": "resolve", "by": "x"}), "unknown_parameter"),
    ] {
        let (s, v) = post(&act, &pu, body.clone()).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (400, Some(code)),
            "{body}: {v}"
        );
    }
    let (s, _) = post(
        &format!("{base}/api/complaints/{other}/actions"),
        &pu,
        json!({"action": "resolve"}),
    )
    .await;
    assert_eq!(s, 404, "another OPD's case cannot be acted on either");
    let (s, _) = post(
        &format!("{base}/api/complaints/{other}/actions"),
        &dinkes_viewer,
        json!({"action": "resolve"}),
    )
    .await;
    assert_eq!(s, 403, "a viewer");
    let reply = "https://instagram.example/p/1/c/1/r/9";
    let (s, v) = post(
        &act,
        &pu,
        json!({"action": "answer", "text": "Terima kasih, tim kami menambal jalan Jatisari besok pagi.", "url": reply}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "answered");
    assert!(v["first_response_at"].is_string(), "{v}");
    assert_eq!(v["answer_url"], reply);

    // Humas hands the waste complaint to the public works office, saying why.
    let wid = waste["id"].as_i64().unwrap();
    let (s, v) = post(
        &format!("{base}/api/complaints/{wid}/actions"),
        &humas,
        json!({"action": "reroute", "opd": "dpupr-sukamaju", "note": "pasar dikelola UPT di bawah DPUPR"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["opd"], "dpupr-sukamaju");
    let (s, _) = get(&format!("{base}/api/complaints/{wid}"), Some(&humas)).await;
    assert_eq!(s, 404, "no longer Humas's");
    let (s, d) = get(&format!("{base}/api/complaints/{wid}"), Some(&pu)).await;
    assert_eq!(s, 200);
    let h: Vec<(&str, &str)> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        h,
        [
            ("simak", "opened"),
            ("simak", "routed"),
            ("humas-1", "reroute")
        ]
    );
    assert_eq!(d["history"][2]["from_opd"], "pemkab-sukamaju");
    assert_eq!(d["history"][2]["note"], "pasar dikelola UPT di bawah DPUPR");
    assert!(
        d["history"][1]["note"]
            .as_str()
            .unwrap()
            .contains("cadangan"),
        "routed to the fallback, and why: {d}"
    );
    assert!(d["opds"].as_array().unwrap().len() >= 4);

    // Resolve; twice is a conflict.
    let (s, v) = post(&act, &pu, json!({"action": "resolve"})).await;
    assert_eq!((s, &v["status"]), (200, &json!("resolved")));
    let (s, v) = post(&act, &pu, json!({"action": "resolve"})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (409, Some("conflict")));

    // A session cookie writes only with its CSRF token.
    let jar = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = jar
        .post(format!("{base}/api/login"))
        .json(&json!({"username": "pu-1", "password": "kata-sandi-kantor"}))
        .send()
        .await
        .unwrap();
    let csrf = r.json::<Value>().await.unwrap()["csrf"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("{base}/api/complaints/{wid}/actions");
    let r = jar
        .post(&url)
        .json(&json!({"action": "not_ours", "note": "milik pengelola pasar swasta"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "csrf");
    let r = jar
        .post(&url)
        .header("x-csrf-token", &csrf)
        .json(&json!({"action": "not_ours", "note": "milik pengelola pasar swasta"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "not_ours");

    let audit = String::from_utf8_lossy(&app.run(&["user", "audit"]).stdout).to_string();
    assert!(
        audit.contains("complaint.answer")
            && audit.contains("complaint.reroute")
            && audit.contains("complaint.not_ours"),
        "{audit}"
    );
}

/// A citizen's comment carrying markup that would run if put into the page as HTML.
const HOSTILE_COMMENT: &str = "@pemkabsukamaju jalan di desa Jatisari berlubang besar, sudah banyak motor jatuh <img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>";

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_answers_a_complaint_in_the_browser() {
    use crate::browser::{browser, click, start_driver, type_into, until};
    let app = App::new(None, "");
    app.add_user(
        "pu-1",
        "officer",
        "dpupr-sukamaju",
        Some("pu-1 (uji)"),
        "sandi-kantor-pu",
    );
    let _run = app.spawn(&["run"]);
    let base = app.base_url();
    // The comment, as a source would bring it: an imported mention, analyzed and routed.
    let comment = json!({"id": "ig:b1", "source": "instagram", "url": "https://instagram.example/p/7/c/1",
        "author": {"handle": "warga_jatisari"}, "text": HOSTILE_COMMENT,
        "published_at": chrono::Utc::now().to_rfc3339()});
    assert_ok(&app.import(&format!("{comment}\n")));
    let v = wait_for_complaints(&app, 1).await;
    let case = &v["complaints"][0];
    assert_eq!(case["opd"], "dpupr-sukamaju", "{v}");
    let id = case["id"].as_i64().unwrap();

    let (_driver, dport) = start_driver();
    let c = browser(dport).await;
    c.goto(&format!("{base}/login")).await.unwrap();
    until(&c, "the login form", "return document.querySelector('#u')").await;
    type_into(&c, "#u", "pu-1").await;
    type_into(&c, "#p", "sandi-kantor-pu").await;
    click(&c, "#f button").await;
    until(
        &c,
        "the logged-in page",
        "return location.pathname === '/' && document.querySelector('#who').textContent",
    )
    .await;
    // The Aduan page lists it, with its text as text.
    click(&c, "nav a[data-page=aduan]").await;
    let row = until(
        &c,
        "the complaint in the list",
        &format!("const r = document.querySelector('#complaints tr[data-complaint=\"{id}\"]'); return r && r.innerText"),
    )
    .await;
    let row = row.as_str().unwrap();
    assert!(
        row.contains("terbuka") && row.contains("jalan dan jembatan"),
        "{row}"
    );
    assert!(row.contains("<img src=x onerror"), "{row}");
    click(&c, &format!("#complaints tr[data-complaint=\"{id}\"] a")).await;
    let text = until(
        &c,
        "the complaint's page",
        "const t = document.querySelector('#complaint-text'); return t && t.textContent",
    )
    .await;
    assert_eq!(text, HOSTILE_COMMENT);
    let history = c
        .execute(
            "return document.querySelector('#complaint-history').innerText",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        history.as_str().unwrap().contains("diarahkan")
            && history
                .as_str()
                .unwrap()
                .contains("kategori jalan dan jembatan"),
        "{history}"
    );
    // The officer records the public answer.
    type_into(
        &c,
        "#answer-text",
        "Terima kasih, jalan Jatisari kami tambal besok pagi.",
    )
    .await;
    type_into(&c, "#answer-url", "https://instagram.example/p/7/c/1/r/1").await;
    click(&c, "#answer-form button").await;
    let status = until(
        &c,
        "the answered status",
        "const s = document.querySelector('#complaint-status'); return s && s.dataset.status === 'answered' && s.textContent",
    )
    .await;
    assert_eq!(status, "sudah dijawab");
    let page = c
        .execute("return document.querySelector('main').innerText", vec![])
        .await
        .unwrap();
    let page = page.as_str().unwrap();
    assert!(
        page.contains("jalan Jatisari kami tambal besok pagi") && page.contains("dijawab"),
        "{page}"
    );
    assert!(!page.contains("jawaban pertama: belum"), "{page}");
    assert!(
        !page.contains("null") && !page.contains("undefined"),
        "{page}"
    );
    let injected = c
        .execute(
            "return [window.__xss === undefined, document.querySelectorAll('main img, main script').length]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        injected,
        json!([true, 0]),
        "no injected element ran or exists"
    );
    // The day's summary counts it, answered.
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    c.goto(&format!(
        "{base}/#/ringkasan?profile=dpupr-sukamaju&date={today}"
    ))
    .await
    .unwrap();
    let figures = until(
        &c,
        "the summary's complaint figures",
        "const p = document.querySelector('#summary-complaints'); return p && p.textContent",
    )
    .await;
    assert!(
        figures.as_str().unwrap().starts_with(
            "1 masuk · 1 sudah dijawab · 0 lewat target saat ini · median waktu jawab"
        ),
        "{figures}"
    );
    c.close().await.unwrap();
    // The API agrees: answered by pu-1, with the link to the public reply.
    let (_, d) = get(&format!("{base}/api/complaints/{id}"), None).await;
    assert_eq!(d["complaint"]["status"], "answered");
    assert!(d["complaint"]["first_response_at"].is_string());
    let last = d["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["actor"].as_str(),
            last["action"].as_str(),
            last["url"].as_str()
        ),
        (
            Some("pu-1"),
            Some("answer"),
            Some("https://instagram.example/p/7/c/1/r/1")
        )
    );
}

/// An overdue complaint reaches its OPD by SMTP (a real aiosmtpd) exactly once: not again on
/// later checks, nor after a crash and restart.
#[tokio::test(flavor = "multi_thread")]
async fn an_overdue_complaint_is_mailed_to_its_opd_once() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port, &dir.path().join("maildir"));
    let app = App::new(
        None,
        &format!(
            "[alerts]\nsummary_time = \"\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
             base_url = \"http://simak.kantor\"\noverdue_check_secs = 1\n"
        ),
    );
    let mut run = app.spawn(&["run"]);
    // The health complaint was posted 30 hours ago (Dinkes answers within 24); the road one an
    // hour ago (DPUPR has 48).
    let posts = comments(&[1, 30, 3, 1, 1]);
    assert_ok(&app.import(&posts));
    let v = wait_for_complaints(&app, 3).await;
    let health = v["complaints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["mention_id"] == "ig:c2")
        .unwrap()
        .clone();
    assert_eq!(health["overdue"], true);
    let id = health["id"].as_i64().unwrap();
    let wait_mail = |n: usize| {
        let t0 = std::time::Instant::now();
        loop {
            let m = smtp.messages();
            if m.len() >= n || t0.elapsed() > Duration::from_secs(45) {
                assert_eq!(m.len(), n, "{m:?}\n{}", app.logs());
                return m;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    let msgs = tokio::task::block_in_place(|| wait_mail(1));
    let m = &msgs[0];
    assert_eq!(m["to"], "dinkes@sukamajukab.go.id");
    assert_eq!(
        m["alert"],
        format!("complaint_overdue:dinkes-sukamaju:{id} v1")
    );
    assert_eq!(m["mention"], "ig:c2");
    let subject = m["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("[Simak] Aduan belum dijawab lewat 24 jam — Dinas Kesehatan"),
        "{subject}"
    );
    let text = m["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("http://simak.kantor/#/aduan/{id}"))
            && text.contains("obat di puskesmas Cibening habis"),
        "{text}"
    );
    // The checker runs every second: a few more checks, then a crash and a restart, and still
    // one e-mail.
    tokio::time::sleep(Duration::from_secs(3)).await;
    run.kill9();
    let _run = app.spawn(&["run"]);
    wait_for("the restarted server", Duration::from_secs(30), || {
        std::net::TcpStream::connect(("127.0.0.1", app.port)).ok()
    });
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (_, a) = get(&format!("{}/api/alerts", app.base_url()), None).await;
    let rows: Vec<&Value> = a["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["key"].as_str().unwrap().starts_with("complaint_overdue:"))
        .collect();
    assert_eq!(rows.len(), 1, "{a}");
    assert_eq!(rows[0]["state"], "sent");
    assert_eq!(smtp.messages().len(), 1, "exactly once");
}

async fn put(url: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut r = reqwest::Client::new().put(url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or_default())
}

/// An admin changes an OPD's complaint routing over the API while `simak run` runs: the
/// profile file is rewritten (in the app's own copy), the audit log has it, and a complaint
/// imported afterwards follows the new rule without a restart; bad edits are refused.
#[tokio::test(flavor = "multi_thread")]
async fn an_admin_changes_the_complaint_routing_and_new_complaints_follow_it() {
    let app = App::new(None, "");
    let profiles = app.own_profiles();
    let repo_file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../config/profiles/dinkes-sukamaju.toml");
    let repo_before = std::fs::read_to_string(&repo_file).unwrap();
    let _run = app.spawn(&["run"]);
    let base = app.base_url();
    let at = |h: i64| (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc3339();

    // Before: nobody owns waste, so Humas gets it as the fallback.
    let waste = |id: &str| {
        json!({"id": id, "source": "instagram",
               "text": "@pemkabsukamaju sampah di pasar Karanganyar menumpuk tidak diangkut seminggu",
               "published_at": at(1)})
        .to_string()
            + "\n"
    };
    assert_ok(&app.import(&waste("ig:w1")));
    let v = wait_for_complaints(&app, 1).await;
    assert_eq!(v["complaints"][0]["opd"], "pemkab-sukamaju", "{v}");

    let admin = app.token("e2e-admin");
    app.add_user(
        "pu-1",
        "officer",
        "dpupr-sukamaju",
        None,
        "kata-sandi-kantor",
    );
    let officer = app.token("pu-1");
    let url = format!("{base}/api/profiles/dinkes-sukamaju/complaints");
    let new = json!({"categories": ["health", "waste"], "places": [], "target_hours": 12,
                     "fallback": false});

    // Who may: not anonymous, not an officer.
    let (s, _) = put(&url, None, new.clone()).await;
    assert_eq!(s, 401);
    let (s, v) = put(&url, Some(&officer), new.clone()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{v}"
    );
    // What may not: an unknown category, a place the gazetteer does not know, a zero target, a
    // second fallback, an unknown profile.
    let bad = [
        json!({"categories": ["potholes"], "target_hours": 12}),
        json!({"categories": ["waste"], "places": ["Atlantis"], "target_hours": 12}),
        json!({"categories": ["waste"], "target_hours": 0}),
    ];
    for (b, says) in bad.iter().zip(["potholes", "Atlantis", "at least 1"]) {
        let (s, v) = put(&url, Some(&admin), b.clone()).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{b}: {v}"
        );
        assert!(
            v["error"]["message"].as_str().unwrap().contains(says),
            "{v}"
        );
    }
    // A second fallback clashes with Humas'.
    let b = json!({"categories": ["waste"], "target_hours": 12, "fallback": true});
    let (s, v) = put(&url, Some(&admin), b).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pemkab-sukamaju"),
        "{v}"
    );
    let (s, _) = put(
        &format!("{base}/api/profiles/nobody/complaints"),
        Some(&admin),
        new.clone(),
    )
    .await;
    assert_eq!(s, 404);

    // The edit.
    let (s, v) = put(&url, Some(&admin), new.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["complaints"]["categories"], json!(["health", "waste"]));
    let text = std::fs::read_to_string(profiles.join("dinkes-sukamaju.toml")).unwrap();
    assert!(
        text.contains("categories = [\"health\", \"waste\"]"),
        "{text}"
    );
    assert!(text.contains("target_hours = 12"), "{text}");
    assert!(text.starts_with("# Watch profile for an OPD"), "{text}");
    assert_eq!(std::fs::read_to_string(&repo_file).unwrap(), repo_before);
    let (_, v) = get(&format!("{base}/api/profiles"), Some(&admin)).await;
    let dinkes = v["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "dinkes-sukamaju")
        .unwrap()
        .clone();
    assert_eq!(dinkes["complaints"]["target_hours"], 12, "{dinkes}");

    // A waste complaint imported now goes to the health office; the first case stays Humas'.
    assert_ok(&app.import(&waste("ig:w2")));
    let v = wait_for_complaints(&app, 2).await;
    let by = |m: &str| {
        v["complaints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["mention_id"] == m)
            .unwrap()
            .clone()
    };
    assert_eq!(by("ig:w2")["opd"], "dinkes-sukamaju", "{v}");
    assert_eq!(by("ig:w1")["opd"], "pemkab-sukamaju", "{v}");

    let audit = String::from_utf8_lossy(&app.run(&["user", "audit"]).stdout).to_string();
    let line = audit
        .lines()
        .find(|l| l.contains("profile.complaints"))
        .unwrap_or_else(|| panic!("{audit}"));
    assert!(
        line.contains("e2e-admin")
            && line.contains("dinkes-sukamaju")
            && line.contains("\"waste\""),
        "{line}"
    );
}
