//! Editing an OPD's complaint routing (the `[complaints]` table of its watch profile file) while
//! Simak runs, and following such edits without a restart.
//!
//! [`update`] validates a new table with the loader's rules ([`Router::new`] and
//! [`Router::check_places`] over all profiles with the edit applied), then rewrites only that
//! table of the profile's TOML file (other keys and comments stay) atomically: a temporary file
//! in the same directory, fsync, rename. [`LiveRouter`] is what the review feeder routes new
//! complaints with: it re-reads the profiles when a profile file's modification time, size or
//! the set of files changes, so an edit (through the API or by hand) applies to the next batch.
//! Existing cases keep their OPD.

use crate::complaints::{load_router, Router};
use simak_analyze::complaint::Gazetteer;
use simak_analyze::profiles::WatchProfile;
use simak_core::config::ComplaintRouting;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Why a routing edit was refused.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    /// No profile file has that id.
    #[error("{0}")]
    NotFound(String),
    /// The new routing breaks a rule of the loader.
    #[error("{0}")]
    Invalid(String),
    /// It makes the profile the fallback while another one is.
    #[error("{0}")]
    Conflict(String),
    /// Reading or writing the profile files failed.
    #[error("{0}")]
    Io(String),
}

/// The profile files of `dir` (`*.toml`, by name) with their profiles.
fn read_profiles(dir: &Path) -> Result<Vec<(PathBuf, String, WatchProfile)>, RoutingError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| RoutingError::Io(format!("{}: {e}", dir.display())))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| RoutingError::Io(format!("{}: {e}", path.display())))?;
            let p: WatchProfile = toml::from_str(&text)
                .map_err(|e| RoutingError::Io(format!("{}: {e}", path.display())))?;
            Ok((path, text, p))
        })
        .collect()
}

/// `text` (a profile file) with its `[complaints]` table set to `r`; everything else, comments
/// included, stays. Keys already there keep their place and comments.
pub fn rewrite_complaints(text: &str, r: &ComplaintRouting) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    if !doc.get("complaints").is_some_and(|i| i.is_table()) {
        doc["complaints"] = toml_edit::Item::Table(toml_edit::Table::new());
    }
    let t = doc["complaints"].as_table_mut().expect("a table");
    let strings = |v: Vec<String>| {
        let mut a = toml_edit::Array::new();
        for s in v {
            a.push(s);
        }
        toml_edit::Value::Array(a)
    };
    let categories = r
        .categories
        .iter()
        .map(|c| {
            serde_json::to_value(c)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    let values = [
        ("categories", strings(categories)),
        ("places", strings(r.places.clone())),
        (
            "target_hours",
            toml_edit::Value::from(i64::from(r.target_hours)),
        ),
        ("fallback", toml_edit::Value::from(r.fallback)),
    ];
    for (k, mut v) in values {
        match t.get_mut(k).and_then(|i| i.as_value_mut()) {
            Some(old) => {
                // The old value's spacing and trailing comment.
                *v.decor_mut() = old.decor().clone();
                *old = v;
            }
            None => {
                t.insert(k, toml_edit::Item::Value(v));
            }
        }
    }
    Ok(doc.to_string())
}

/// Writes `text` to `path` atomically: a temporary file in the same directory, fsync, rename
/// (and fsync of the directory, so the rename survives a crash).
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("profile");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        if let Ok(m) = std::fs::metadata(path) {
            f.set_permissions(m.permissions())?;
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Sets the complaint routing of profile `id` in `profiles_dir` to `new`, after checking the
/// whole table with the edit applied by the loader's rules (target of at least one hour, at
/// most one fallback, places the gazetteer at `gazetteer` knows; the categories are checked
/// when `new` is parsed). Returns the routing it replaced. Not safe against a concurrent edit of
/// the same directory: callers serialise.
pub fn update(
    profiles_dir: &Path,
    gazetteer: &Path,
    id: &str,
    new: &ComplaintRouting,
) -> Result<ComplaintRouting, RoutingError> {
    let mut files = read_profiles(profiles_dir)?;
    let Some(i) = files.iter().position(|(_, _, p)| p.id == id) else {
        return Err(RoutingError::NotFound(format!("no watch profile {id:?}")));
    };
    let mut new = new.clone();
    new.places = new
        .places
        .iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    let mut seen = std::collections::HashSet::new();
    new.categories.retain(|c| seen.insert(*c));
    if new.fallback {
        if let Some((_, _, f)) = files
            .iter()
            .find(|(_, _, p)| p.id != id && p.complaints.fallback)
        {
            return Err(RoutingError::Conflict(format!(
                "watch profile {:?} is already the complaints fallback; at most one may be \
                 (unset it there first)",
                f.id
            )));
        }
    }
    let old = std::mem::replace(&mut files[i].2.complaints, new.clone());
    let router = Router::new(files.iter().map(|(_, _, p)| p)).map_err(RoutingError::Invalid)?;
    let g = Gazetteer::load(gazetteer).map_err(RoutingError::Io)?;
    router.check_places(&g).map_err(RoutingError::Invalid)?;
    let (path, text, _) = &files[i];
    let out = rewrite_complaints(text, &new)
        .map_err(|e| RoutingError::Io(format!("{}: {e}", path.display())))?;
    write_atomic(path, &out).map_err(|e| RoutingError::Io(format!("{}: {e}", path.display())))?;
    Ok(old)
}

/// What the profile files looked like: names, modification times and sizes.
type Stamp = Vec<(PathBuf, Option<SystemTime>, u64)>;

fn stamp(dir: &Path) -> Stamp {
    let mut s: Stamp = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .map(|p| {
                    let m = std::fs::metadata(&p).ok();
                    let t = m.as_ref().and_then(|m| m.modified().ok());
                    (p, t, m.map_or(0, |m| m.len()))
                })
                .collect()
        })
        .unwrap_or_default();
    s.sort();
    s
}

/// The routing table as the profile files say now: re-read when they change (see the module
/// documentation). A change that does not load (a bad hand edit) is logged and the last good
/// table stays.
pub struct LiveRouter {
    cfg: simak_core::Config,
    stamp: Stamp,
    router: Arc<Router>,
}

impl LiveRouter {
    /// The table of `cfg`'s profiles now.
    pub fn load(cfg: &simak_core::Config) -> Result<LiveRouter, String> {
        let stamp = stamp(&cfg.analyzer.profiles_dir);
        let router = Arc::new(load_router(cfg)?);
        Ok(LiveRouter {
            cfg: cfg.clone(),
            stamp,
            router,
        })
    }

    /// The table, re-read first if a profile file changed since the last look.
    pub fn current(&mut self) -> Arc<Router> {
        let now = stamp(&self.cfg.analyzer.profiles_dir);
        if now != self.stamp {
            match load_router(&self.cfg) {
                Ok(r) => {
                    tracing::info!("complaint routing re-read: a watch profile file changed");
                    self.router = Arc::new(r);
                    self.stamp = now;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "complaint routing not re-read; the last good one stays");
                    // Try again only after the next change.
                    self.stamp = now;
                }
            }
        }
        self.router.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simak_core::ComplaintCategory;

    const PEMKAB: &str = "# The regency's Humas.\nid = \"pemkab\"\nname = \"Pemkab\"\n\
        accounts = [\"@pemkab\"]\n\n# Routing, see the docs.\n[complaints]\n\
        # Categories it owns.\ncategories = [\"other\"]\ntarget_hours = 24 # a day\n\
        fallback = true\n";
    const DINAS: &str = "id = \"dinas\"\nname = \"Dinas\"\n# no routing yet\n";

    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let profiles = d.path().join("profiles");
        std::fs::create_dir(&profiles).unwrap();
        std::fs::write(profiles.join("a-pemkab.toml"), PEMKAB).unwrap();
        std::fs::write(profiles.join("b-dinas.toml"), DINAS).unwrap();
        let g = d.path().join("gazetteer.toml");
        std::fs::write(
            &g,
            "[[kecamatan]]\nname = \"Cibadak\"\ndesa = [\"Sukaresmi\"]\n",
        )
        .unwrap();
        (d, profiles, g)
    }

    fn routing(cats: &[ComplaintCategory], places: &[&str], hours: u32) -> ComplaintRouting {
        ComplaintRouting {
            categories: cats.to_vec(),
            places: places.iter().map(|s| s.to_string()).collect(),
            target_hours: hours,
            fallback: false,
        }
    }

    #[test]
    fn an_edit_rewrites_only_the_complaints_table_and_keeps_comments() {
        let (_d, dir, g) = setup();
        let mut r = routing(
            &[ComplaintCategory::Other, ComplaintCategory::Roads],
            &[],
            12,
        );
        r.fallback = true;
        let old = update(&dir, &g, "pemkab", &r).unwrap();
        assert_eq!(old.target_hours, 24);
        let text = std::fs::read_to_string(dir.join("a-pemkab.toml")).unwrap();
        for kept in [
            "# The regency's Humas.",
            "accounts = [\"@pemkab\"]",
            "# Routing, see the docs.",
            "# Categories it owns.",
            "# a day",
        ] {
            assert!(text.contains(kept), "{kept:?} lost:\n{text}");
        }
        assert!(
            text.contains("categories = [\"other\", \"roads\"]"),
            "{text}"
        );
        assert!(text.contains("target_hours = 12"), "{text}");
        let p: WatchProfile = toml::from_str(&text).unwrap();
        assert_eq!(p.complaints, r);
        assert_eq!(p.accounts, ["@pemkab"]);

        // A profile without a table gets one, by a place the gazetteer knows.
        let r = routing(&[], &[" Cibadak "], 48);
        update(&dir, &g, "dinas", &r).unwrap();
        let text = std::fs::read_to_string(dir.join("b-dinas.toml")).unwrap();
        assert!(
            text.starts_with("id = \"dinas\"\nname = \"Dinas\"\n"),
            "{text}"
        );
        assert!(text.contains("# no routing yet\n"), "{text}");
        let p: WatchProfile = toml::from_str(&text).unwrap();
        assert_eq!(p.complaints.places, ["Cibadak"]);
        assert_eq!(p.complaints.target_hours, 48);
        // No temporary file stays behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    }

    #[test]
    fn an_edit_that_breaks_a_rule_is_refused_and_changes_nothing() {
        let (_d, dir, g) = setup();
        let before = std::fs::read_to_string(dir.join("b-dinas.toml")).unwrap();
        let mut two_fallbacks = routing(&[], &[], 24);
        two_fallbacks.fallback = true;
        let cases = [
            (routing(&[ComplaintCategory::Roads], &[], 0), "at least 1"),
            (
                routing(&[ComplaintCategory::Roads], &[], 8761),
                "at most 8760",
            ),
            (routing(&[], &["Atlantis"], 24), "gazetteer does not know"),
        ];
        for (r, says) in cases {
            match update(&dir, &g, "dinas", &r) {
                Err(RoutingError::Invalid(m)) => assert!(m.contains(says), "{m}"),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            update(&dir, &g, "dinas", &two_fallbacks),
            Err(RoutingError::Conflict(m)) if m.contains("\"pemkab\" is already")
        ));
        assert!(matches!(
            update(&dir, &g, "nobody", &routing(&[], &[], 24)),
            Err(RoutingError::NotFound(_))
        ));
        assert_eq!(
            std::fs::read_to_string(dir.join("b-dinas.toml")).unwrap(),
            before
        );
        // An unknown category never gets this far: the body does not parse.
        let bad = serde_json::from_str::<ComplaintRouting>(r#"{"categories": ["potholes"]}"#);
        assert!(bad.unwrap_err().to_string().contains("potholes"));
    }

    #[test]
    fn the_live_router_follows_an_edit() {
        let (_d, dir, g) = setup();
        let mut cfg = simak_core::Config::default();
        cfg.analyzer.profiles_dir = dir.clone();
        cfg.analyzer.gazetteer = g.clone();
        let mut live = LiveRouter::load(&cfg).unwrap();
        let roads = simak_core::Complaint {
            kind: simak_core::ComplaintKind::Complaint,
            category: Some(ComplaintCategory::Roads),
            place: None,
            confidence: 1.0,
        };
        assert_eq!(live.current().route(&roads).unwrap().opd, "pemkab");
        update(
            &dir,
            &g,
            "dinas",
            &routing(&[ComplaintCategory::Roads], &[], 48),
        )
        .unwrap();
        let r = live.current().route(&roads).unwrap();
        assert_eq!((r.opd.as_str(), r.target_hours), ("dinas", 48));
        // A broken hand edit keeps the last good table.
        std::fs::write(dir.join("b-dinas.toml"), "id = [").unwrap();
        assert_eq!(live.current().route(&roads).unwrap().opd, "dinas");
    }
}
