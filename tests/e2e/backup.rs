//! `simak backup` while `simak run` runs (and while an import goes on), `simak restore` into a
//! fresh data directory, and `simak run` on it: the same search results, the accounts (an API
//! token made before the backup still works) and the review queue are kept.

use crate::harness::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

const FACTCHECK: &str = "{\"id\":\"tbh-77\",\"claim\":\"Pemkab Sukamaju membagikan bantuan tunai Rp 5 juta untuk setiap warga yang mendaftar lewat tautan WhatsApp\",\"verdict\":\"hoaks\",\"url\":\"https://cekfakta.example.id/77\",\"source\":\"cekfakta\"}\n";
const POSTS: &str = concat!(
    "{\"id\":\"x:1\",\"source\":\"x\",\"text\":\"SEBARKAN! pemkab sukamaju bagi2 bantuan tunai 5 juta buat setiap warga yg daftar lewat link whatsapp\",\"published_at\":\"2026-11-20T08:00:00+07:00\"}\n",
    "{\"id\":\"x:2\",\"source\":\"x\",\"text\":\"Pemkab Sukamaju membagikan bantuan tunai 5 juta untuk warga yang mendaftar lewat tautan WhatsApp, buruan\",\"published_at\":\"2026-11-20T08:05:00+07:00\"}\n",
);

async fn get(url: &str, token: &str) -> (u16, Value) {
    match reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
    {
        Ok(r) => {
            let s = r.status().as_u16();
            (s, r.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

async fn poll(what: &str, app: &App, mut f: impl AsyncFnMut() -> Option<Value>) -> Value {
    for _ in 0..1200 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}\n{}", app.logs());
}

/// Waits until the search API of `app` counts `n` mentions.
async fn wait_total(app: &App, token: &str, n: u64) {
    let base = app.base_url();
    poll(&format!("{n} mentions indexed"), app, async || {
        let (_, v) = get(&format!("{base}/api/search?q=*&limit=1"), token).await;
        (v["total"].as_u64() == Some(n)).then_some(v)
    })
    .await;
}

/// An installation on `data` (a fresh directory) with `app`'s settings and a port of its own.
fn sibling(app: &App, name: &str) -> App {
    let dir = tempfile::Builder::new()
        .prefix(&format!("simak-e2e-{name}"))
        .tempdir()
        .unwrap();
    let port = free_port();
    let text = std::fs::read_to_string(&app.config)
        .unwrap()
        .replace(
            &format!("{:?}", app.dir.path().join("data")),
            &format!("{:?}", dir.path().join("data")),
        )
        .replace(
            &format!("127.0.0.1:{}", app.port),
            &format!("127.0.0.1:{port}"),
        );
    let config = dir.path().join("simak.toml");
    std::fs::write(&config, text).unwrap();
    App { dir, config, port }
}

/// The mention ids in the `simak.mentions` topic of the embedded log at `log`.
async fn log_ids(log: &Path) -> BTreeSet<String> {
    let log =
        simak_bus::embedded::EmbeddedLog::open(log, 3, false, Duration::from_millis(5)).unwrap();
    let mut c = log
        .assigned_consumer("simak.mentions", "check", &Default::default())
        .unwrap();
    let mut ids = BTreeSet::new();
    loop {
        let got = c.poll(5000, Duration::from_millis(100)).await.unwrap();
        if got.is_empty() {
            return ids;
        }
        ids.extend(got.into_iter().map(|r| r.key));
    }
}

/// What a few searches answer: total and ids, newest first.
async fn answers(app: &App, token: &str) -> Vec<(u64, Vec<String>)> {
    let mut out = Vec::new();
    for q in [
        "*",
        "banjir",
        "\"jalan rusak\"",
        "pemkab AND bantuan",
        "puskesmas",
    ] {
        let url = format!(
            "{}/api/search?q={}&limit=50",
            app.base_url(),
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        let (s, v) = get(&url, token).await;
        assert_eq!(s, 200, "{q}: {v}");
        let ids = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect();
        out.push((v["total"].as_u64().unwrap(), ids));
    }
    out
}

async fn review_cases(app: &App, token: &str) -> Vec<(String, String, u64)> {
    let (s, v) = get(
        &format!("{}/api/review?profile=pemkab-sukamaju", app.base_url()),
        token,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["state"].as_str().unwrap().to_string(),
                c["mentions"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_while_running_and_restore_into_a_fresh_data_dir() {
    let app = App::new(None, "");
    let token = app.token("e2e-admin");
    let mut run = app.spawn(&["run"]);
    let base = app.base_url();
    poll("the server", &app, async || {
        let (s, v) = get(&format!("{base}/api/review"), &token).await;
        (s == 200).then_some(v)
    })
    .await;
    assert_ok(&with_stdin(
        app.cmd(&["factcheck", "import", "-"]),
        FACTCHECK,
    ));
    app.wait_analyzer_factchecks(1);
    assert_ok(&app.import(POSTS));
    assert_ok(&app.import(&mentions_jsonl("a", 0..3000)));
    wait_total(&app, &token, 3002).await;
    poll("the review case", &app, async || {
        let cases = review_cases(&app, &token).await;
        cases.iter().any(|c| c.2 == 2).then_some(Value::Null)
    })
    .await;
    assert_ok(&app.run(&[
        "review",
        "act",
        "pemkab-sukamaju:fc:tbh-77",
        "take",
        "--by",
        "humas",
    ]));

    // Backup A: while 4,000 more mentions are being imported and indexed.
    let importer = {
        let cmd = app.cmd(&["import", "-"]);
        let input = mentions_jsonl("b", 0..4000);
        std::thread::spawn(move || with_stdin(cmd, &input))
    };
    std::thread::sleep(Duration::from_millis(300));
    let during = app.dir.path().join("backup-during");
    let out = app.run(&["backup", during.to_str().unwrap()]);
    assert_ok(&out);
    eprintln!("{}", String::from_utf8_lossy(&out.stderr).trim());
    assert_ok(&importer.join().unwrap());
    wait_total(&app, &token, 7002).await;

    // Backup B: the pipeline idle but running, the server answering.
    let quiet = app.dir.path().join("backup-quiet");
    let out = app.run(&["backup", quiet.to_str().unwrap()]);
    assert_ok(&out);
    eprintln!("{}", String::from_utf8_lossy(&out.stderr).trim());
    // Into a directory that is not empty: refused, exit status 2.
    assert_eq!(
        app.run(&["backup", quiet.to_str().unwrap()]).status.code(),
        Some(2)
    );
    // The storage figures of the running service.
    let r = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let metrics = r.text().await.unwrap();
    let log_bytes: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("simak_log_bytes{topic=\"simak.mentions\"} "))
        .unwrap_or_else(|| panic!("{metrics}"))
        .parse()
        .unwrap();
    assert!(log_bytes > 7002 * 100, "{metrics}");
    assert!(metrics.contains("simak_index_documents 7002"), "{metrics}");
    assert!(
        metrics.contains("simak_log_retention_deleted_segments_total 0"),
        "{metrics}"
    );
    let before = answers(&app, &token).await;
    let cases = review_cases(&app, &token).await;
    assert_eq!(before[0].0, 7002);

    // Restoring over the data directory in use is refused, --force or not.
    let out = app.run(&["restore", quiet.to_str().unwrap(), "--force"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("running"));
    assert!(run.terminate().success(), "{}", app.logs());
    // Stopped, but not empty: refused without --force.
    let out = app.run(&["restore", quiet.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));

    // B into a fresh data directory: the same answers, cases and accounts.
    let b = sibling(&app, "restored");
    let out = b.run(&["restore", quiet.to_str().unwrap()]);
    assert_ok(&out);
    eprintln!("{}", String::from_utf8_lossy(&out.stderr).trim());
    let _run_b = b.spawn(&["run"]);
    poll("the restored server", &b, async || {
        let (s, v) = get(&format!("{}/api/search?q=*&limit=1", b.base_url()), &token).await;
        (s == 200).then_some(v)
    })
    .await;
    assert_eq!(answers(&b, &token).await, before);
    assert_eq!(review_cases(&b, &token).await, cases);
    assert!(cases.iter().any(|c| c.1 == "in_review"), "{cases:?}");
    // Nothing is indexed twice after the restored pipeline catches up on its log.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (n, ids) = index_ids(&b.dir.path().join("data/index"));
    assert_eq!(n, 7002);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 7002);

    // A, taken mid-import: once its pipeline has read its log, the index holds exactly the
    // mentions its log holds, each once.
    let expect = log_ids(&during.join("log")).await;
    assert!(expect.len() > 3002, "the backup caught part of the import");
    let c = sibling(&app, "restored-during");
    assert_ok(&c.run(&["restore", during.to_str().unwrap()]));
    let _run_c = c.spawn(&["run"]);
    wait_total(&c, &token, expect.len() as u64).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (n, ids) = index_ids(&c.dir.path().join("data/index"));
    assert_eq!(n as usize, expect.len());
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), expect);
}
