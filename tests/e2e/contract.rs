//! The API contract: schemathesis (property-based, from the Python registry; `.ci/run` installs
//! it, pinned, next to TEST_PYTHON) runs every check it has against `simak run --demo`, with
//! the demo admin's API token and with the demo viewer's, using the OpenAPI document the server
//! serves. Any server error, any answer the document does not describe (status, content type,
//! body schema), any schema-valid request refused or any invalid one accepted fails the test.
//!
//! The demo's accounts log in with the printed passwords; API clients use API tokens
//! (`Authorization: Bearer smk_…`, from `simak user token`), which need no CSRF token.
//!
//! The checks are all of schemathesis's, with its `positive_data_acceptance` replaced by the
//! same check that lets a 400 `bad_query` pass on the two operations taking the search query
//! language (`contract_hooks.py` says why). `contract.toml` gives it the token.
//!
//! `SIMAK_CONTRACT_EXAMPLES` sets the examples per operation (default 50).

use crate::harness::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The schemathesis CLI next to TEST_PYTHON.
fn schemathesis() -> PathBuf {
    let st = test_python().with_file_name("st");
    assert!(
        st.exists(),
        "{} is missing: install schemathesis into TEST_PYTHON's virtualenv (bash .ci/run does)",
        st.display()
    );
    st
}

/// What one schemathesis run reported.
struct Run {
    ok: bool,
    /// schemathesis's count line: generated, passed, failed, skipped.
    cases: String,
    output: String,
}

fn run_schemathesis(base: &str, token: &str, who: &str, report: &std::path::Path) -> Run {
    let examples = std::env::var("SIMAK_CONTRACT_EXAMPLES").unwrap_or_else(|_| "50".into());
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e");
    let started = Instant::now();
    let out = std::process::Command::new(schemathesis())
        .arg("--config-file")
        .arg(here.join("contract.toml"))
        .arg("--no-color")
        .args(["run", &format!("{base}/api/openapi.json")])
        .args(["--checks", "all"])
        .args(["--exclude-checks", "positive_data_acceptance"])
        .args(["--max-examples", &examples])
        .args(["--seed", "20261207"])
        .args(["--workers", "1"])
        .args(["--request-timeout", "30"])
        .args(["--report", "junit"])
        .arg("--report-junit-path")
        .arg(report)
        .args(["--output-truncate", "true"])
        // Its cache and reports stay in the test's directory, not in the clone.
        .current_dir(report.parent().unwrap())
        .env("SIMAK_CONTRACT_TOKEN", token)
        .env("SCHEMATHESIS_HOOKS", here.join("contract_hooks.py"))
        .output()
        .expect("schemathesis runs");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "schemathesis as {who}: exit {:?} after {:?}\n{}",
        out.status.code(),
        started.elapsed(),
        output
            .lines()
            .rev()
            .take(25)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // "Test cases:\n  949 generated, 949 passed, 50 skipped"
    let cases = output
        .lines()
        .skip_while(|l| !l.starts_with("Test cases:"))
        .nth(1)
        .unwrap_or_default()
        .trim()
        .to_string();
    Run {
        ok: out.status.success(),
        cases,
        output,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_keeps_its_openapi_contract_for_an_admin_and_a_viewer() {
    schemathesis();
    let app = App::new(None, "");
    let (_demo, logins) = start_demo(&app);
    let users: Vec<String> = logins.into_keys().collect();
    let base = app.base_url();
    assert!(users.contains(&"demo".to_string()), "{users:?}");
    assert!(users.contains(&"pemantau-dinkes".to_string()), "{users:?}");
    // API tokens of the demo's admin and viewer (the demo keeps its accounts in data/demo).
    let demo_dir = app.dir.path().join("data/demo");
    let token = |user: &str| {
        let out = app
            .cmd(&["user", "token", user, "--name", "contract"])
            .env("SIMAK_DATA_DIR", &demo_dir)
            .output()
            .unwrap();
        assert_ok(&out);
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .find(|w| w.starts_with("smk_"))
            .unwrap()
            .to_string()
    };
    let (admin, viewer) = (token("demo"), token("pemantau-dinkes"));
    // Wait until the demo has data to answer with: mentions and cases.
    let c = reqwest::Client::new();
    let get = async |path: &str| -> serde_json::Value {
        match c
            .get(format!("{base}{path}"))
            .bearer_auth(&admin)
            .send()
            .await
        {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        }
    };
    wait_for("the demo's data", Duration::from_secs(120), || {
        let rt = tokio::runtime::Handle::current();
        tokio::task::block_in_place(|| {
            rt.block_on(async {
                let s = get("/api/search?q=*&limit=1").await;
                let r = get("/api/review?limit=1").await;
                (s["total"].as_u64().unwrap_or(0) > 1000
                    && r["cases"].as_array().is_some_and(|c| !c.is_empty()))
                .then_some(())
            })
        })
    });
    // Every invalid parameter is a 400 with a stable code, on every endpoint that takes it.
    let mut cases: Vec<(String, &str)> = Vec::new();
    for ep in ["/api/search?", "/api/export?"] {
        for (q, code) in [
            ("limit=0", "bad_request"),
            ("limit=1000000000", "bad_request"),
            ("limit=", "bad_request"),
            ("limit=+5", "bad_request"),
            ("offset=9001", "bad_request"),
            ("offset=1000000000000", "bad_request"),
            ("offset=-1", "bad_request"),
            ("sentiment=AAA", "bad_request"),
            ("sentiment=", "bad_request"),
            ("lang=xx", "bad_request"),
            ("hoax=maybe", "bad_request"),
            ("sort=oldest", "bad_request"),
            ("timeline=week", "bad_request"),
            ("since=kemarin", "bad_request"),
            ("since=2026-13-45", "bad_request"),
            ("until=2026-11-20T25:00:00Z", "bad_request"),
            ("until=", "bad_request"),
            ("sentimen=negative", "unknown_parameter"),
            ("q=banjir&page=2", "unknown_parameter"),
            ("q=%22unclosed", "bad_query"),
        ] {
            cases.push((format!("{ep}{q}"), code));
        }
    }
    cases.push(("/api/export?format=xlsx".into(), "bad_request"));
    for (q, code) in [
        ("limit=0", "bad_request"),
        ("limit=1000000000", "bad_request"),
        ("offset=1000000000000", "bad_request"),
        ("state=done", "bad_request"),
        ("min_score=2", "bad_request"),
        ("min_score=", "bad_request"),
        ("sort=score", "unknown_parameter"),
    ] {
        cases.push((format!("/api/review?{q}"), code));
    }
    for (q, code) in [
        ("limit=0", "bad_request"),
        ("limit=1000000000", "bad_request"),
        ("offset=10", "unknown_parameter"),
    ] {
        cases.push((format!("/api/factchecks?{q}"), code));
    }
    cases.push((
        "/api/summary/pemkab-sukamaju/2026-02-30".into(),
        "bad_request",
    ));
    cases.push(("/api/summary/pemkab-sukamaju/kemarin".into(), "bad_request"));
    for (path, code) in &cases {
        let r = c
            .get(format!("{base}{path}"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: serde_json::Value = r.json().await.unwrap_or_default();
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (400, Some(*code)),
            "{path}: {v}"
        );
    }
    // Unknown body fields too, and the message names the ones the body takes.
    for (path, body) in [
        (
            "/api/factchecks",
            serde_json::json!({"profile": "pemkab-sukamaju", "claim": "klaim yang beredar luas", "penjelasan": "x"}),
        ),
        (
            "/api/review/x/actions",
            serde_json::json!({"action": "take", "catatan": "x"}),
        ),
        (
            "/api/login",
            serde_json::json!({"username": "a", "password": "b", "remember": true}),
        ),
    ] {
        let r = c
            .post(format!("{base}{path}"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: serde_json::Value = r.json().await.unwrap_or_default();
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (400, Some("unknown_parameter")),
            "{path}: {v}"
        );
    }
    eprintln!(
        "{} invalid requests answered 400 with their codes",
        cases.len() + 3
    );

    let reports = app.dir.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let runs = [
        (
            "admin",
            run_schemathesis(&base, &admin, "admin", &reports.join("admin.xml")),
        ),
        (
            "viewer",
            run_schemathesis(&base, &viewer, "viewer", &reports.join("viewer.xml")),
        ),
    ];
    // The server is still up and never panicked.
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let log = std::fs::read_to_string(app.dir.path().join("demo.log")).unwrap_or_default();
    assert!(!log.contains("panicked"), "the server panicked:\n{log}");
    for (who, run) in &runs {
        eprintln!("schemathesis as {who}: {}", run.cases);
        assert!(
            run.ok,
            "schemathesis found contract failures as {who}:\n{}",
            run.output
        );
    }
}
