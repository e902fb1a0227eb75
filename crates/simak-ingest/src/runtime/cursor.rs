//! Per-source state on disk: the cursor and the window of recently handed-over mention ids.
//!
//! One JSON file per source under `<data_dir>/sources/`, replaced atomically, so a crash leaves
//! either the old state or the new one.

use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

/// Default number of recent ids a source remembers.
pub const DEFAULT_WINDOW: usize = 20_000;

/// A source's saved state.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SourceState {
    /// The platform cursor (ETag, since_id, time_us, ...), owned by the source.
    pub cursor: Option<serde_json::Value>,
    /// Recently handed-over ids, oldest first.
    pub seen: VecDeque<String>,
    #[serde(skip)]
    seen_set: HashSet<String>,
    #[serde(skip)]
    window: usize,
}

impl SourceState {
    /// Whether `id` was handed over recently.
    pub fn seen(&self, id: &str) -> bool {
        self.seen_set.contains(id)
    }

    /// Remembers `id`, forgetting the oldest beyond the window.
    pub fn remember(&mut self, id: &str) {
        if self.seen_set.insert(id.to_string()) {
            self.seen.push_back(id.to_string());
            while self.seen.len() > self.window {
                if let Some(old) = self.seen.pop_front() {
                    self.seen_set.remove(&old);
                }
            }
        }
    }
}

/// Loads and saves source states.
#[derive(Debug, Clone)]
pub struct CursorStore {
    dir: PathBuf,
    window: usize,
}

impl CursorStore {
    /// A store under `dir`, remembering `window` ids per source.
    pub fn new(dir: &Path, window: usize) -> CursorStore {
        CursorStore {
            dir: dir.to_path_buf(),
            window: window.max(1),
        }
    }

    fn path(&self, source: &str) -> PathBuf {
        self.dir.join(format!("{}.json", crate::safe_name(source)))
    }

    /// Where the health files of these sources live.
    pub fn health_dir(&self) -> PathBuf {
        crate::health::dir(&self.dir)
    }

    /// Loads the state of `source` (empty if none was saved).
    pub fn load(&self, source: &str) -> std::io::Result<SourceState> {
        let path = self.path(source);
        let mut st: SourceState = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("source state {}: {e}", path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SourceState::default(),
            Err(e) => return Err(e),
        };
        st.window = self.window;
        st.seen_set = st.seen.iter().cloned().collect();
        while st.seen.len() > st.window {
            if let Some(old) = st.seen.pop_front() {
                st.seen_set.remove(&old);
            }
        }
        Ok(st)
    }

    /// Saves the state of `source` atomically.
    pub fn save(&self, source: &str, st: &SourceState) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let body = serde_json::to_vec(st).map_err(std::io::Error::other)?;
        simak_bus::embedded::write_atomic(&self.path(source), &body, true)
            .map_err(std::io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_forgets_oldest_and_survives_reload() {
        let dir = tempfile::tempdir().unwrap();
        let store = CursorStore::new(dir.path(), 3);
        let mut st = store.load("rss:x").unwrap();
        for id in ["a", "b", "c", "d"] {
            st.remember(id);
        }
        st.cursor = Some(serde_json::json!({"etag": "\"v1\""}));
        assert!(!st.seen("a") && st.seen("d"));
        store.save("rss:x", &st).unwrap();
        let back = store.load("rss:x").unwrap();
        assert!(back.seen("b") && back.seen("d") && !back.seen("a"));
        assert_eq!(back.cursor.unwrap()["etag"], "\"v1\"");
    }
}
