//! Fault injection across stages (issue 15, item 3). Each scenario breaks one thing under a
//! running pipeline, lets it come back, and ends with every mention produced indexed exactly
//! once (none lost, none duplicated) and every queued alert delivered exactly once. Each prints
//! its figures as one `FAULTS` line (run with `--nocapture` to see them):
//! mentions sent / indexed / duplicated, alerts queued / delivered.

use crate::harness::*;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Figures and checks

/// Prints the scenario's figures in one greppable line.
fn report(scenario: &str, sent: usize, indexed: usize, dup: usize, alerts: (usize, usize)) {
    eprintln!(
        "FAULTS {scenario}: mentions sent {sent}, indexed {indexed}, duplicated {dup}; \
         alerts queued {}, delivered {}",
        alerts.0, alerts.1
    );
}

/// Waits until the index holds every id of `expected`, then checks it holds nothing else and
/// nothing twice. Returns (indexed, duplicated).
fn assert_index_exactly(
    app: &App,
    expected: &HashSet<String>,
    timeout: Duration,
) -> (usize, usize) {
    let path = app.index_path();
    let deadline = Instant::now() + timeout;
    let (n, ids) = loop {
        let (n, ids) = index_ids(&path);
        let have: HashSet<&String> = ids.iter().collect();
        if expected.iter().all(|id| have.contains(id)) {
            break (n, ids);
        }
        assert!(
            Instant::now() < deadline,
            "the index holds {} of {} mentions after {timeout:?}\n{}",
            expected.iter().filter(|id| have.contains(id)).count(),
            expected.len(),
            app.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // A late duplicate would land within a commit interval (300 ms): give it more than that.
    std::thread::sleep(Duration::from_millis(1000));
    let (n2, ids2) = index_ids(&path);
    assert_eq!(
        (n, ids.len()),
        (n2, ids2.len()),
        "the index is still changing"
    );
    let unique: HashSet<&String> = ids.iter().collect();
    let dup = ids.len() - unique.len();
    assert_eq!(dup, 0, "duplicates in the index");
    assert_eq!(n as usize, ids.len());
    let extra: Vec<&&String> = unique
        .iter()
        .filter(|id| !expected.contains(**id))
        .collect();
    assert!(
        extra.is_empty(),
        "the index holds ids never produced: {extra:?}"
    );
    (unique.len(), dup)
}

/// The outbox rows of the app: (key, version, state, attempts).
fn outbox(app: &App) -> Vec<(String, i64, String, i64)> {
    let store = simak_alert::AlertStore::open(&app.dir.path().join("data/alerts.sqlite")).unwrap();
    store
        .outbox(10_000)
        .unwrap()
        .into_iter()
        .map(|i| (i.key, i.version, i.state, i.attempts))
        .collect()
}

/// Waits until at least `min` alerts are queued, every row is sent and the SMTP server holds one
/// message per row, then checks no row was delivered twice (nor later). Returns (queued,
/// delivered).
fn assert_alerts_exactly_once(
    app: &App,
    smtp: &Smtp,
    min: usize,
    timeout: Duration,
) -> (usize, usize) {
    let (queued, delivered, resent) = assert_alerts_delivered(app, smtp, min, timeout);
    assert_eq!(resent, 0, "alerts delivered more than once");
    (queued, delivered)
}

/// [`assert_alerts_exactly_once`] where the sender was killed with SIGKILL while delivering:
/// an e-mail the server accepted just before the kill, and that was not yet marked sent, goes
/// again after the restart (SMTP gives no way to ask the server whether it got it). Such a
/// repeat must carry the same Message-ID (so mail clients show it once) and comes at most once
/// per e-mail. Returns (queued, delivered once at least, repeated).
fn assert_alerts_delivered(
    app: &App,
    smtp: &Smtp,
    min: usize,
    timeout: Duration,
) -> (usize, usize, usize) {
    let deadline = Instant::now() + timeout;
    loop {
        let rows = outbox(app);
        let all_sent = rows.len() >= min && rows.iter().all(|r| r.2 == "sent");
        if all_sent && smtp.messages().len() >= rows.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "alerts not all delivered: {rows:?}, {} messages\n{}",
            smtp.messages().len(),
            app.logs()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    // Waiting for something not to happen: a repeat would come with the sender's next round
    // (every 500 ms at most).
    std::thread::sleep(Duration::from_millis(1500));
    let rows = outbox(app);
    let msgs = smtp.messages();
    let mut delivered: HashMap<String, usize> = HashMap::new();
    let mut message_ids: HashMap<String, HashSet<String>> = HashMap::new();
    for m in &msgs {
        let key = m["alert"].as_str().unwrap_or("?").to_string();
        *delivered.entry(key.clone()).or_default() += 1;
        message_ids
            .entry(key)
            .or_default()
            .insert(m["message_id"].as_str().unwrap_or("?").to_string());
    }
    let queued: HashSet<String> = rows.iter().map(|r| format!("{} v{}", r.0, r.1)).collect();
    assert_eq!(
        queued.len(),
        rows.len(),
        "one outbox row per alert version: {rows:?}"
    );
    let twice: Vec<_> = delivered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.iter().all(|(_, n)| **n == 2),
        "alerts delivered more than twice: {twice:?}"
    );
    let other_ids: Vec<_> = message_ids
        .iter()
        .filter(|(_, ids)| ids.len() > 1)
        .collect();
    assert!(
        other_ids.is_empty(),
        "an alert delivered under two Message-IDs: {other_ids:?}"
    );
    let got: HashSet<String> = delivered.keys().cloned().collect();
    assert_eq!(got, queued, "delivered and queued alerts differ");
    (rows.len(), got.len(), twice.len())
}

// ---------------------------------------------------------------------------------------------
// A growing news feed

/// An RSS feed served on loopback that publishes `step` new items every `tick` until `total`:
/// the source a running `simak ingest` polls while the faults happen.
struct Feed {
    addr: SocketAddr,
    published: Arc<AtomicUsize>,
    prefix: &'static str,
    total: usize,
    _rt: tokio::runtime::Runtime,
}

fn feed_link(prefix: &str, i: usize) -> String {
    format!("https://berita.example.id/{prefix}/{i}")
}

impl Feed {
    fn start(prefix: &'static str, total: usize, step: usize, tick: Duration) -> Feed {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let published = Arc::new(AtomicUsize::new(0));
        let p = published.clone();
        let router = axum::Router::new().route(
            "/feed.xml",
            axum::routing::get(move || {
                let n = p.load(Ordering::SeqCst);
                async move {
                    (
                        [("content-type", "application/rss+xml; charset=utf-8")],
                        rss(prefix, n),
                    )
                }
            }),
        );
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move { axum::serve(listener, router).await.unwrap() });
        let p = published.clone();
        rt.spawn(async move {
            loop {
                let now = p.load(Ordering::SeqCst);
                if now >= total {
                    return;
                }
                p.store((now + step).min(total), Ordering::SeqCst);
                tokio::time::sleep(tick).await;
            }
        });
        Feed {
            addr,
            published,
            prefix,
            total,
            _rt: rt,
        }
    }

    /// The `[sources.rss]` configuration that polls this feed every second.
    fn config(&self) -> String {
        format!(
            "[sources.rss]\ninterval_secs = 1\nmax_backoff_secs = 2\n[[sources.rss.feeds]]\nname = \"faults\"\nurl = \"http://{}/feed.xml\"\n",
            self.addr
        )
    }

    fn published(&self) -> usize {
        self.published.load(Ordering::SeqCst)
    }

    fn wait_all_published(&self) {
        wait_for(
            "the feed to publish everything",
            Duration::from_secs(120),
            || (self.published() >= self.total).then_some(()),
        );
    }

    /// The mention ids of everything published.
    fn ids(&self) -> HashSet<String> {
        (0..self.published())
            .map(|i| simak_core::url_mention_id("rss", &feed_link(self.prefix, i)))
            .collect()
    }
}

fn rss(prefix: &str, n: usize) -> String {
    let texts = [
        "Jalan di depan kantor kecamatan rusak parah dan belum diperbaiki",
        "Pelayanan KTP di Disdukcapil sekarang cepat sekali",
        "Banjir lagi di Sukamaju, warga minta pemkab segera bertindak",
        "Antrean BPJS di puskesmas panjang sejak pagi",
        "Festival budaya kabupaten ramai dikunjungi wisatawan",
    ];
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Berita Sukamaju</title>\
         <link>https://berita.example.id/</link><description>Berita daerah</description>\n",
    );
    let base = chrono::DateTime::parse_from_rfc3339("2026-11-20T08:00:00+07:00").unwrap();
    // Newest first, as feeds are.
    for i in (0..n).rev() {
        let at = base + chrono::Duration::seconds(i as i64 * 30);
        s.push_str(&format!(
            "<item><title>Laporan warga {i}</title><link>{}</link><description>{} (laporan {prefix} {i})</description><pubDate>{}</pubDate></item>\n",
            feed_link(prefix, i),
            texts[i % texts.len()],
            at.to_rfc2822()
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

// ---------------------------------------------------------------------------------------------
// A broker that can go away: tansu behind a TCP proxy the test stops and starts

/// A TCP proxy on a fixed loopback port in front of the broker. `down` closes the port and cuts
/// every connection (clients see connection refused, as when the broker process is gone); `up`
/// listens again on the same port.
struct Proxy {
    port: u16,
    target: String,
    rt: tokio::runtime::Runtime,
    stop: Option<tokio_util::sync::CancellationToken>,
}

impl Proxy {
    fn new(target: &str) -> Proxy {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut p = Proxy {
            port: free_port(),
            target: target.to_string(),
            rt,
            stop: None,
        };
        p.up();
        p
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn up(&mut self) {
        assert!(self.stop.is_none());
        let listener = wait_for("the proxy port", Duration::from_secs(10), || {
            self.rt
                .block_on(tokio::net::TcpListener::bind(("127.0.0.1", self.port)))
                .ok()
        });
        let token = tokio_util::sync::CancellationToken::new();
        let (t, target) = (token.clone(), self.target.clone());
        self.rt.spawn(async move {
            loop {
                let (mut inbound, _) = tokio::select! {
                    _ = t.cancelled() => return,
                    r = listener.accept() => match r { Ok(c) => c, Err(_) => continue },
                };
                let (t, target) = (t.clone(), target.clone());
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = t.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    }
                });
            }
        });
        self.stop = Some(token);
    }

    fn down(&mut self) {
        if let Some(t) = self.stop.take() {
            t.cancel();
        }
        // The listener and the connections close as their tasks see the cancellation.
        wait_for("the proxy port to close", Duration::from_secs(10), || {
            std::net::TcpStream::connect(self.addr())
                .is_err()
                .then_some(())
        });
    }
}

/// moto's S3 server (a real S3-protocol HTTP server) with an empty bucket `tansu`: storage
/// for the broker that outlives the broker's process, so a broker killed with -9 can be
/// started again on the same topics, records and committed offsets.
struct S3 {
    endpoint: String,
    _proc: Proc,
}

impl S3 {
    fn start() -> S3 {
        let port = free_port();
        let child = std::process::Command::new(test_python())
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start moto's S3 server (installed by .ci/run; set TEST_PYTHON)");
        let proc = Proc {
            child,
            name: "moto".into(),
        };
        let mut conn = wait_for("the S3 server to listen", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        use std::io::{Read, Write};
        write!(
            conn,
            "PUT /tansu HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "create bucket: {answer}"
        );
        S3 {
            endpoint: format!("http://127.0.0.1:{port}"),
            _proc: proc,
        }
    }
}

/// A tansu broker that keeps its topics, records and committed offsets in `s3`'s bucket and
/// advertises `advertised` as its address, so clients reach it only through that address.
fn tansu_advertising(advertised: &str, s3: &S3) -> (Proc, String) {
    let port = free_port();
    let listen = format!("tcp://127.0.0.1:{port}");
    let child = std::process::Command::new(tansu_binary())
        .args(["broker", "--listener-url", &listen])
        .args(["--advertised-listener-url", &format!("tcp://{advertised}")])
        .args(["--storage-engine", "s3://tansu/"])
        .env("AWS_ENDPOINT", &s3.endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start tansu");
    let addr = format!("127.0.0.1:{port}");
    wait_for("the broker to listen", Duration::from_secs(20), || {
        std::net::TcpStream::connect(&addr).ok()
    });
    (
        Proc {
            child,
            name: "tansu".into(),
        },
        addr,
    )
}

fn signal(p: &Proc, sig: i32) {
    // SAFETY: kill(2) with a pid we own.
    unsafe {
        libc::kill(p.child.id() as i32, sig);
    }
}

/// An SMTP server for alerts and the `[alerts]` table that delivers to it.
fn smtp_config(port: u16) -> String {
    format!("[alerts]\nsummary_time = \"\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n")
}

/// Ids `<p>:1..3` of [`crate::alerts::three_narratives`], one line each.
fn narratives(p: &str) -> Vec<String> {
    crate::alerts::three_narratives(p)
        .lines()
        .map(|l| format!("{l}\n"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// a. Broker down and back

/// Kafka layout (ingest, analyzer, indexer, alerter as their own processes). While a feed keeps
/// publishing, the broker is cut off (connection refused) for 6 s, then frozen (SIGSTOP: it
/// accepts and never answers) for 6 s, then resumed; then killed with -9 and, 5 s later, a new
/// broker process is started on the same storage (an S3 server) and put behind the same
/// address. Ingest keeps what it fetched and hands it over once the broker is back; the
/// analyzer, indexer and alerter carry on from their committed offsets.
#[test]
fn broker_down_and_back_loses_and_duplicates_nothing() {
    let t0 = Instant::now();
    let mut proxy = Proxy::new("127.0.0.1:1"); // target set below, once the broker has a port
    let s3 = S3::start();
    let (mut broker, broker_addr) = tansu_advertising(&proxy.addr(), &s3);
    proxy.down();
    proxy.target = broker_addr;
    proxy.up();
    let feed = Feed::start("brokerdown", 1000, 25, Duration::from_secs(1));
    let smtp_port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(smtp_port, &dir.path().join("maildir"));
    let app = App::new(
        Some(&proxy.addr()),
        &format!("{}{}", feed.config(), smtp_config(smtp_port)),
    );
    let _ingest = app.spawn(&["ingest"]);
    let _analyzer = app.spawn(&["analyze"]);
    let _indexer = app.spawn(&["index"]);
    let _alerter = app.spawn(&["alert"]);
    let alerts = narratives("bd");
    assert_ok(&app.import(&alerts[0]));
    wait_for(
        "the stream to reach the index",
        Duration::from_secs(90),
        || {
            let p = app.index_path();
            (p.exists() && index_ids(&p).0 >= 50).then_some(())
        },
    );
    assert!(
        feed.published() < 1000,
        "the feed was over before the outage"
    );

    // Down: connection refused, every open connection cut.
    let before = index_ids(&app.index_path()).0;
    proxy.down();
    eprintln!(
        "broker cut off at {before} indexed, {} published",
        feed.published()
    );
    let published_before = feed.published();
    std::thread::sleep(Duration::from_secs(6));
    // The outage was real: what the feed published meanwhile did not reach the index.
    let (during, published) = (index_ids(&app.index_path()).0, feed.published());
    eprintln!("after 6 s cut off: {during} indexed, {published} published");
    assert!(
        during < before + (published - published_before) as u64 / 2,
        "the pipeline went on as if the broker were there"
    );
    proxy.up();
    // A second alert goes in while the pipeline is catching up.
    assert_ok(&app.import(&alerts[1]));
    std::thread::sleep(Duration::from_secs(3));
    // Frozen: the port accepts, the broker answers nothing.
    signal(&broker, libc::SIGSTOP);
    eprintln!("broker frozen at {} published", feed.published());
    std::thread::sleep(Duration::from_secs(6));
    signal(&broker, libc::SIGCONT);
    std::thread::sleep(Duration::from_secs(3));

    // Killed: the broker process is gone mid-stream; a new one starts on the same storage.
    let before_kill = index_ids(&app.index_path()).0;
    broker.kill9();
    eprintln!(
        "broker killed at {before_kill} indexed, {} published",
        feed.published()
    );
    std::thread::sleep(Duration::from_secs(5));
    let (broker2, broker2_addr) = tansu_advertising(&proxy.addr(), &s3);
    proxy.down();
    proxy.target = broker2_addr;
    proxy.up();
    eprintln!("broker restarted at {} published", feed.published());
    assert_ok(&app.import(&alerts[2]));

    feed.wait_all_published();
    let mut expected = feed.ids();
    expected.extend((1..=3).map(|i| format!("bd:{i}")));
    let (indexed, dup) = assert_index_exactly(&app, &expected, Duration::from_secs(120));
    let alerts = assert_alerts_exactly_once(&app, &smtp, 3, Duration::from_secs(60));
    report("broker down and back", expected.len(), indexed, dup, alerts);
    drop(broker2);
    eprintln!("took {:?}", t0.elapsed());
}

// ---------------------------------------------------------------------------------------------
// b. SMTP refusing and timing out

/// An aiosmtpd server whose answer to RCPT is read from a file at each message: `451`
/// (temporary refusal), `550` (permanent refusal), or anything else to accept and store it in
/// a maildir.
const SMTP_MODES: &str = r#"
import os, sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
port, maildir, modefile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class Handler(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        mode = open(modefile).read().strip() if os.path.exists(modefile) else "ok"
        if mode == "451":
            return "451 4.3.0 Mailbox busy, try again later"
        if mode == "550":
            return "550 5.7.1 Relaying denied"
        envelope.rcpt_tos.append(address)
        return "250 OK"
c = Controller(Handler(maildir), hostname="127.0.0.1", port=port)
c.start()
threading.Event().wait()
"#;

fn smtp_with_modes(port: u16, maildir: &Path, modefile: &Path) -> Smtp {
    let child = std::process::Command::new(test_python())
        .args(["-c", SMTP_MODES, &port.to_string()])
        .arg(maildir)
        .arg(modefile)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    wait_for("the SMTP server to listen", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    Smtp::from_proc(
        maildir,
        Proc {
            child,
            name: "aiosmtpd (modes)".into(),
        },
    )
}

/// Waits until every one of `n` outbox rows has had more than `attempts` delivery attempts.
fn wait_attempts(app: &App, n: usize, attempts: i64, what: &str) -> i64 {
    let mut last = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let rows = outbox(app);
        if rows.len() >= n && rows.iter().all(|r| r.3 > attempts && r.2 == "pending") {
            return rows.iter().map(|r| r.3).max().unwrap();
        }
        assert!(
            rows.iter().all(|r| r.2 == "pending"),
            "an alert was marked sent during {what}: {rows:?}"
        );
        assert!(
            Instant::now() < deadline,
            "{what}: attempts did not grow past {attempts}: {last:?}\n{}",
            app.logs()
        );
        last = rows;
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Three alerts meet an SMTP port that accepts and never answers, then a server that refuses
/// them for now (451), then one that refuses them for good (550); they stay in the outbox
/// through all of it and are delivered exactly once when the server accepts again.
#[test]
fn smtp_hanging_and_refusing_keeps_alerts_and_delivers_each_once() {
    let t0 = Instant::now();
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    // Accepts connections and never says a word.
    let hang = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let held = Arc::new(std::sync::Mutex::new(Vec::new()));
    {
        let (hang, held) = (hang.try_clone().unwrap(), held.clone());
        std::thread::spawn(move || {
            for s in hang.incoming().flatten() {
                held.lock().unwrap().push(s);
            }
        });
    }
    let app = App::new(
        None,
        &format!("{}smtp_timeout_secs = 2\n", smtp_config(port)),
    );
    let _run = app.spawn(&["run"]);
    let posts = narratives("sm");
    assert_ok(&app.import(&posts.concat()));
    // The sender gives up on the silent server after its timeout (2 s): an attempt each.
    let a = wait_attempts(&app, 3, 0, "the silent server");
    assert!(
        !held.lock().unwrap().is_empty(),
        "nothing connected to the silent server"
    );
    // Closing the port: shut the listener down (the accept thread holds a clone).
    // SAFETY: shutdown(2) on a socket we own; the accept loop then ends with an error.
    unsafe {
        use std::os::fd::AsRawFd;
        libc::shutdown(hang.as_raw_fd(), libc::SHUT_RDWR);
    }
    drop(hang);
    held.lock().unwrap().clear();
    let modefile = dir.path().join("mode");
    std::fs::write(&modefile, "451").unwrap();
    let smtp = wait_for("the port to be free", Duration::from_secs(10), || {
        std::net::TcpListener::bind(("127.0.0.1", port)).ok()
    });
    drop(smtp);
    let smtp = smtp_with_modes(port, &dir.path().join("maildir"), &modefile);
    let a = wait_attempts(&app, 3, a, "451 refusals");
    std::fs::write(&modefile, "550").unwrap();
    let a = wait_attempts(&app, 3, a, "550 refusals");
    assert!(smtp.messages().is_empty());
    std::fs::write(&modefile, "ok").unwrap();
    eprintln!("SMTP accepts again after {a} attempts");
    let alerts = assert_alerts_exactly_once(&app, &smtp, 3, Duration::from_secs(90));
    assert_eq!(alerts, (3, 3));
    let expected: HashSet<String> = (1..=3).map(|i| format!("sm:{i}")).collect();
    let (indexed, dup) = assert_index_exactly(&app, &expected, Duration::from_secs(30));
    report("SMTP silent, 451, 550, then back", 3, indexed, dup, alerts);
    eprintln!("took {:?}", t0.elapsed());
}

// ---------------------------------------------------------------------------------------------
// c. A torn last record in the embedded log

/// The partition files of one topic of the embedded log.
fn partition_files(app: &App, topic: &str) -> Vec<PathBuf> {
    let dir = app.dir.path().join("data/log").join(topic);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    v.sort();
    v
}

fn sizes(files: &[PathBuf]) -> Vec<u64> {
    files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .collect()
}

/// `simak run` is killed mid-stream; then a writer dies in the middle of its append (the last
/// record of a mentions partition cut in half), and the analyzer's last append to the enriched
/// stream is torn too. The restarted pipeline reads up to the last whole record, the next
/// writers cut the torn bytes, and every acknowledged mention is indexed once.
#[test]
fn torn_last_record_is_dropped_and_nothing_acknowledged_is_lost() {
    let t0 = Instant::now();
    let app = App::new(None, "");
    let mut run = app.spawn(&["run"]);
    let feeder = {
        let config = app.config.clone();
        std::thread::spawn(move || {
            for start in (0..3000).step_by(300) {
                let mut cmd = std::process::Command::new(SIMAK);
                cmd.arg("--config").arg(&config).args(["import", "-"]);
                let out = with_stdin(cmd, &mentions_jsonl("torn", start..start + 300));
                assert_ok(&out);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    wait_for(
        "part of the stream indexed",
        Duration::from_secs(90),
        || {
            let p = app.index_path();
            (p.exists() && index_ids(&p).0 >= 600).then_some(())
        },
    );
    run.kill9();
    feeder.join().unwrap();
    let indexed_at_kill = index_ids(&app.index_path()).0;

    // A writer killed mid-append: one more mention appended, then its record cut in half.
    let mentions = partition_files(&app, "simak.mentions");
    let before = sizes(&mentions);
    let lost = mentions_jsonl("unacked", 0..1);
    assert_ok(&app.import(&lost));
    let after = sizes(&mentions);
    let p = (0..mentions.len())
        .find(|i| after[*i] > before[*i])
        .unwrap();
    let rec_len = after[p] - before[p];
    let torn_bytes = {
        let all = std::fs::read(&mentions[p]).unwrap();
        all[before[p] as usize..].to_vec()
    };
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&mentions[p])
        .unwrap();
    f.set_len(before[p] + rec_len / 2).unwrap();
    drop(f);
    // The analyzer killed mid-append to the enriched stream: half a record at its end.
    let enriched = partition_files(&app, "simak.enriched");
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&enriched[0])
            .unwrap();
        f.write_all(&torn_bytes[..torn_bytes.len() / 3]).unwrap();
    }

    let _run = app.spawn(&["run"]);
    // Every acknowledged mention gets through the torn tails.
    let mut expected: HashSet<String> = (0..3000).map(|i| format!("torn:{i}")).collect();
    assert_index_exactly(&app, &expected, Duration::from_secs(120));
    // New writers append after the last whole record (cutting the torn bytes), and readers
    // follow.
    assert_ok(&app.import(&mentions_jsonl("after", 0..300)));
    expected.extend((0..300).map(|i| format!("after:{i}")));
    let (indexed, dup) = assert_index_exactly(&app, &expected, Duration::from_secs(60));
    let log = app.log_text();
    let cut = log.matches("truncating a torn record").count();
    assert!(cut >= 1, "no writer cut the torn bytes:\n{}", app.logs());
    report(
        "torn last record (mentions and enriched)",
        expected.len(),
        indexed,
        dup,
        (0, 0),
    );
    eprintln!(
        "indexed at the kill: {indexed_at_kill}; torn records cut: {cut}; took {:?}",
        t0.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// d. kill -9 of each stage in the Kafka layout

/// Kafka layout, every stage its own process (`simak ingest`, `analyze`, `index`, `alert`),
/// a feed publishing throughout. Each stage in turn is killed with SIGKILL mid-stream and
/// started again.
#[test]
fn kafka_each_stage_killed_mid_stream_loses_and_duplicates_nothing() {
    let t0 = Instant::now();
    let broker = Broker::start();
    let feed = Feed::start("stagekill", 1200, 25, Duration::from_secs(1));
    let smtp_port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(smtp_port, &dir.path().join("maildir"));
    let app = App::new(
        Some(&broker.addr),
        &format!("{}{}", feed.config(), smtp_config(smtp_port)),
    );
    let mut stages: Vec<(&str, Proc)> = ["ingest", "analyze", "index", "alert"]
        .into_iter()
        .map(|s| (s, app.spawn(&[s])))
        .collect();
    let alerts = narratives("sk");
    let index = app.index_path();
    let indexed = || {
        if index.exists() {
            index_ids(&index).0
        } else {
            0
        }
    };
    wait_for(
        "the stream to reach the index",
        Duration::from_secs(90),
        || (indexed() >= 50).then_some(()),
    );
    for (name, proc) in stages.iter_mut() {
        let at = indexed();
        // An alert on its way while ingest, the analyzer or the alerter dies; the alerter dies
        // as soon as it has queued it (between queueing and marking it sent).
        let narrative = match *name {
            "ingest" => Some(0),
            "analyze" => Some(1),
            "alert" => Some(2),
            _ => None,
        };
        if let Some(i) = narrative {
            let queued = outbox(&app).len();
            assert_ok(&app.import(&alerts[i]));
            if *name == "alert" {
                let deadline = Instant::now() + Duration::from_secs(30);
                while outbox(&app).len() == queued && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        // The alerter dies on its alert's schedule; the others while the feed still publishes.
        assert!(
            *name == "alert" || feed.published() < feed.total,
            "the feed was over before `simak {name}` was killed: the test would prove less"
        );
        proc.kill9();
        eprintln!(
            "killed `simak {name}` at {at} indexed, {} published",
            feed.published()
        );
        std::thread::sleep(Duration::from_secs(1));
        *proc = app.spawn(&[name]);
        // Going on once the stream moves again past the restarted stage.
        wait_for(
            &format!("the stream to move after restarting {name}"),
            Duration::from_secs(90),
            || (indexed() > at + 25).then_some(()),
        );
    }
    feed.wait_all_published();
    let mut expected = feed.ids();
    expected.extend((1..=3).map(|i| format!("sk:{i}")));
    let (indexed, dup) = assert_index_exactly(&app, &expected, Duration::from_secs(120));
    let (queued, delivered, resent) =
        assert_alerts_delivered(&app, &smtp, 3, Duration::from_secs(60));
    report(
        "kill -9 of ingest, analyzer, indexer, alerter (Kafka)",
        expected.len(),
        indexed,
        dup,
        (queued, delivered),
    );
    eprintln!(
        "alerts re-sent after the alerter's kill (accepted by the server, not yet marked; same \
         Message-ID): {resent}"
    );
    eprintln!("took {:?}", t0.elapsed());
}

/// `simak import -` with `input` on stdin, for an import expected to fail part-way (it may stop
/// reading its input early).
fn import_may_fail(mut cmd: std::process::Command, input: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

// ---------------------------------------------------------------------------------------------
// e. Disk full on the index and on the embedded log

/// A tmpfs of `size` mounted on `at` (root only); unmounted when dropped.
struct Tmpfs {
    at: PathBuf,
}

impl Tmpfs {
    /// None (with a message) when this process may not mount.
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIPPED: mounting a small tmpfs to fill the disk needs root");
            return None;
        }
        std::fs::create_dir_all(at).unwrap();
        let out = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .output()
            .expect("mount");
        if !out.status.success() {
            eprintln!(
                "SKIPPED: cannot mount a tmpfs here: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return None;
        }
        Some(Tmpfs {
            at: at.to_path_buf(),
        })
    }

    /// Fills the filesystem with a file until `room` bytes are left; returns the file.
    fn fill_leaving(&self, room: u64) -> PathBuf {
        use std::io::Write;
        let path = self.at.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        while f.write_all(&[0u8; 4096]).is_ok() {}
        let len = f.metadata().unwrap().len();
        f.set_len(len.saturating_sub(room)).unwrap();
        drop(f);
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.at)
            .status();
    }
}

/// The index's disk fills while mentions arrive: the indexer reports it and retries, the index
/// stays readable with what it had, and everything is indexed once space returns.
#[test]
fn index_disk_full_reports_keeps_the_index_and_resumes() {
    let t0 = Instant::now();
    let app = App::new(None, "");
    let Some(fs) = Tmpfs::mount(&app.index_path(), "24m") else {
        return;
    };
    let mut run = app.spawn(&["run"]);
    assert_ok(&app.import(&mentions_jsonl("dfi", 0..500)));
    let mut expected: HashSet<String> = (0..500).map(|i| format!("dfi:{i}")).collect();
    assert_index_exactly(&app, &expected, Duration::from_secs(60));
    let filler = fs.fill_leaving(256 * 1024);
    assert_ok(&app.import(&mentions_jsonl("dfi", 500..3000)));
    // The supervisor's warning names the stage and says the disk is full, with the free bytes,
    // whether the commit hit the full disk (tantivy's own "No space left on device") or a writer
    // thread did (tantivy passes on only "An index writer was killed").
    let full = |l: &str| {
        l.contains("stage failed")
            && l.contains("\"indexer\"")
            && l.contains("the disk holding the index at")
            && l.contains("is full (")
    };
    app.wait_log_line("the indexer to report the full disk", full);
    eprintln!(
        "reported: {}",
        app.log_text().lines().find(|l| full(l)).unwrap_or_default()
    );
    // Reported, not fatal, and the index still opens with what it had.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        run.child.try_wait().unwrap().is_none(),
        "simak run stopped:\n{}",
        app.logs()
    );
    let (n, _) = index_ids(&app.index_path());
    assert!(n >= 500, "the index lost documents on a full disk: {n}");
    std::fs::remove_file(&filler).unwrap();
    expected.extend((500..3000).map(|i| format!("dfi:{i}")));
    let (indexed, dup) = assert_index_exactly(&app, &expected, Duration::from_secs(120));
    run.terminate();
    report("index disk full", expected.len(), indexed, dup, (0, 0));
    eprintln!("took {:?}", t0.elapsed());
    drop(fs);
}

/// The embedded log's disk fills: an import fails with a clear error and `simak run` keeps
/// going; once space returns, the same import run again completes and each mention is indexed
/// once (what the failed import had stored before the disk filled is stored again, and the
/// index keeps one copy).
#[test]
fn log_disk_full_fails_imports_clearly_keeps_running_and_resumes() {
    let t0 = Instant::now();
    let app = App::new(None, "");
    let Some(fs) = Tmpfs::mount(&app.dir.path().join("data/log"), "8m") else {
        return;
    };
    let mut run = app.spawn(&["run"]);
    assert_ok(&app.import(&mentions_jsonl("dfl", 0..500)));
    let mut expected: HashSet<String> = (0..500).map(|i| format!("dfl:{i}")).collect();
    assert_index_exactly(&app, &expected, Duration::from_secs(60));
    let filler = fs.fill_leaving(256 * 1024);
    let batch = mentions_jsonl("dfl", 500..2500);
    let out = import_may_fail(app.cmd(&["import", "-"]), &batch);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "an import into a full log succeeded");
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(
        err.matches("No space left on device").count(),
        1,
        "the cause is named once: {err}"
    );
    eprintln!("import into a full log: {}", err.trim());
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        run.child.try_wait().unwrap().is_none(),
        "simak run stopped:\n{}",
        app.logs()
    );
    std::fs::remove_file(&filler).unwrap();
    assert_ok(&app.import(&batch));
    expected.extend((500..2500).map(|i| format!("dfl:{i}")));
    let (indexed, dup) = assert_index_exactly(&app, &expected, Duration::from_secs(120));
    run.terminate();
    report(
        "embedded log disk full",
        expected.len(),
        indexed,
        dup,
        (0, 0),
    );
    eprintln!("took {:?}", t0.elapsed());
    drop(fs);
}
