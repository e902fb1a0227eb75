//! `simak user`: office accounts on the command line (the operator's tool; an admin does the
//! same in the web UI). Every change is in the audit log, with the actor `cli:<os user>`.

use crate::UsageError;
use anyhow::Result;
use clap::Subcommand;
use simak_auth::{AuthError, AuthStore, Role};
use simak_core::Config;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum UserWhat {
    /// Add an account. Its password is read from --password-file, or generated and printed once.
    Add {
        /// The account name: 3–64 of a-z 0-9 . _ - (name the post, not the person:
        /// `humas-dinkes-1`).
        username: String,
        /// admin, officer or viewer.
        #[arg(long, default_value = "officer")]
        role: String,
        /// A watch profile (OPD) the account is scoped to (repeatable; not for admins).
        #[arg(long)]
        profile: Vec<String>,
        /// The name shown in the UI and the audit log.
        #[arg(long)]
        name: Option<String>,
        /// A file holding the password (first line).
        #[arg(long)]
        password_file: Option<std::path::PathBuf>,
    },
    /// Disable an account (its sessions and API tokens end; its history stays), optionally
    /// handing its work over to another account.
    Disable {
        /// The account.
        username: String,
        /// The account that takes its work over.
        #[arg(long)]
        hand_over_to: Option<String>,
    },
    /// Enable a disabled account.
    Enable {
        /// The account.
        username: String,
    },
    /// Set a new random password (printed once) and end the account's sessions.
    Reset {
        /// The account.
        username: String,
    },
    /// List the accounts.
    List {
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Create an API token for scripts (printed once).
    Token {
        /// The account the token acts as.
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "script")]
        name: String,
    },
    /// Show the newest audit log entries.
    Audit {
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

fn actor() -> String {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{who}")
}

fn usage(e: AuthError) -> anyhow::Error {
    match e {
        AuthError::Db(_) | AuthError::Schema(_) => anyhow::Error::new(e),
        other => UsageError(other.to_string()).into(),
    }
}

pub fn run(cfg: &Config, what: UserWhat) -> Result<ExitCode> {
    let store = AuthStore::open(&cfg.accounts_db_path()).map_err(anyhow::Error::new)?;
    let me = actor();
    match what {
        UserWhat::Add {
            username,
            role,
            profile,
            name,
            password_file,
        } => {
            let role = Role::parse(&role).map_err(usage)?;
            let (password, generated) = match password_file {
                Some(p) => {
                    let s = std::fs::read_to_string(&p)
                        .map_err(|e| UsageError(format!("{}: {e}", p.display())))?;
                    (s.lines().next().unwrap_or_default().to_string(), false)
                }
                None => (simak_auth::random_password(), true),
            };
            let acc = store
                .add(
                    &me,
                    &username,
                    name.as_deref().unwrap_or(&username),
                    role,
                    &profile,
                    &password,
                )
                .map_err(usage)?;
            println!(
                "added {} ({}, profiles: {})",
                acc.username,
                acc.role.as_str(),
                if acc.role == Role::Admin {
                    "all".to_string()
                } else {
                    acc.profiles.join(", ")
                }
            );
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserWhat::Disable {
            username,
            hand_over_to,
        } => {
            store
                .disable(&me, &username, hand_over_to.as_deref())
                .map_err(usage)?;
            println!("disabled {username}");
            if let Some(to) = &hand_over_to {
                let review = simak_review::ReviewStore::open(&cfg.review_db_path())?;
                let n = review.reassign(&username, to, &me)?;
                store
                    .audit(
                        &me,
                        "review.hand_over",
                        &username,
                        &format!("{n} open cases to {to}"),
                    )
                    .map_err(usage)?;
                println!("{n} open review cases handed over to {to}");
            }
        }
        UserWhat::Enable { username } => {
            store.enable(&me, &username).map_err(usage)?;
            println!("enabled {username}");
        }
        UserWhat::Reset { username } => {
            let pw = store.reset(&me, &username).map_err(usage)?;
            println!("new password for {username} (shown once): {pw}");
        }
        UserWhat::List { json } => {
            for a in store.list().map_err(usage)? {
                if json {
                    println!("{}", serde_json::to_string(&a)?);
                } else {
                    println!(
                        "{:<24} {:<8} {:<9} {}{}",
                        a.username,
                        a.role.as_str(),
                        if a.disabled { "disabled" } else { "enabled" },
                        a.profiles.join(","),
                        a.handed_over_to
                            .map(|t| format!("  (work handed over to {t})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        UserWhat::Token { username, name } => {
            let t = store.create_token(&me, &username, &name).map_err(usage)?;
            println!(
                "API token for {username} (shown once; send as `Authorization: Bearer …`): {t}"
            );
        }
        UserWhat::Audit { limit } => {
            for e in store.audit_log(limit).map_err(usage)? {
                println!(
                    "{}  {:<20} {:<18} {:<24} {}",
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    e.actor,
                    e.action,
                    e.target,
                    e.detail
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
