//! Accounts on a running server: anonymous calls get 401, an officer sees only its OPD's
//! mentions and cases (403 for another's profile, 404 for its ids), a session cookie needs its
//! CSRF token to write, failed logins are rate limited for the guesser only, and a fresh install creates an admin whose password is in
//! a file, not in the log.

use crate::harness::*;
use serde_json::Value;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn accounts_scope_and_protect_the_api() {
    let app = App::new(None, "");
    app.add_user(
        "humas-lain",
        "officer",
        "diskominfo-sukamaju",
        None,
        "kata-sandi-dinkes",
    );
    app.add_user(
        "humas-sebelah",
        "officer",
        "diskominfo-sukamaju",
        None,
        "kata-sandi-sebelah",
    );
    let _run = app.spawn(&["run"]);
    let out = app.import(concat!(
        "{\"id\":\"a:1\",\"source\":\"x\",\"text\":\"Jalan rusak di depan kantor Pemkab Sukamaju\",\"published_at\":\"2026-11-20T08:00:00+07:00\"}\n",
        "{\"id\":\"a:2\",\"source\":\"x\",\"text\":\"Jalan rusak di desa lain\",\"published_at\":\"2026-11-20T08:00:00+07:00\"}\n",
    ));
    assert!(out.status.success());
    let base = app.base_url();
    let mut ok = false;
    for _ in 0..300 {
        if let Ok(r) = http_get(format!("{base}/api/search?q=rusak")).await {
            if r.json::<Value>().await.unwrap_or_default()["total"] == 2 {
                ok = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "{}", app.logs());

    let anon = reqwest::Client::new();
    for path in [
        "/api/search?q=rusak",
        "/api/review",
        "/api/alerts",
        "/api/sources",
        "/api/me",
    ] {
        let r = anon.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "unauthorized", "{path}");
    }
    // Pages send an anonymous visitor to the login page.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let r = anon.get(format!("{base}/login")).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("Masuk"));

    // Log in as the officer of another OPD: a cookie session.
    let jar = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = jar
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": "humas-lain", "password": "kata-sandi-dinkes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let login: Value = r.json().await.unwrap();
    let csrf = login["csrf"].as_str().unwrap().to_string();
    // It sees only its own profile's mentions: none of these matched it.
    let v: Value = jar
        .get(format!("{base}/api/search?q=rusak"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 0, "{v}");
    // Its stats count what it can see, not every OPD's mentions.
    let v: Value = jar
        .get(format!("{base}/api/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["mentions"], 0, "{v}");
    let v: Value = http_get(format!("{base}/api/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["mentions"], 2, "{v}");
    // One GET from any login once aborted the whole server: a page a trillion hits deep
    // (tantivy reserved offset + limit up front) and 8,000 nested parentheses (a stack
    // overflow), in search and in export. Now each is a 400 saying what was wrong, and the
    // server goes on.
    let deep = "(".repeat(8000) + "banjir" + &")".repeat(8000);
    let nots = "NOT ".repeat(3000) + "banjir";
    for (path, code) in [
        (
            "/api/search?q=*&limit=1&offset=1000000000000".to_string(),
            "bad_request",
        ),
        (
            "/api/search?q=*&limit=1000&offset=9001".to_string(),
            "bad_request",
        ),
        (format!("/api/search?q={deep}"), "bad_query"),
        (format!("/api/search?q={nots}"), "bad_query"),
        (format!("/api/export?q={deep}"), "bad_query"),
        ("/api/search?q=profiles:*".to_string(), "bad_query"),
        ("/api/search?q=text:*".to_string(), "bad_query"),
        ("/api/search?cursor=zz".to_string(), "bad_query"),
        (
            "/api/search?timeline=hour&since=2000-01-01&until=2026-01-01".to_string(),
            "bad_query",
        ),
    ] {
        let r = jar.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], code, "{path}: {v}");
    }
    let r = http_get(format!("{base}/api/search?q=rusak&limit=1"))
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["total"], 2, "the server is still up: {v}");
    let next = v["next_cursor"]
        .as_str()
        .expect("a cursor to the second hit");
    let v: Value = http_get(format!("{base}/api/search?q=rusak&limit=1&cursor={next}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["hits"].as_array().unwrap().len(), 1, "{v}");
    assert!(v.get("next_cursor").is_none(), "{v}");
    let r = jar
        .get(format!("{base}/api/search?q=rusak&profile=pemkab-sukamaju"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "forbidden"
    );
    let r = jar
        .get(format!("{base}/summary/pemkab-sukamaju/2026-11-20"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The admin sees the Pemkab's mention under its profile.
    let v: Value = http_get(format!("{base}/api/search?q=rusak&profile=pemkab-sukamaju"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 1, "{v}");

    // Writing with the cookie needs the CSRF token.
    let r = jar.post(format!("{base}/api/logout")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "csrf");
    let r = jar
        .post(format!("{base}/api/logout"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = jar.get(format!("{base}/api/me")).send().await.unwrap();
    assert_eq!(r.status(), 401, "logged out");

    // Failed logins are rate limited.
    let mut last = 0;
    for _ in 0..6 {
        let r = anon
            .post(format!("{base}/api/login"))
            .json(&serde_json::json!({"username": "humas-lain", "password": "salah-salah-salah"}))
            .send()
            .await
            .unwrap();
        last = r.status().as_u16();
    }
    assert_eq!(last, 429);
    // Locked out: that name from this address only. A colleague at the same address (or
    // everyone behind the office's proxy) still logs in.
    let r = anon
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": "humas-lain", "password": "kata-sandi-dinkes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let r = anon
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": "humas-sebelah", "password": "kata-sandi-sebelah"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a colleague at the same address");

    // The harness created an account first, so no bootstrap admin here.
    assert!(!app.dir.path().join("data/initial-admin-password").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_install_creates_an_admin_with_its_password_in_a_file() {
    let app = App::new(None, "");
    // Start from no accounts at all.
    std::fs::remove_file(app.dir.path().join("data/accounts.sqlite")).unwrap();
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(app.dir.path().join(format!("data/accounts.sqlite{ext}")));
    }
    let _run = app.spawn(&["run"]);
    let file = app.dir.path().join("data/initial-admin-password");
    let pw = wait_for(
        "the initial admin password",
        Duration::from_secs(30),
        || {
            std::fs::read_to_string(&file)
                .ok()
                .filter(|s| !s.is_empty())
        },
    );
    let pw = pw.trim().to_string();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!app.logs().contains(&pw), "the password is not in the log");
    // The data directory and the accounts database are the account's own.
    let mode = |p: &str| {
        std::fs::metadata(app.dir.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("data"), 0o700);
    assert_eq!(mode("data/accounts.sqlite"), 0o600);
    assert_eq!(mode("data/review.sqlite"), 0o600);
    let base = app.base_url();
    let client = reqwest::Client::new();
    let mut status = 0;
    for _ in 0..100 {
        if let Ok(r) = client
            .post(format!("{base}/api/login"))
            .json(&serde_json::json!({"username": "admin", "password": pw}))
            .send()
            .await
        {
            status = r.status().as_u16();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
}
