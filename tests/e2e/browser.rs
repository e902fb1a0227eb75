//! The web UI in a real browser: headless chromium driven through chromedriver (WebDriver), on
//! a running `simak run`. An officer logs in, searches, opens a flagged item, takes it and marks
//! it clarified, and sees the state change; hostile text in a mention renders as text; the API
//! answers 401 to anonymous calls, 403 for another OPD's profile and 404 for its ids.

use crate::harness::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::Duration;

const FACTCHECK: &str = "{\"id\":\"tbh-31\",\"claim\":\"Pemkab Sukamaju membagikan bantuan tunai Rp 5 juta untuk setiap warga yang mendaftar lewat tautan WhatsApp\",\"verdict\":\"hoaks\",\"url\":\"https://cekfakta.example.id/31\",\"source\":\"cekfakta\"}\n";

/// A post whose text tries to run script three ways.
const HOSTILE: &str = "Pemkab Sukamaju <script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\"> <svg onload=\"window.__xss=3\"> skripjahat";

pub(crate) struct Driver(std::process::Child);

impl Drop for Driver {
    /// Ends chromedriver and the browsers it started (its process group), also when a test
    /// failed before closing its session.
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's process group.
        unsafe { libc::kill(-(self.0.id() as i32), libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

/// chromedriver (Debian package `chromium-driver`, installed by `.ci/run`), or `$CHROMEDRIVER`.
pub(crate) fn start_driver() -> (Driver, u16) {
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = free_port();
    use std::os::unix::process::CommandExt;
    let child = Command::new(&bin)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {bin} ({e}): install chromium and chromium-driver (bash .ci/run does) or set CHROMEDRIVER")
        });
    wait_for("chromedriver", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    (Driver(child), port)
}

pub(crate) async fn browser(port: u16) -> Client {
    let mut caps = serde_json::Map::new();
    let mut opts = serde_json::json!({"args": [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1280,900", "--lang=id"
    ]});
    if let Ok(bin) = std::env::var("CHROMIUM") {
        opts["binary"] = bin.into();
    }
    caps.insert("goog:chromeOptions".into(), opts);
    ClientBuilder::rustls()
        .expect("TLS setup")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a chromium session through chromedriver")
}

/// Runs `js` (a function body) until it returns something other than null, false or "".
pub(crate) async fn until(c: &Client, what: &str, js: &str) -> Value {
    for _ in 0..150 {
        match c.execute(js, vec![]).await {
            Ok(v) if !v.is_null() && v != Value::Bool(false) && v != "" => return v,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let body = c
        .execute("return document.body.innerText", vec![])
        .await
        .unwrap_or_default();
    panic!("timed out waiting for {what}; the page says:\n{body}");
}

pub(crate) async fn type_into(c: &Client, css: &str, text: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    e.send_keys(text).await.unwrap();
}

pub(crate) async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn officer_works_a_hoax_in_the_browser() {
    let app = App::new(None, "");
    app.add_user(
        "kabid-ikp",
        "officer",
        "pemkab-sukamaju",
        Some("kabid-ikp (uji)"),
        "sandi-kantor-pemkab",
    );
    app.add_user(
        "humas-kominfo",
        "officer",
        "diskominfo-sukamaju",
        Some("humas-kominfo (uji)"),
        "sandi-kantor-kominfo",
    );
    let _run = app.spawn(&["run"]);
    let base = app.base_url();
    wait_for("the server", Duration::from_secs(30), || {
        std::net::TcpStream::connect(("127.0.0.1", app.port)).ok()
    });
    let out = with_stdin(app.cmd(&["factcheck", "import", "-"]), FACTCHECK);
    assert_ok(&out);
    app.wait_analyzer_factchecks(1);
    let posts = [
        serde_json::json!({"id": "x:h1", "source": "x", "published_at": "2026-11-20T08:00:00+07:00",
            "text": "SEBARKAN! pemkab sukamaju bagi2 bantuan tunai 5 juta buat setiap warga yg daftar lewat link whatsapp"}),
        serde_json::json!({"id": "x:h2", "source": "x", "published_at": "2026-11-20T08:05:00+07:00",
            "text": "Pemkab Sukamaju membagikan bantuan tunai 5 juta untuk warga yang mendaftar lewat tautan WhatsApp, buruan"}),
        serde_json::json!({"id": "x:evil", "source": "x", "published_at": "2026-11-20T09:00:00+07:00",
            "title": "<img src=x onerror=\"window.__xss=4\">", "text": HOSTILE,
            "author": {"handle": "<b onmouseover=alert(1)>", "name": "<script>window.__xss=5</script>"}}),
        serde_json::json!({"id": "x:k1", "source": "x", "published_at": "2026-11-20T10:00:00+07:00",
            "text": "Wifi gratis Diskominfo Sukamaju di taman kota mati terus, sebarkan biar diperbaiki"}),
    ];
    let jsonl: String = posts.iter().map(|p| format!("{p}\n")).collect();
    let out = app.import(&jsonl);
    assert_ok(&out);
    let case_id = "pemkab-sukamaju:fc:tbh-31";
    let mut flagged = false;
    for _ in 0..300 {
        if let Ok(r) = http_get(format!("{base}/api/review")).await {
            let v: Value = r.json().await.unwrap_or_default();
            if v["cases"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|c| c["id"] == case_id && c["mentions"] == 2))
            {
                flagged = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(flagged, "the case with both posts\n{}", app.logs());
    // Until the server's reader sees all four.
    let mut seen = 0;
    for _ in 0..300 {
        if let Ok(r) = http_get(format!("{base}/api/search?q=*")).await {
            seen = r.json::<Value>().await.unwrap_or_default()["total"]
                .as_u64()
                .unwrap_or(0);
            if seen >= 4 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, 4, "{}", app.logs());

    // The API without a login, and across OPDs.
    let http = reqwest::Client::new();
    for path in [
        "/api/search?q=*",
        "/api/review",
        "/api/mentions/x:h1",
        "/api/factchecks",
    ] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "unauthorized", "{path}: {v}");
    }
    let kominfo = app.token("humas-kominfo");
    // Naming another OPD's profile is refused; another OPD's case or mention answers as an
    // id that does not exist (404 either way), so ids cannot be probed.
    for (path, status) in [
        (format!("/api/review/{}", case_id.replace(':', "%3A")), 404),
        (
            format!("/api/review/{}", "pemkab-sukamaju%3Atidak-ada"),
            404,
        ),
        ("/api/mentions/x:h1".to_string(), 404),
        ("/api/mentions/x:tidak-ada".to_string(), 404),
        ("/api/search?profile=pemkab-sukamaju".to_string(), 403),
        ("/api/summary/pemkab-sukamaju/2026-11-20".to_string(), 403),
    ] {
        let r = http
            .get(format!("{base}{path}"))
            .bearer_auth(&kominfo)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
    }
    let r = http
        .post(format!("{base}/api/factchecks"))
        .bearer_auth(&kominfo)
        .json(&serde_json::json!({"profile": "pemkab-sukamaju", "claim": "klaim apa saja yang panjang"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);

    // The browser.
    let (_driver, dport) = start_driver();
    let c = browser(dport).await;
    c.goto(&format!("{base}/")).await.unwrap();
    until(
        &c,
        "the login page",
        "return location.pathname === '/login'",
    )
    .await;
    type_into(&c, "#u", "kabid-ikp").await;
    type_into(&c, "#p", "salah-sandi-1").await;
    click(&c, "#f button").await;
    until(
        &c,
        "the failed login's message",
        "return document.querySelector('#err').textContent.length > 0",
    )
    .await;
    let p = c.find(Locator::Css("#p")).await.unwrap();
    p.clear().await.unwrap();
    p.send_keys("sandi-kantor-pemkab").await.unwrap();
    click(&c, "#f button").await;
    let who = until(
        &c,
        "the logged-in page",
        "return location.pathname === '/' && document.querySelector('#who').textContent",
    )
    .await;
    assert_eq!(who, "kabid-ikp (uji) (petugas)");

    // Search.
    until(
        &c,
        "the search form",
        "return document.querySelector('#search-form input[name=q]')",
    )
    .await;
    let q = c
        .find(Locator::Css("#search-form input[name=q]"))
        .await
        .unwrap();
    q.send_keys("bantuan tunai").await.unwrap();
    click(&c, "#search-form button").await;
    let total = until(
        &c,
        "the results",
        "const t = document.querySelector('#results[data-q=\"bantuan tunai\"] #total'); return t && t.textContent",
    )
    .await;
    let texts = c
        .execute("return document.querySelector('#hits').innerText", vec![])
        .await
        .unwrap();
    assert_eq!(total, "2", "{texts}");
    let marks = c
        .execute(
            "return [...document.querySelectorAll('#hits mark')].map(m => m.textContent.toLowerCase())",
            vec![],
        )
        .await
        .unwrap();
    assert!(marks.to_string().contains("bantuan"), "{marks}");
    let facet = c
        .execute(
            "return document.querySelector('#facets a[data-facet=hoax][data-value=known_hoax]') !== null",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(facet, Value::Bool(true), "a hoax facet");

    // Hostile text: shown as text, never run.
    c.goto(&format!("{base}/#/cari?q=skripjahat"))
        .await
        .unwrap();
    let shown = until(
        &c,
        "the hostile post in the results",
        "const t = document.querySelector('#results[data-q=skripjahat] #total'); return t && t.textContent === '1' && document.querySelector('#hits .text').textContent",
    )
    .await;
    assert!(
        shown
            .as_str()
            .unwrap()
            .contains("<script>window.__xss=1</script>"),
        "{shown}"
    );
    c.goto(&format!("{base}/#/sebutan/x:evil")).await.unwrap();
    let text = until(
        &c,
        "the hostile post's page",
        "return document.querySelector('#mention-text') && document.querySelector('#mention-text').textContent",
    )
    .await;
    assert_eq!(text, HOSTILE);
    let injected = c
        .execute(
            "return [window.__xss === undefined, document.querySelectorAll('main img, main script, main svg:not(.chart) , main b[onmouseover]').length]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        injected,
        serde_json::json!([true, 0]),
        "no injected element ran or exists"
    );
    let page = c
        .execute("return document.querySelector('main').innerText", vec![])
        .await
        .unwrap();
    assert!(
        page.as_str().unwrap().contains("<img src=x onerror"),
        "{page}"
    );

    // Another OPD's data in the browser: refused, said in Indonesian.
    c.goto(&format!("{base}/#/cari?profile=diskominfo-sukamaju"))
        .await
        .unwrap();
    let refused = until(
        &c,
        "the refusal",
        "return document.querySelector('#results .err') && document.querySelector('#results .err').textContent",
    )
    .await;
    assert!(
        refused.as_str().unwrap().starts_with("Akses ditolak"),
        "{refused}"
    );

    // The review queue: open the flagged item.
    c.goto(&format!("{base}/#/tinjauan")).await.unwrap();
    until(&c, "the queue", "return document.querySelector('#cases')").await;
    let rows = c
        .execute(
            "return [...document.querySelectorAll('#cases tr[data-case]')].map(r => r.dataset.case)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(rows, serde_json::json!([case_id]), "only this OPD's cases");
    click(&c, "#cases tr[data-case] a").await;
    let state = until(
        &c,
        "the case page",
        "return document.querySelector('#case-state') && document.querySelector('#case-state').dataset.state",
    )
    .await;
    assert_eq!(state, "new");
    // The evidence: the matched fact-check's claim (not in the post's own text) and its link.
    let evidence = c
        .execute(
            "return [document.querySelector('main').innerText, [...document.querySelectorAll('main a')].map(a => a.href)]",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        evidence[0]
            .as_str()
            .unwrap()
            .contains("Rp 5 juta untuk setiap warga yang mendaftar lewat tautan WhatsApp"),
        "{evidence}"
    );
    assert!(
        evidence[1]
            .to_string()
            .contains("https://cekfakta.example.id/31"),
        "{evidence}"
    );

    // Take it, then mark it clarified with the URL and a note.
    let act = async |action: &str, url: &str, note: &str, expect: &str| {
        c.find(Locator::Css("#action"))
            .await
            .unwrap()
            .select_by_value(action)
            .await
            .unwrap();
        if !url.is_empty() {
            type_into(&c, "#clarify-url", url).await;
        }
        type_into(&c, "#note", note).await;
        click(&c, "#act-form button").await;
        until(
            &c,
            &format!("the state {expect}"),
            &format!("return document.querySelector('#case-state') && document.querySelector('#case-state').dataset.state === '{expect}'"),
        )
        .await;
    };
    act("take", "", "saya cek", "in_review").await;
    act(
        "clarify",
        "https://sukamajukab.go.id/klarifikasi/bansos",
        "sudah diumumkan",
        "clarified",
    )
    .await;
    let shown = c
        .execute(
            "return [document.querySelector('#case-state').textContent, document.querySelector('#history').innerText]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown[0], "sudah diklarifikasi");
    let history = shown[1].as_str().unwrap();
    assert!(
        history.contains("kabid-ikp") && history.contains("sudah diumumkan"),
        "{history}"
    );

    // The API agrees, and the history holds both steps by this officer.
    let v: Value = http_get(format!("{base}/api/review/{}", case_id.replace(':', "%3A")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["case"]["state"], "clarified");
    assert_eq!(
        v["case"]["clarification_url"],
        "https://sukamajukab.go.id/klarifikasi/bansos"
    );
    let actors: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "kabid-ikp")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actors, ["take", "clarify"]);

    // The mention page of a flagged post: reasons, fact-check, the case, the cluster.
    c.goto(&format!("{base}/#/sebutan/x:h2")).await.unwrap();
    let page = until(
        &c,
        "the flagged post's page",
        "return document.querySelector('#reasons') && document.querySelector('main').innerText",
    )
    .await;
    let page = page.as_str().unwrap();
    assert!(page.contains("hoaks dikenal"), "{page}");
    assert!(page.contains("sudah diklarifikasi"), "{page}");
    assert!(page.contains("Gugus unggahan serupa"), "{page}");

    // Settings: the OPD publishes its own clarification of a new claim; the next post
    // spreading the claim matches it.
    c.goto(&format!("{base}/#/pengaturan")).await.unwrap();
    until(
        &c,
        "the settings page",
        "return document.querySelector('#add-factcheck')",
    )
    .await;
    let recipients = c
        .execute(
            "return document.querySelector('[data-profile=pemkab-sukamaju] .recipients').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(recipients, "humas@sukamajukab.go.id");
    type_into(
        &c,
        "#add-factcheck textarea[name=claim]",
        "Pemkab Sukamaju meliburkan semua sekolah negeri selama satu bulan karena wabah",
    )
    .await;
    type_into(
        &c,
        "#add-factcheck textarea[name=explanation]",
        "Tidak ada kebijakan libur; sekolah berjalan normal.",
    )
    .await;
    type_into(
        &c,
        "#add-factcheck input[name=url]",
        "https://sukamajukab.go.id/klarifikasi/sekolah",
    )
    .await;
    click(&c, "#add-factcheck button").await;
    until(
        &c,
        "the clarification published",
        "return document.querySelector('#add-factcheck [role=status]').textContent === 'Klarifikasi diterbitkan.'",
    )
    .await;
    let mut listed = Value::Null;
    for _ in 0..100 {
        listed = http_get(format!("{base}/api/factchecks?q=sekolah%20negeri"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if listed["total"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(listed["total"], 1, "{listed}");
    let fc = &listed["factchecks"][0];
    assert_eq!(fc["source"], "pemkab-sukamaju");
    assert_eq!(fc["verdict"], "hoaks");
    let fc_id = fc["id"].as_str().unwrap().to_string();
    let out = app.import(
        "{\"id\":\"x:s1\",\"source\":\"x\",\"published_at\":\"2026-11-21T08:00:00+07:00\",\"text\":\"Pemkab Sukamaju liburkan semua sekolah negeri sebulan karena wabah, sebarkan!\"}\n",
    );
    assert!(out.status.success());
    let mut matched = Value::Null;
    for _ in 0..100 {
        if let Ok(r) = http_get(format!("{base}/api/mentions/x:s1")).await {
            matched = r.json().await.unwrap_or_default();
            if matched["mention"]["hoax"].is_object() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        matched["mention"]["hoax"]["label"], "known_hoax",
        "{matched}"
    );
    assert_eq!(
        matched["mention"]["hoax"]["matches"][0]["id"],
        fc_id.as_str()
    );

    // Log out: the next API call is anonymous again.
    click(&c, "#logout").await;
    until(
        &c,
        "the login page again",
        "return location.pathname === '/login'",
    )
    .await;
    let status = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; fetch('/api/me').then(r => done(r.status));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, 401);
    c.close().await.unwrap();
}
