//! Simak's shared vocabulary: the [`Mention`] wire format, the [`HoaxVerdict`] stages pass
//! along in it, and the [`Config`].
#![warn(missing_docs)]

pub mod config;
pub mod mention;
pub mod private;
#[cfg(feature = "sqlite")]
pub mod schema;
pub mod time;
pub mod verdict;
pub mod xorshift;

pub use config::{Config, ConfigError};
pub use mention::{
    canonical_url, mention_id, url_mention_id, Author, Complaint, ComplaintCategory, ComplaintKind,
    Mention, Metrics, Place, PlaceLevel, Sentiment, SentimentScores,
};
pub use verdict::{ClaimMatch, Cluster, HoaxLabel, HoaxVerdict, VerdictError};
