//! The command line: import errors, configuration errors, environment overrides, `simak run`.

use crate::harness::*;
use std::time::Duration;

#[test]
fn import_reports_bad_lines_and_imports_the_rest() {
    let app = App::new(None, "");
    let input = "{\"text\":\"Banjir di Sukamaju\"}\nthis is not json\n{\"title\":\"no text\"}\n\n{\"text\":\"Jalan rusak\",\"published_at\":\"kemarin\"}\n{\"id\":\"a:1\",\"text\":\"Terima kasih pemkab\"}\n";
    let out = app.import(input);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("<stdin>:2: not valid JSON"), "{err}");
    assert!(err.contains("<stdin>:3: missing `text`"), "{err}");
    assert!(err.contains("<stdin>:5: a date is not RFC 3339"), "{err}");
    assert!(err.contains("imported 2 mentions"), "{err}");
    // A clean file exits 0.
    let out = app.import("{\"text\":\"ok\"}\n");
    assert!(out.status.success());
    // A missing file is a usage error.
    let out = app.run(&["import", "/nonexistent/file.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open /nonexistent/file.jsonl"));
}

#[test]
fn unknown_config_key_names_key_and_file() {
    let app = App::new(None, "[sources]\ndedupe_windw = 5\n");
    let out = app.run(&["search", "x"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("dedupe_windw"), "{err}");
    assert!(err.contains(&app.config.display().to_string()), "{err}");
    // --config after the subcommand works too.
    let out = std::process::Command::new(SIMAK)
        .args(["search", "x", "--config"])
        .arg(&app.config)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("dedupe_windw"));
}

#[test]
fn environment_overrides_the_file() {
    let app = App::new(None, "");
    // An environment override that is wrong is reported as such.
    let out = app
        .cmd(&["search", "x"])
        .env("SIMAK_BUS__PARTITIONS", "lots")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.to_lowercase().contains("bus.partitions"), "{err}");
    assert!(err.contains("environment"), "{err}");
    // And a right one takes effect: the data dir moves.
    let other = app.dir.path().join("elsewhere");
    let out = app
        .cmd(&["import", "-"])
        .env("SIMAK_DATA_DIR", &other)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(other.join("log").exists(), "SIMAK_DATA_DIR moved the log");
    // --data-dir beats both.
    let third = app.dir.path().join("third");
    let out = app
        .cmd(&["import", "-", "--data-dir"])
        .arg(&third)
        .env("SIMAK_DATA_DIR", &other)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(third.join("log").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn run_serves_search_on_the_embedded_log_and_stops_cleanly() {
    let app = App::new(None, "");
    let mut run = app.spawn(&["run"]);
    let out = app.import(&mentions_jsonl("run", 0..50));
    assert!(out.status.success());
    let url = format!("{}/api/search?q=banjir&limit=100", app.base_url());
    let mut total = serde_json::Value::Null;
    for _ in 0..600 {
        if let Ok(r) = crate::harness::http_get(&url).await {
            total = r.json::<serde_json::Value>().await.unwrap_or_default()["total"].clone();
            if total == 10 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(total, 10, "{}", app.logs());
    // A second writer of the same data dir is refused with a clear message.
    let out = app.run(&["index"]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another process"), "{err}");
    let status = run.terminate();
    assert!(
        status.success(),
        "simak run exits 0 on SIGTERM: {status}\n{}",
        app.logs()
    );
}

#[test]
fn user_accounts_are_managed_from_the_command_line() {
    let app = App::new(None, "");
    let ok = |args: &[&str]| {
        let out = app.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let pw = app.dir.path().join("pw.txt");
    std::fs::write(&pw, "rahasia-kantor-123\n").unwrap();
    let out = ok(&[
        "user",
        "add",
        "humas-dinkes-1",
        "--role",
        "officer",
        "--profile",
        "pemkab-sukamaju",
        "--name",
        "Humas Dinkes",
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(
        out.contains("added humas-dinkes-1 (officer, profiles: pemkab-sukamaju)"),
        "{out}"
    );
    assert!(
        !out.contains("rahasia"),
        "a given password is never printed"
    );
    let out = ok(&[
        "user",
        "add",
        "humas-dinkes-2",
        "--profile",
        "pemkab-sukamaju",
    ]);
    let generated = out
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .unwrap();
    assert_eq!(generated.len(), 16);
    // Bad input: a clear message, exit 2.
    let out = app.run(&["user", "add", "Bad Name", "--profile", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lowercase letters"));
    let out = app.run(&["user", "add", "tanpa-opd", "--role", "officer"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least one watch profile"));
    // Staff rotate: the account's work goes to another, its history stays.
    let out = ok(&[
        "user",
        "token",
        "humas-dinkes-1",
        "--name",
        "laporan-harian",
    ]);
    assert!(out.contains("smk_"));
    let out = ok(&[
        "user",
        "disable",
        "humas-dinkes-1",
        "--hand-over-to",
        "humas-dinkes-2",
    ]);
    assert!(
        out.contains("0 open review cases handed over to humas-dinkes-2"),
        "{out}"
    );
    let list = ok(&["user", "list", "--json"]);
    let accounts: Vec<serde_json::Value> = list
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|a| a["username"].as_str().unwrap().starts_with("humas-"))
        .collect();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0]["username"], "humas-dinkes-1");
    assert_eq!(accounts[0]["disabled"], true);
    assert_eq!(accounts[0]["handed_over_to"], "humas-dinkes-2");
    let out = ok(&["user", "reset", "humas-dinkes-2"]);
    assert!(out.contains("new password for humas-dinkes-2 (shown once): "));
    let audit = ok(&["user", "audit"]);
    for action in [
        "account.add",
        "token.create",
        "account.disable",
        "account.password",
    ] {
        assert!(audit.contains(action), "{action} in\n{audit}");
    }
    assert!(audit.contains("cli:"), "the actor is the operator");
    assert!(!audit.contains("rahasia"), "no password in the audit log");
}

/// `simak eval lang | head -1`: a reader that stops early closes the pipe. The command must end
/// quietly (SIGPIPE, as `cat` or `grep` do), not panic with "failed printing to stdout".
#[test]
fn printing_into_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    // The reading end is closed before the command writes its first line.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(SIMAK)
        .args(["eval", "lang"])
        .env("SIMAK_LOG", "warn")
        .env_remove("SIMAK_CONFIG")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "{:?}: {err}",
        out.status
    );
}
