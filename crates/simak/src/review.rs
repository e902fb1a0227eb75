//! `simak review`: the hoax review queue on the command line.

use crate::UsageError;
use anyhow::{Context, Result};
use clap::Subcommand;
use simak_analyze::factcheck::FactCheck;
use simak_core::Config;
use simak_review::{Action, Filter, ReviewError, ReviewStore, State};
use std::io::Write;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ReviewWhat {
    /// List cases, open ones first.
    List {
        /// Only this watch profile (repeatable).
        #[arg(long)]
        profile: Vec<String>,
        /// Only this state: new, in_review, confirmed, not_hoax, clarified.
        #[arg(long)]
        state: Option<String>,
        /// Only cases scored at least this.
        #[arg(long)]
        min_score: Option<f64>,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Show one case: its evidence, its mentions and its history.
    Show {
        /// The case id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a case's state: take, confirm, not_hoax, clarify (with --url), reopen.
    Act {
        /// The case id.
        id: String,
        /// The action.
        action: String,
        /// Who acts (the office account's name).
        #[arg(long)]
        by: String,
        /// A note for the history.
        #[arg(long)]
        note: Option<String>,
        /// The public clarification's URL (for clarify).
        #[arg(long)]
        url: Option<String>,
    },
    /// Write every decision as a training label (JSONL) for `simak train hoax`.
    Export {
        /// The output file (default: standard output).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

fn usage(e: ReviewError) -> anyhow::Error {
    match e {
        ReviewError::Db(_) | ReviewError::Schema(_) => anyhow::Error::new(e),
        e => anyhow::Error::new(UsageError(e.to_string())),
    }
}

pub async fn run(cfg: Config, what: ReviewWhat) -> Result<ExitCode> {
    let path = cfg.review_db_path();
    let store = ReviewStore::open(&path).with_context(|| path.display().to_string())?;
    match what {
        ReviewWhat::List {
            profile,
            state,
            min_score,
            limit,
            json,
        } => {
            let state = state
                .as_deref()
                .map(State::parse)
                .transpose()
                .map_err(usage)?;
            let cases = store
                .list(&Filter {
                    profiles: profile,
                    state,
                    min_score,
                    limit: Some(limit),
                    offset: 0,
                })
                .map_err(usage)?;
            let mut out = std::io::stdout().lock();
            for c in &cases {
                if json {
                    serde_json::to_writer(&mut out, c)?;
                    writeln!(out)?;
                } else {
                    let text: String = c.text.chars().take(80).collect();
                    writeln!(
                        out,
                        "{:<10} {:.2} {:<10} {:>4}x  {}  {}",
                        c.state.as_str(),
                        c.score,
                        c.label,
                        c.mentions,
                        c.id,
                        text.replace('\n', " ")
                    )?;
                }
            }
            if cases.is_empty() && !json {
                eprintln!("no cases");
            }
        }
        ReviewWhat::Show { id, json } => {
            let case = store.case(&id).map_err(usage)?;
            let mentions = store.mentions(&id).map_err(usage)?;
            let history = store.events(&id).map_err(usage)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"case": case, "mentions": mentions, "history": history})
                );
            } else {
                println!(
                    "{}\n  state {}  label {}  score {:.2}  mentions {}",
                    case.id,
                    case.state.as_str(),
                    case.label,
                    case.score,
                    case.mentions
                );
                println!("  text: {}", case.text);
                if let Some(u) = &case.clarification_url {
                    println!("  clarification: {u}");
                }
                for r in case.reasons.as_array().into_iter().flatten() {
                    println!("  reason: {}", r.as_str().unwrap_or_default());
                }
                for e in &history {
                    println!(
                        "  {} {} {}: {} -> {}{}",
                        e.at,
                        e.actor,
                        e.action,
                        e.from,
                        e.to,
                        e.note
                            .as_deref()
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        ReviewWhat::Act {
            id,
            action,
            by,
            note,
            url,
        } => {
            let action = Action::parse(&action, url.as_deref()).map_err(usage)?;
            let o = store
                .act(&id, &by, &action, note.as_deref())
                .map_err(usage)?;
            eprintln!("{}: now {}", o.case.id, o.case.state.as_str());
            if let Some(fc) = o.factcheck {
                publish_factcheck(&cfg, &fc).await?;
                eprintln!(
                    "the clarification is now fact-check {:?}; analyzers match new posts against it",
                    fc.id
                );
            }
        }
        ReviewWhat::Export { out } => {
            let labels = store.labels().map_err(usage)?;
            let mut w: Box<dyn Write> = match &out {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p).with_context(|| p.display().to_string())?,
                )),
                None => Box::new(std::io::stdout().lock()),
            };
            for l in &labels {
                serde_json::to_writer(&mut w, l)?;
                writeln!(w)?;
            }
            w.flush()?;
            eprintln!("{} labels exported", labels.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Appends a fact-check to the fact-check stream.
pub async fn publish_factcheck(cfg: &Config, fc: &FactCheck) -> Result<()> {
    let bus = simak_bus::Bus::open(cfg)?;
    let topic = &cfg.bus.topics.factchecks;
    bus.ensure_topic(topic).await?;
    bus.producer(topic)?
        .send(vec![fc.to_record()])
        .await
        .context("publishing the clarification as a fact-check")?;
    Ok(())
}
