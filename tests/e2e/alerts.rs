//! Alert e-mails delivered to a real SMTP server (aiosmtpd) on loopback: a hoax mention goes in
//! at the source and the test reads the e-mail the server received.

use crate::harness::*;
use serde_json::Value;
use std::time::Duration;

const FACTCHECK: &str = "{\"id\":\"tbh-5\",\"claim\":\"Pemkab Sukamaju membagikan bantuan tunai Rp 5 juta untuk setiap warga yang mendaftar lewat tautan WhatsApp\",\"verdict\":\"hoaks\",\"url\":\"https://cekfakta.example.id/5\",\"source\":\"cekfakta\"}\n";

fn hoax_post(id: &str, extra: &str) -> String {
    serde_json::json!({
        "id": id, "source": "x", "url": format!("https://x.example/{id}"),
        "author": {"handle": "<b>akun</b>", "followers": 1200},
        "text": format!("SEBARKAN! pemkab sukamaju bagi2 bantuan tunai 5 juta buat setiap warga yg daftar lewat link whatsapp {extra}"),
        "published_at": "2026-11-20T08:00:00+07:00"
    })
    .to_string()
        + "\n"
}

/// Three hoax-style posts about the Pemkab, each its own alert (its own cluster), ids `<p>:1..3`.
pub(crate) fn three_narratives(p: &str) -> String {
    [
        "AWAS!!! Info dari grup sebelah: Bupati Sukamaju menutup semua SPBU minggu depan. SEBARKAN ke keluarga!",
        "DARURAT!!! Info dari grup sebelah, sumber terpercaya di Pemkab Sukamaju: air sungai Cibeber beracun, jangan mandi. Teruskan ke 10 grup biar semua tahu",
        "SEGERA!!! Copas dari grup sebelah: Pemkab Sukamaju bagikan hadiah undian, klik link bit.ly/hadiah dan isi data diri",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| {
        serde_json::json!({"id": format!("{p}:{}", i + 1), "source": "x", "text": t,
            "published_at": format!("2026-11-20T08:0{i}:00+07:00")})
        .to_string()
            + "\n"
    })
    .collect()
}

/// A real SMTP server and an app delivering to it (daily summaries off), with `extra` appended
/// to the `[alerts]` table.
fn smtp_app(extra: &str) -> (tempfile::TempDir, Smtp, App) {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(port, &dir.path().join("maildir"));
    let app = App::new(
        None,
        &format!("[alerts]\nsummary_time = \"\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n{extra}"),
    );
    (dir, smtp, app)
}

fn wait_messages(smtp: &Smtp, n: usize, app: &App) -> Vec<Value> {
    let t0 = std::time::Instant::now();
    loop {
        let m = smtp.messages();
        if m.len() >= n || t0.elapsed() > Duration::from_secs(45) {
            assert_eq!(m.len(), n, "{m:?}\n{}", app.logs());
            return m;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn hoax_alert_arrives_by_smtp_with_evidence_and_inert_html() {
    let (_dir, smtp, app) = smtp_app("base_url = \"http://simak.kantor\"\n");
    let out = with_stdin(app.cmd(&["factcheck", "import", "-"]), FACTCHECK);
    assert!(out.status.success());
    let _run = app.spawn(&["run"]);
    // An XSS payload rides along in the post.
    let out = app.import(&hoax_post(
        "x:1",
        "<script>alert('xss')</script><img src=x onerror=alert(1)>",
    ));
    assert_ok(&out);
    let msgs = wait_messages(&smtp, 1, &app);
    let m = &msgs[0];
    assert_eq!(m["to"], "humas@sukamajukab.go.id");
    assert_eq!(m["content_type"], "multipart/alternative");
    assert_eq!(m["alert"], "hoax:pemkab-sukamaju:fc:tbh-5 v1");
    assert_eq!(m["mention"], "x:1");
    let subject = m["subject"].as_str().unwrap();
    assert!(
        subject
            .starts_with("[Simak] Hoaks yang sudah dibantah tentang Pemerintah Kabupaten Sukamaju"),
        "{subject}"
    );
    let text = m["text"].as_str().unwrap();
    for want in [
        "Unggahan:",
        "Penyebaran:",
        "Mengapa ditandai:",
        "mirip klaim yang sudah diperiksa",
        "https://cekfakta.example.id/5",
        "Draf kerangka klarifikasi",
        "http://simak.kantor/review/pemkab-sukamaju%3Afc%3Atbh-5",
        "1200 pengikut",
    ] {
        assert!(text.contains(want), "{want:?} missing in\n{text}");
    }
    let html = m["html"].as_str().unwrap();
    for bad in ["<script", "<img", "<b>akun"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert!(
        html.contains("&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;"),
        "{html}"
    );
    // The link in the e-mail opens the case's page, with the post inert.
    let page = reqwest::blocking_get_text(&format!(
        "{}/review/pemkab-sukamaju%3Afc%3Atbh-5",
        app.base_url()
    ));
    assert!(
        page.contains("Kasus hoaks") && page.contains("&lt;script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "{page}");
    // The same narrative again: no second e-mail (the spread has not doubled). (The alert's
    // state was stored before its e-mail was queued, so the repeat can come at once.)
    app.import(&hoax_post("x:1", "")); // a repeat of the same id
                                       // Waiting for something not to happen: nothing in the logs or the API says the alerter
                                       // has passed over the repeat, so give it 2 s (the alerter polls every 200 ms, the
                                       // sender delivers within a second of queueing).
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(smtp.messages().len(), 1, "one e-mail per alert key");
}

#[test]
fn smtp_outage_and_restart_delay_alerts_never_drop_or_repeat_them() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(
        None,
        &format!("[alerts]\nsummary_time = \"\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n"),
    );
    // Three narratives, each its own alert; the SMTP server is down.
    let posts = &three_narratives("a");
    let mut run = app.spawn(&["run"]);
    assert!(app.import(posts).status.success());
    // Queued and failing: visible in the outbox API, not lost.
    let base = app.base_url();
    let t0 = std::time::Instant::now();
    loop {
        let body = reqwest::blocking_get(&format!("{base}/api/alerts"));
        let n = body["alerts"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|x| x["attempts"].as_i64() > Some(0))
                    .count()
            })
            .unwrap_or(0);
        if n >= 3 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "{body}\n{}",
            app.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // A crash while the server is down, then a restart.
    run.kill9();
    let _run = app.spawn(&["run"]);
    // The SMTP server comes up only once the restarted pipeline is running.
    wait_for("the restarted server", Duration::from_secs(30), || {
        std::net::TcpStream::connect(("127.0.0.1", app.port)).ok()
    });
    let smtp = Smtp::start(port, &dir.path().join("maildir"));
    let msgs = wait_messages(&smtp, 3, &app);
    let mut keys: Vec<&str> = msgs.iter().map(|m| m["alert"].as_str().unwrap()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3, "three different alerts: {msgs:?}");
    assert!(
        msgs.iter().all(|m| m["to"] == "humas@sukamajukab.go.id"),
        "{msgs:?}"
    );
    // Nothing more arrives later: the outbox holds the three alerts, all sent, so nothing is
    // left to deliver (a repeat would need a row of its own).
    let t0 = std::time::Instant::now();
    loop {
        let body = reqwest::blocking_get(&format!("{base}/api/alerts"));
        let rows = body["alerts"].as_array().cloned().unwrap_or_default();
        if rows.len() == 3 && rows.iter().all(|a| a["state"] == "sent") {
            break;
        }
        assert!(rows.len() <= 3, "a repeated alert: {body}");
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "{body}\n{}",
            app.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(smtp.messages().len(), 3);
}

#[test]
fn without_smtp_alerts_are_eml_files_listed_by_the_api() {
    let app = App::new(None, "[alerts]\nsummary_time = \"\"\n");
    let out = with_stdin(app.cmd(&["factcheck", "import", "-"]), FACTCHECK);
    assert!(out.status.success());
    let _run = app.spawn(&["run"]);
    assert!(app.import(&hoax_post("x:7", "")).status.success());
    let base = app.base_url();
    let t0 = std::time::Instant::now();
    let item = loop {
        let body = reqwest::blocking_get(&format!("{base}/api/alerts"));
        if let Some(i) = body["alerts"].as_array().and_then(|a| a.first()).cloned() {
            if i["state"] == "sent" {
                break i;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "{body}\n{}",
            app.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let file = item["file"].as_str().unwrap();
    let eml = std::fs::read_to_string(app.dir.path().join("data/outbox").join(file)).unwrap();
    assert!(
        eml.contains("X-Simak-Alert: hoax:pemkab-sukamaju:fc:tbh-5 v1"),
        "{eml}"
    );
    let (status, _) = reqwest::blocking_get_status(&format!("{base}/outbox/{file}"));
    assert_eq!(status, 200);
}

mod reqwest {
    /// A GET from a blocking test: the status (0 if the server could not be reached) and the
    /// body as text.
    pub fn blocking_get_status(url: &str) -> (u16, String) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            match crate::harness::http_get(url).await {
                Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
                Err(e) => (0, e.to_string()),
            }
        })
    }

    /// The body as text.
    pub fn blocking_get_text(url: &str) -> String {
        blocking_get_status(url).1
    }

    /// The body as JSON (Null on any failure).
    pub fn blocking_get(url: &str) -> serde_json::Value {
        serde_json::from_str(&blocking_get_status(url).1).unwrap_or(serde_json::Value::Null)
    }
}

#[test]
fn daily_summary_as_page_and_as_email_with_inline_charts() {
    let (_dir, smtp, app) = smtp_app("");
    let _run = app.spawn(&["run"]);
    // A week of mentions about the Pemkab, then a busy, negative day.
    let mut lines = String::new();
    let mut n = 0;
    for day in 13..=20 {
        let count = if day == 20 { 6 } else { 2 };
        for i in 0..count {
            n += 1;
            let text = if day == 20 {
                format!("Pelayanan Pemkab Sukamaju buruk sekali, jalan rusak tidak diperbaiki #jalanrusak <script>alert({i})</script>")
            } else {
                format!("Pemkab Sukamaju meresmikan taman kota yang indah nomor {i} #sukamajumaju")
            };
            lines.push_str(
                &serde_json::json!({
                    "id": format!("s:{day}:{i}"), "source": if i % 2 == 0 { "x" } else { "rss" },
                    "text": text, "metrics": {"likes": i * 10},
                    "published_at": format!("2026-11-{day}T09:00:00+07:00")
                })
                .to_string(),
            );
            lines.push('\n');
        }
    }
    assert!(app.import(&lines).status.success());
    let t0 = std::time::Instant::now();
    loop {
        let out = app.run(&["search", "*", "--json", "--limit", "1"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if v["total"] == n {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "{v}\n{}",
            app.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let page = app.dir.path().join("summary.html");
    let out = app.run(&[
        "summary",
        "--profile",
        "pemkab-sukamaju",
        "--date",
        "2026-11-20",
        "--out",
        page.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let html = std::fs::read_to_string(&page).unwrap();
    for want in [
        "Ringkasan harian Pemerintah Kabupaten Sukamaju",
        "<b>6</b> unggahan",
        "+200%",
        "data:image/png;base64,",
        "#jalanrusak (6)",
        "&lt;script&gt;",
    ] {
        assert!(html.contains(want), "{want:?} missing in {html}");
    }
    assert!(!html.contains("<script>alert"), "{html}");
    let out = app.run(&["summary", "--profile", "nope", "--date", "2026-11-20"]);
    assert_eq!(out.status.code(), Some(2));
    let out = app.run(&[
        "summary",
        "--profile",
        "pemkab-sukamaju",
        "--date",
        "20-11-2026",
    ]);
    assert_eq!(out.status.code(), Some(2));

    let out = app.run(&[
        "summary",
        "--profile",
        "pemkab-sukamaju",
        "--date",
        "2026-11-20",
        "--send",
    ]);
    assert_ok(&out);
    let msgs = wait_messages(&smtp, 1, &app);
    assert!(
        msgs[0]["subject"]
            .as_str()
            .unwrap()
            .contains("Ringkasan harian Pemerintah Kabupaten Sukamaju — 20-11-2026: 6 unggahan"),
        "{msgs:?}"
    );
    let html = msgs[0]["html"].as_str().unwrap();
    assert!(
        html.contains("src=\"cid:volume-pemkab-sukamaju-2026-11-20@simak\""),
        "{html}"
    );
    // Sent once per profile and day.
    let out = app.run(&[
        "summary",
        "--profile",
        "pemkab-sukamaju",
        "--date",
        "2026-11-20",
        "--send",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("queued before"));

    let base = app.base_url();
    let r = reqwest::blocking_get_text(&format!("{base}/summary/pemkab-sukamaju/2026-11-20"));
    assert!(r.contains("Ringkasan harian"), "{r}");
}

#[test]
fn per_recipient_limit_delays_without_dropping() {
    let (_dir, smtp, app) = smtp_app("per_recipient_per_hour = 2\n");
    let _run = app.spawn(&["run"]);
    let posts = &three_narratives("r");
    assert!(app.import(posts).status.success());
    wait_messages(&smtp, 2, &app);
    // The sender has held the third back for the hour (it logs each one it holds back).
    app.wait_log_line("the third alert held back by the rate limit", |l| {
        l.contains("alert waits: recipient rate limit")
    });
    assert_eq!(smtp.messages().len(), 2, "the third waits for the hour");
    let body = reqwest::blocking_get(&format!("{}/api/alerts", app.base_url()));
    let pending: Vec<&Value> = body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state"] == "pending")
        .collect();
    assert_eq!(pending.len(), 1, "kept, not dropped: {body}");
}
