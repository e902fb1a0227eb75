//! Alerts: rules evaluated on the enriched stream, a persistent outbox, delivery by SMTP (or as
//! `.eml` files when no SMTP server is configured).
//!
//! **The flow**, for each batch of enriched mentions, in one SQLite transaction: a rule
//! *decides* ([`rules`]: each [`AlertRule`] returns [`rules::Decision`]s for a mention and a
//! watch profile it matched), the composer *writes* the e-mail from the decision ([`compose`]),
//! the outbox *stores* one row per recipient ([`AlertStore`], `outbox.rs`). Apart from it, the
//! sender *delivers* what the outbox holds ([`run_sender`], `smtp.rs`), and the daily
//! [`summary`] is queued into the same outbox. The rules run as a stage of the runtime
//! ([`AlertStage`], started by [`run_alerter`]).
//!
//! **Rules**, per watch profile a mention matched ([`rules::all`]):
//! * a known hoax, at once; a suspected hoax from `alerts.suspected_min_score`. One alert per
//!   key (the review case: the debunked claim, or else the near-duplicate cluster); an update
//!   only when the case's spread has grown by `alerts.growth_factor` since the last e-mail;
//! * a volume spike: the mentions of the profile in an hour (by publication time) above
//!   mean + k·σ of the same hour on the 7 days before, with a minimum count; once per hour;
//! * a surge of negative sentiment: the same on negative mentions.
//!
//! A new rule is one file in `rules/` and one line in [`rules::all`].
//!
//! **Overdue complaints** are set off by the clock, not by a mention: [`overdue`] looks at the
//! complaint cases every `alerts.overdue_check_secs` and e-mails each one open past its OPD's
//! target to that OPD, once.
//!
//! **Nothing lost, nothing twice.** The alerter applies a batch of mentions in one SQLite
//! transaction (counts, alert state, outbox rows) and commits its log offsets after it. Counting
//! and outbox rows are keyed (mention per profile; alert key, version and recipient), so a batch
//! read again after a crash changes nothing. The sender takes pending rows, delivers them, and
//! marks them sent; an SMTP outage leaves them pending and they are retried with backoff. A crash
//! between the server's acceptance and the mark would send that one e-mail again: its
//! Message-ID is derived from the row, so mail clients show one message.
#![warn(missing_docs)]

mod alerter;
pub mod compose;
mod outbox;
pub mod overdue;
pub mod rules;
mod smtp;
pub mod summary;
#[cfg(test)]
mod test_support;

pub use alerter::{run_alerter, AlertStage, Applied};
pub use outbox::{recipients, AlertStore, OutboxItem};
pub use rules::AlertRule;
pub use smtp::{deliver_pending, formatted_message, run_sender};

use simak_core::schema;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The database failed.
    #[error("alert database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The configuration is not usable.
    #[error("alerts: {0}")]
    Config(String),
    /// The database's schema could not be brought forward.
    #[error(transparent)]
    Schema(#[from] schema::SchemaError),
    /// The log failed.
    #[error(transparent)]
    Bus(#[from] simak_bus::BusError),
    /// A watch profile is wrong.
    #[error(transparent)]
    Profiles(#[from] simak_analyze::profiles::ProfileError),
}

/// For the supervisor: a database error may pass, a wrong configuration or profile does not.
impl From<AlertError> for simak_runtime::StageError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::Bus(e) => e.into(),
            AlertError::Db(_) => simak_runtime::StageError::transient(e),
            AlertError::Config(_) | AlertError::Schema(_) | AlertError::Profiles(_) => {
                simak_runtime::StageError::fatal(e)
            }
        }
    }
}
