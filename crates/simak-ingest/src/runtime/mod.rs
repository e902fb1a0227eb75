//! What runs the sources, whatever the platform: the [`scheduler`] (fetch, dedupe, hand over,
//! then save the cursor), the [`cursor`] store, [`sweep`]s for newest-first APIs, and collection
//! [`health`].

pub mod cursor;
pub mod health;
pub mod scheduler;
pub mod sweep;
