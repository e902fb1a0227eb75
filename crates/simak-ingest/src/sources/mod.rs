//! One module per platform, each implementing [`crate::Source`]; a new platform is one file
//! here, one `pub mod` line below and one line in [`crate::build_sources`].
//!
//! [`feedprep`] and [`html`] are shared parsing helpers of the feed and page sources.

pub mod factcheck_feed;
pub mod feedprep;
pub mod googlenews;
pub mod html;
pub mod jetstream;
pub mod jsonl;
pub mod mastodon;
pub mod reddit;
pub mod rss;
pub mod telegram;
pub mod x;
pub mod youtube;
