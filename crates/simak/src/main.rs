//! The `simak` command: CLI wiring and stage start-up. Benches live in `simak-bench`, the demo
//! in `simak-demo`, training and evaluation in `simak-models`.

mod review;
mod user;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use simak_bus::Bus;
use simak_core::Config;
use simak_index::{MentionSearcher, SearchError, SearchRequest, Sort};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc instead of glibc malloc: the analyzer and tantivy allocate many small strings from
/// several threads, where glibc's malloc and free took about a fifth of `bench pipeline`'s CPU.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use tokio_util::sync::CancellationToken;

/// Simak: social listening and hoax monitoring for Indonesian government PR offices.
#[derive(Parser)]
#[command(name = "simak", version, about)]
struct Cli {
    /// Configuration file (default: $SIMAK_CONFIG, else config/simak.toml if it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (overrides `data_dir` in the configuration).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every stage and the HTTP server in one process (embedded log unless brokers are set).
    Run {
        /// Start on the bundled demo set instead: a fictional Pemkab and its OPDs, two weeks of
        /// mentions with hoax waves, in `<data_dir>/demo` (rebuilt at each start); prints the
        /// demo logins.
        #[arg(long)]
        demo: bool,
    },
    /// Run the sources only: collect mentions into the log.
    Ingest,
    /// Run the analyzer stage only.
    Analyze,
    /// Run the indexer stage only.
    Index,
    /// Run the alert stage only (rules on the enriched stream, outbox, e-mail).
    Alert,
    /// Run the HTTP server only, on this machine's index.
    Serve,
    /// Search the index.
    Search(SearchArgs),
    /// Import mentions from a JSONL file (`-` for standard input) into the log.
    Import {
        /// The file, or `-`.
        file: String,
    },
    /// Show what the index and the log hold.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read mentions as JSONL on stdin; write them with `lang`, `sentiment`, `profiles` and
    /// `hoax` added.
    Classify,
    /// The fact-check knowledge base.
    Factcheck {
        #[command(subcommand)]
        what: FactcheckWhat,
    },
    /// Train a model.
    Train {
        #[command(subcommand)]
        what: simak_models::TrainWhat,
    },
    /// Evaluate a model.
    Eval {
        #[command(subcommand)]
        what: simak_models::EvalWhat,
    },
    /// A profile's daily summary: write it as a page, or queue it as an e-mail.
    Summary {
        /// The watch profile id.
        #[arg(long)]
        profile: String,
        /// The day, YYYY-MM-DD in WIB (default: yesterday).
        #[arg(long)]
        date: Option<String>,
        /// Queue it in the outbox and deliver it now.
        #[arg(long, conflicts_with = "out")]
        send: bool,
        /// Write the page (charts inline) to this file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The hoax review queue.
    Review {
        #[command(subcommand)]
        what: review::ReviewWhat,
    },
    /// Office accounts: add, disable (handing work over), enable, reset, list, API tokens,
    /// the audit log.
    User {
        #[command(subcommand)]
        what: user::UserWhat,
    },
    /// Benchmarks.
    Bench(simak_bench::BenchArgs),
    /// Copy the data directory (index, embedded log and its offsets, databases, cursors,
    /// outbox) into DIR, consistently, also while Simak runs.
    Backup {
        /// A new (or empty) directory.
        dir: PathBuf,
    },
    /// Rebuild the index with this version's schema from the mentions it stores, keeping its
    /// place in the log (after an upgrade that changed the index format; Simak must be
    /// stopped).
    Reindex,
    /// Restore a backup made by `simak backup` into the data directory (which must be empty,
    /// unless --force; Simak must not be running on it).
    Restore {
        /// The backup directory.
        dir: PathBuf,
        /// Replace what the data directory holds.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum FactcheckWhat {
    /// Add or replace fact-checks from JSONL (`id`, `claim`, `verdict`, `explanation`, `url`,
    /// `published_at`, `source`); `-` for standard input.
    Import {
        /// The file, or `-`.
        file: String,
    },
}

#[derive(Args)]
struct SearchArgs {
    /// The query: words, "phrases", "near words"~3, AND/OR/NOT, field:value; `*` for all.
    query: String,
    /// Published at or after (RFC 3339, YYYY-MM-DD in WIB, or an age like 24h / 7d).
    #[arg(long)]
    since: Option<String>,
    /// Published before.
    #[arg(long)]
    until: Option<String>,
    /// Only this source.
    #[arg(long)]
    source: Option<String>,
    /// Only this language (id, en, jv, su, other).
    #[arg(long)]
    lang: Option<String>,
    /// Only this sentiment (negative, neutral, positive).
    #[arg(long)]
    sentiment: Option<String>,
    /// Only mentions that matched this watch profile id.
    #[arg(long)]
    profile: Option<String>,
    /// How many hits.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Hits to skip (offset + limit at most 10,000; page deeper with --cursor).
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Continue after a page: its `next_cursor` (with --json, sort newest).
    #[arg(long)]
    cursor: Option<String>,
    /// newest or relevance.
    #[arg(long, default_value = "newest")]
    sort: Sort,
    /// Print the JSON the API returns.
    #[arg(long)]
    json: bool,
}

/// With no account at all, creates `admin` with a random password written to
/// `<data_dir>/initial-admin-password` (mode 0600; never logged): the operator logs in with it,
/// creates the office's accounts, and deletes the file.
fn bootstrap_admin(cfg: &Config, auth: &simak_auth::AuthStore) -> Result<()> {
    if !auth.list()?.is_empty() {
        return Ok(());
    }
    let pw = simak_auth::random_password();
    auth.add(
        "simak:bootstrap",
        "admin",
        "Administrator",
        simak_auth::Role::Admin,
        &[],
        &pw,
    )?;
    let path = cfg.data_dir.join("initial-admin-password");
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| path.display().to_string())?;
        writeln!(f, "{pw}")?;
    }
    tracing::warn!(file = %path.display(), "no accounts yet: created `admin`; its password is in this file (log in, create the office's accounts, then delete the file)");
    Ok(())
}

/// An error that exits with status 2 (the user's input was wrong), not 1.
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    // Everything Simak writes (index, log, databases, outbox, exports) is the office's data:
    // readable by the account it runs as only.
    // SAFETY: umask only sets this process's file-creation mask; no other thread runs yet.
    unsafe {
        libc::umask(0o077);
    }
    let cli = Cli::parse();
    // Rust ignores SIGPIPE, so a `println!` into a closed pipe (`simak eval lang | head -1`)
    // panics with "failed printing to stdout". Like other Unix tools, the commands that print
    // end quietly instead. The long-running stages keep ignoring it: a peer that goes away must
    // not kill the pipeline.
    let long_running = matches!(
        cli.command,
        Command::Run { .. }
            | Command::Ingest
            | Command::Analyze
            | Command::Index
            | Command::Alert
            | Command::Serve
    );
    if !long_running {
        // SAFETY: restoring the default disposition of one signal, before any other thread runs.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    init_tracing();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            let usage = e.downcast_ref::<UsageError>().is_some()
                || e.downcast_ref::<simak_core::ConfigError>().is_some();
            eprintln!("error: {e:#}");
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("SIMAK_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,tantivy=warn,rdkafka=warn"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("SIMAK_LOG_FORMAT").as_deref() == Ok("json") {
        b.json().init();
    } else {
        b.init();
    }
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    let cfg = Config::load(cli.config.as_deref(), cli.data_dir.as_deref())?;
    match cli.command {
        Command::Run { demo: false } => run_all(cfg).await,
        Command::Run { demo: true } => run_demo(cfg).await,
        Command::Ingest => run_stage(cfg, Stage::Ingest).await,
        Command::Analyze => run_stage(cfg, Stage::Analyze).await,
        Command::Index => run_stage(cfg, Stage::Index).await,
        Command::Alert => run_stage(cfg, Stage::Alert).await,
        Command::Serve => run_stage(cfg, Stage::Serve).await,
        Command::Search(a) => search(cfg, a),
        Command::Import { file } => import(cfg, &file).await,
        Command::Status { json } => status(cfg, json).await,
        Command::Classify => simak_models::classify(&cfg).await,
        Command::Factcheck {
            what: FactcheckWhat::Import { file },
        } => simak_models::factcheck_import(&cfg, &file).await,
        Command::Train { what } => simak_models::train(&cfg, what).await,
        Command::Eval { what } => simak_models::eval(what),
        Command::Review { what } => review::run(cfg, what).await,
        Command::User { what } => user::run(&cfg, what),
        Command::Summary {
            profile,
            date,
            send,
            out,
        } => summary(cfg, &profile, date.as_deref(), send, out).await,
        Command::Bench(a) => simak_bench::run(cfg, a).await,
        Command::Backup { dir } => backup_cmd(cfg, dir, None).await,
        Command::Restore { dir, force } => backup_cmd(cfg, dir, Some(force)).await,
        Command::Reindex => reindex(cfg).await,
    }
}

/// `simak reindex`.
async fn reindex(cfg: Config) -> Result<ExitCode> {
    let path = cfg.index_path();
    let (p, cap) = (path.clone(), cfg.index.max_merge_docs);
    let r = tokio::task::spawn_blocking(move || simak_index::indexer::reindex(&p, cap))
        .await
        .context("reindex task")?;
    match r {
        Ok(r) if r.current => {
            println!(
                "the index at {} already has this version's format: nothing to do",
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(r) => {
            println!(
                "rebuilt the index at {}: {} mentions{}",
                path.display(),
                r.mentions,
                if r.skipped > 0 {
                    format!(
                        " ({} stored mentions did not parse and were left out)",
                        r.skipped
                    )
                } else {
                    String::new()
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("simak reindex: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `simak backup DIR` (restore: None) and `simak restore DIR [--force]`.
async fn backup_cmd(cfg: Config, dir: PathBuf, restore: Option<bool>) -> Result<ExitCode> {
    use simak_backup::BackupError;
    let r = tokio::task::spawn_blocking(move || match restore {
        None => simak_backup::backup(&cfg, &dir).map(|r| {
            let m = &r.manifest;
            format!(
                "backup of {} written to {}: {} mentions, {} files, {} bytes, in {:.1} s",
                cfg.data_dir.display(),
                dir.display(),
                m.index_docs,
                m.files(),
                m.bytes(),
                r.elapsed.as_secs_f64()
            )
        }),
        Some(force) => simak_backup::restore(&cfg, &dir, force).map(|r| {
            format!(
                "backup of {} restored into {}: {} mentions, {} bytes, in {:.1} s",
                r.manifest.created_at.to_rfc3339(),
                cfg.data_dir.display(),
                r.index_docs,
                r.manifest.bytes(),
                r.elapsed.as_secs_f64()
            )
        }),
    })
    .await?;
    match r {
        Ok(line) => {
            eprintln!("{line}");
            Ok(ExitCode::SUCCESS)
        }
        Err(BackupError::Refused(m)) => Err(UsageError(m).into()),
        Err(e) => Err(e.into()),
    }
}

fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        tracing::info!("shutting down");
        t.cancel();
    });
    token
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Ingest,
    Analyze,
    Index,
    Alert,
    Serve,
}

type StageResult = Result<(), anyhow::Error>;

fn spawn_stage(
    set: &mut tokio::task::JoinSet<(Stage, StageResult)>,
    stage: Stage,
    cfg: &Config,
    bus: &Bus,
    token: &CancellationToken,
) -> Result<()> {
    let (cfg, bus, token) = (cfg.clone(), bus.clone(), token.clone());
    match stage {
        Stage::Ingest => {
            let watch: Vec<simak_ingest::Watch> =
                simak_analyze::profiles::Profiles::load_dir(&cfg.analyzer.profiles_dir)?
                    .iter()
                    .map(|p| simak_ingest::Watch {
                        profile: p.id.clone(),
                        phrases: std::iter::once(p.name.clone())
                            .chain(p.aliases.iter().cloned())
                            .chain(p.acronyms.iter().cloned())
                            .chain(p.people.iter().cloned())
                            .collect(),
                    })
                    .collect();
            let sources =
                simak_ingest::build_sources(&cfg, &watch).map_err(|e| anyhow::anyhow!("{e}"))?;
            set.spawn(async move {
                let r = async {
                    let topic = &cfg.bus.topics.mentions;
                    bus.ensure_topic(topic).await?;
                    let producer = bus.producer(topic)?;
                    bus.ensure_topic(&cfg.bus.topics.factchecks).await?;
                    let fc_producer = bus.producer(&cfg.bus.topics.factchecks)?;
                    let store = simak_ingest::cursor::CursorStore::new(
                        &cfg.cursor_path(),
                        cfg.sources
                            .dedupe_window
                            .unwrap_or(simak_ingest::cursor::DEFAULT_WINDOW),
                    );
                    if sources.is_empty() {
                        tracing::info!("no sources configured (sources.rss.feeds is empty); use `simak import` to add mentions");
                    }
                    let max_backoff =
                        std::time::Duration::from_secs(cfg.sources.rss.max_backoff_secs.max(1));
                    let mut tasks = tokio::task::JoinSet::new();
                    for s in sources {
                        tracing::info!(source = s.name(), "source started");
                        let producer = match s.topic() {
                            simak_ingest::Topic::Mentions => producer.clone(),
                            simak_ingest::Topic::Factchecks => fc_producer.clone(),
                        };
                        tasks.spawn(simak_ingest::scheduler::drive(
                            s,
                            producer,
                            store.clone(),
                            max_backoff,
                            token.clone(),
                        ));
                    }
                    while tasks.join_next().await.is_some() {}
                    token.cancelled().await;
                    Ok::<_, anyhow::Error>(())
                }
                .await;
                (Stage::Ingest, r)
            });
        }
        Stage::Analyze => {
            set.spawn(async move {
                let (cfg, bus) = (&cfg, &bus);
                let r = simak_runtime::supervise(
                    "analyzer",
                    |attempt| async move {
                        simak_analyze::run_analyzer(cfg, bus, &attempt)
                            .await
                            .map(|_| ())
                    },
                    token,
                )
                .await
                .context("analyzer");
                (Stage::Analyze, r)
            });
        }
        Stage::Index => {
            set.spawn(async move {
                // The store follows the indexer: it stops when the indexer stops, for any reason.
                let fc_token = token.child_token();
                let fc = factcheck_store_loop(cfg.clone(), bus.clone(), fc_token.clone());
                let ix = stopping_all(&fc_token, async {
                    let (cfg, bus) = (&cfg, &bus);
                    simak_runtime::supervise(
                        "indexer",
                        |attempt| async move { simak_index::run_indexer(cfg, bus, &attempt).await },
                        token.clone(),
                    )
                    .await
                    .context("indexer")
                });
                let (r, _) = tokio::join!(ix, fc);
                (Stage::Index, r)
            });
        }
        Stage::Alert => {
            let store = Arc::new(
                simak_alert::AlertStore::open(&cfg.alerts_db_path())
                    .with_context(|| cfg.alerts_db_path().display().to_string())?,
            );
            set.spawn(async move {
                // Rules and sender stop together.
                let inner = token.child_token();
                let rules = stopping_all(&inner, async {
                    let (cfg, bus) = (&cfg, &bus);
                    simak_runtime::supervise(
                        "alert rules",
                        |attempt| {
                            let store = store.clone();
                            async move { simak_alert::run_alerter(cfg, bus, store, &attempt).await }
                        },
                        inner.clone(),
                    )
                    .await
                    .context("alert rules")
                });
                let sender = stopping_all(&inner, async {
                    simak_alert::run_sender(&cfg, store.clone(), inner.clone())
                        .await
                        .context("alert sender")
                });
                let daily = stopping_all(&inner, async {
                    simak_alert::summary::run_scheduler(cfg.clone(), store.clone(), inner.clone())
                        .await
                        .context("daily summary")
                });
                let overdue = stopping_all(&inner, async {
                    simak_alert::overdue::run_checker(cfg.clone(), store.clone(), inner.clone())
                        .await
                        .context("overdue complaints")
                });
                let (a, b, c, d) = tokio::join!(rules, sender, daily, overdue);
                (Stage::Alert, a.and(b).and(c).and(d))
            });
        }
        Stage::Serve => {
            let searcher = Arc::new(MentionSearcher::open_with_synonyms(
                &cfg.index_path(),
                cfg.synonyms_path(),
            )?);
            let review = Arc::new(
                simak_review::ReviewStore::open(&cfg.review_db_path())
                    .with_context(|| cfg.review_db_path().display().to_string())?,
            );
            let alerts = Arc::new(
                simak_alert::AlertStore::open(&cfg.alerts_db_path())
                    .with_context(|| cfg.alerts_db_path().display().to_string())?,
            );
            let auth = Arc::new(
                simak_auth::AuthStore::open(&cfg.accounts_db_path())
                    .with_context(|| cfg.accounts_db_path().display().to_string())?,
            );
            bootstrap_admin(&cfg, &auth)?;
            let factchecks = Some((bus.clone(), cfg.bus.topics.factchecks.clone()));
            let trusted_proxies = cfg
                .server
                .trusted_proxies
                .iter()
                .map(|a| {
                    a.trim().parse::<std::net::IpAddr>().map_err(|_| {
                        UsageError(format!(
                            "server.trusted_proxies: {a:?} is not an IP address (write \
                             \"127.0.0.1\" or \"::1\", one address per proxy)"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let state = simak_server::AppState {
                trusted_proxies: Arc::new(trusted_proxies),
                auth,
                factchecks,
                searcher,
                max_limit: cfg.server.max_limit,
                review: review.clone(),
                alerts,
                outbox_dir: cfg.outbox_path(),
                profiles: simak_server::ProfilesHandle::load(
                    &cfg.analyzer.profiles_dir,
                    &cfg.analyzer.gazetteer,
                )?,
                base_url: cfg.alerts.base_url.clone(),
                alerts_cfg: cfg.alerts.clone(),
                factcheck_store: Arc::new(
                    simak_analyze::factcheck::FactCheckStore::open(&cfg.factcheck_path())
                        .with_context(|| cfg.factcheck_path().display().to_string())?,
                ),
                sources_dir: cfg.cursor_path(),
            };
            set.spawn(async move {
                // The review queue lives with the server that shows it; if either stops, both do.
                let inner = token.child_token();
                let feeder = stopping_all(&inner, async {
                    let (cfg, bus) = (&cfg, &bus);
                    simak_runtime::supervise(
                        "review feeder",
                        |attempt| {
                            let review = review.clone();
                            async move { simak_review::run_feeder(cfg, bus, review, &attempt).await }
                        },
                        inner.clone(),
                    )
                    .await
                    .context("review queue feeder")
                });
                let http = stopping_all(&inner, async {
                    simak_server::serve(&cfg.server.addr, state, inner.clone())
                        .await
                        .context("HTTP server")
                });
                let (a, b) = tokio::join!(http, feeder);
                (Stage::Serve, a.and(b))
            });
        }
    }
    Ok(())
}

async fn summary(
    cfg: Config,
    profile: &str,
    date: Option<&str>,
    send: bool,
    out: Option<PathBuf>,
) -> Result<ExitCode> {
    let profiles = simak_analyze::profiles::Profiles::load_dir(&cfg.analyzer.profiles_dir)?;
    let Some(p) = profiles.iter().find(|p| p.id == profile).cloned() else {
        let known: Vec<&str> = profiles.iter().map(|p| p.id.as_str()).collect();
        return Err(UsageError(format!(
            "no watch profile {profile:?} (known: {})",
            known.join(", ")
        ))
        .into());
    };
    let date = match date {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|e| UsageError(format!("--date must be YYYY-MM-DD, got {d:?}: {e}")))?,
        None => simak_alert::summary::yesterday_wib(chrono::Utc::now()),
    };
    let searcher = MentionSearcher::open(&cfg.index_path())?;
    let review = simak_review::ReviewStore::open(&cfg.review_db_path())?;
    if send {
        let store = Arc::new(simak_alert::AlertStore::open(&cfg.alerts_db_path())?);
        let n = simak_alert::summary::queue(&cfg, &store, &searcher, Some(&review), &p, date)
            .map_err(anyhow::Error::msg)?;
        if n == 0 {
            eprintln!("the summary of {date} for {profile} was queued before; not again");
            return Ok(ExitCode::SUCCESS);
        }
        let sent = simak_alert::deliver_pending(&cfg, &store).await?;
        eprintln!("summary of {date} for {profile}: {n} e-mails queued, {sent} delivered now");
        return Ok(ExitCode::SUCCESS);
    }
    let s = simak_alert::summary::build(&searcher, Some(&review), &p.id, &p.name, date)
        .map_err(anyhow::Error::msg)?;
    let html = simak_alert::summary::page(&s, &cfg.alerts.base_url).map_err(anyhow::Error::msg)?;
    match out {
        Some(path) => {
            std::fs::write(&path, html).with_context(|| path.display().to_string())?;
            eprintln!(
                "summary of {date} for {profile} ({} mentions) written to {}",
                s.total,
                path.display()
            );
        }
        None => println!("{html}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Keeps the searchable fact-check store in step with the fact-check stream, every 2 s.
async fn factcheck_store_loop(cfg: Config, bus: Bus, token: CancellationToken) {
    use simak_analyze::factcheck::{sync_store, FactCheckStore};
    let store = match FactCheckStore::open(&cfg.factcheck_path()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "fact-check store cannot be opened; it will not follow the stream");
            return;
        }
    };
    // The topic is made once; each round then only reads on from the store's last commit.
    let mut ensured = false;
    loop {
        let round = async {
            if !ensured {
                bus.ensure_topic(&cfg.bus.topics.factchecks)
                    .await
                    .map_err(|e| e.to_string())?;
                ensured = true;
            }
            sync_store(&store, &bus, &cfg.bus.topics.factchecks)
                .await
                .map_err(|e| e.to_string())
        };
        match round.await {
            Ok(0) => {}
            Ok(n) => tracing::info!(applied = n, "fact-check store updated"),
            Err(e) => tracing::warn!(error = %e, "fact-check store: sync failed; retrying"),
        }
        tokio::select! {
            _ = token.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
        }
    }
}

/// Waits for every stage. Each stage that reads the log restarts itself after a transient
/// failure ([`simak_runtime::supervise`]); a stage that still fails (a fatal error), panics, or
/// stops before shutdown stops the process.
async fn join_stages(
    mut set: tokio::task::JoinSet<(Stage, StageResult)>,
    token: CancellationToken,
) -> Result<ExitCode> {
    let mut failed = None;
    while let Some(res) = set.join_next().await {
        match res {
            Ok((stage, Ok(()))) => {
                if !token.is_cancelled() {
                    tracing::error!(?stage, "stage stopped unexpectedly; shutting down");
                    failed.get_or_insert_with(|| anyhow::anyhow!("{stage:?} stopped"));
                    token.cancel();
                }
            }
            Ok((stage, Err(e))) => {
                tracing::error!(?stage, error = %format!("{e:#}"), "stage failed; shutting down");
                failed.get_or_insert(e);
                token.cancel();
            }
            Err(e) => {
                failed.get_or_insert_with(|| anyhow::anyhow!("a stage panicked: {e}"));
                token.cancel();
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(ExitCode::SUCCESS),
    }
}

async fn run_all(cfg: Config) -> Result<ExitCode> {
    let bus = Bus::open(&cfg)?;
    tracing::info!(log = %bus.describe(), data_dir = %cfg.data_dir.display(), "simak run: all stages in one process");
    simak_index::indexer::open_or_create(&cfg.index_path())?;
    let token = shutdown_on_signal();
    tokio::spawn(bus.clone().retention_loop(cfg.clone(), token.clone()));
    let mut set = tokio::task::JoinSet::new();
    for stage in [
        Stage::Index,
        Stage::Analyze,
        Stage::Alert,
        Stage::Ingest,
        Stage::Serve,
    ] {
        spawn_stage(&mut set, stage, &cfg, &bus, &token)?;
    }
    join_stages(set, token).await
}

async fn run_demo(mut cfg: Config) -> Result<ExitCode> {
    let logins = simak_demo::prepare(&mut cfg)?;
    let bus = Bus::open(&cfg)?;
    let n = simak_demo::publish_factchecks(&cfg, &bus).await?;
    simak_index::indexer::open_or_create(&cfg.index_path())?;
    let token = shutdown_on_signal();
    let mut set = tokio::task::JoinSet::new();
    for stage in [Stage::Index, Stage::Analyze, Stage::Alert, Stage::Serve] {
        spawn_stage(&mut set, stage, &cfg, &bus, &token)?;
    }
    let (c, b, t) = (cfg.clone(), bus.clone(), token.clone());
    set.spawn(async move { (Stage::Ingest, simak_demo::replay(c, b, t).await) });
    let base = cfg.alerts.base_url.trim_end_matches('/');
    println!(
        "\nSimak demo — Kabupaten Sukamaju (fiktif), {n} cek fakta, data di {}",
        cfg.data_dir.display()
    );
    println!("Buka {base}/ dan masuk dengan:");
    for (user, pw, what) in &logins {
        println!("  {user:<16} {pw}   ({what})");
    }
    println!(
        "Riwayat dua minggu dimuat sekarang; dua jam terakhir diputar ulang dalam satu menit.\n"
    );
    join_stages(set, token).await
}

async fn run_stage(cfg: Config, stage: Stage) -> Result<ExitCode> {
    let bus = Bus::open(&cfg)?;
    if !cfg.bus.is_kafka() && stage != Stage::Serve {
        tracing::warn!("no bus.brokers configured: this stage runs on the embedded log; `simak run` runs every stage in one process");
    }
    let token = shutdown_on_signal();
    let mut set = tokio::task::JoinSet::new();
    spawn_stage(&mut set, stage, &cfg, &bus, &token)?;
    join_stages(set, token).await
}

fn search(cfg: Config, a: SearchArgs) -> Result<ExitCode> {
    let now = chrono::Utc::now();
    let time = |name: &str, v: &Option<String>| -> Result<_> {
        v.as_deref()
            .map(|s| simak_core::time::parse_time(s, now))
            .transpose()
            .map_err(|e| UsageError(format!("--{name}: {e}")).into())
    };
    if a.limit == 0 {
        return Err(UsageError("--limit must be at least 1".into()).into());
    }
    let req = SearchRequest {
        q: a.query.clone(),
        since: time("since", &a.since)?,
        until: time("until", &a.until)?,
        source: a.source.clone(),
        lang: a.lang.clone(),
        sentiment: a.sentiment.clone(),
        profile: a.profile.clone(),
        hoax: None,
        cluster: None,
        timeline: None,
        within_profiles: None,
        limit: a.limit,
        offset: a.offset,
        cursor: a.cursor.clone(),
        sort: a.sort,
    };
    let searcher = MentionSearcher::open_with_synonyms(&cfg.index_path(), cfg.synonyms_path())?;
    let res = match searcher.search(&req) {
        Ok(r) => r,
        Err(SearchError::BadQuery(m)) => return Err(UsageError(format!("bad query: {m}")).into()),
        Err(e) => return Err(e.into()),
    };
    if a.json {
        println!("{}", serde_json::to_string(&res)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} mentions", res.total);
    for h in &res.hits {
        let who = h
            .mention
            .author
            .handle
            .as_deref()
            .or(h.mention.author.name.as_deref())
            .unwrap_or("-");
        println!(
            "\n{}  {}  {}  {}",
            h.mention.published_at.format("%Y-%m-%d %H:%M"),
            h.mention.source,
            who,
            h.mention.id
        );
        let plain = h
            .highlight
            .replace("<b>", "")
            .replace("</b>", "")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&amp;", "&");
        println!("  {plain}");
        if let Some(u) = &h.mention.url {
            println!("  {u}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn import(cfg: Config, file: &str) -> Result<ExitCode> {
    let bus = Bus::open(&cfg)?;
    let topic = &cfg.bus.topics.mentions;
    bus.ensure_topic(topic).await?;
    let producer = bus.producer(topic)?;
    let reader: Box<dyn tokio::io::AsyncBufRead + Unpin + Send> = if file == "-" {
        Box::new(tokio::io::BufReader::new(tokio::io::stdin()))
    } else {
        let f = tokio::fs::File::open(file)
            .await
            .map_err(|e| UsageError(format!("cannot open {file}: {e}")))?;
        Box::new(tokio::io::BufReader::with_capacity(1 << 20, f))
    };
    let name = if file == "-" { "<stdin>" } else { file };
    let report = simak_ingest::jsonl::import(reader, &producer, 1000, |r| {
        eprintln!("{name}:{}: {}", r.line, r.reason);
    })
    .await
    .context("writing to the log")?;
    eprintln!(
        "imported {} mentions into {} ({}); {} lines rejected",
        report.accepted,
        topic,
        bus.describe(),
        report.rejected.len()
    );
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn status(cfg: Config, json: bool) -> Result<ExitCode> {
    let searcher = MentionSearcher::open(&cfg.index_path())?;
    let checkpoint = simak_index::indexer::read_checkpoint(searcher.index())?;
    let bus = Bus::open(&cfg)?;
    let mut ends = serde_json::Map::new();
    for topic in [&cfg.bus.topics.mentions, &cfg.bus.topics.enriched] {
        let v = match bus.end_offsets(topic).await {
            Ok(o) => serde_json::to_value(o)?,
            Err(e) => serde_json::json!({ "error": e.to_string() }),
        };
        ends.insert(topic.clone(), v);
    }
    let out = serde_json::json!({
        "log": bus.describe(),
        "index": cfg.index_path(),
        "mentions": searcher.num_docs(),
        "checkpoint": checkpoint,
        "end_offsets": ends,
    });
    if json {
        println!("{out}");
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `task`, then cancels `siblings`: tasks that only make sense together (the alert rules,
/// sender and daily summary; the review feeder and the server that shows its queue) stop
/// together when one of them ends, whatever its result.
async fn stopping_all<T>(
    siblings: &CancellationToken,
    task: impl std::future::Future<Output = T>,
) -> T {
    let r = task.await;
    siblings.cancel();
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        let a = Cli::try_parse_from(["simak", "--data-dir", "/d", "search", "x"]).unwrap();
        let b = Cli::try_parse_from(["simak", "search", "x", "--data-dir", "/d"]).unwrap();
        assert_eq!(a.data_dir, b.data_dir);
        let c = Cli::try_parse_from(["simak", "import", "-", "--config", "c.toml"]).unwrap();
        assert_eq!(c.config, Some(PathBuf::from("c.toml")));
    }
}
