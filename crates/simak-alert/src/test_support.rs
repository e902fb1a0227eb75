//! Helpers shared by the unit tests.

use crate::AlertStore;
use simak_core::config::AlertsConfig;
use simak_core::Mention;

pub(crate) fn mention(id: &str, text: &str, hoax: serde_json::Value, published: &str) -> Mention {
    serde_json::from_value(serde_json::json!({
        "id": id, "source": "x", "text": text,
        "published_at": published, "fetched_at": published,
        "profiles": ["pemkab"], "sentiment": {"label": "negative", "scores": {"negative": 0.9, "neutral": 0.05, "positive": 0.05}},
        "hoax": hoax
    }))
    .unwrap()
}

pub(crate) fn known(size: u32) -> serde_json::Value {
    serde_json::json!({"label": "known_hoax", "score": 0.95, "reasons": ["r"],
        "matches": [{"id": "fc-1", "claim": "klaim", "url": null, "verdict": "hoaks", "similarity": 0.9}],
        "cluster": {"id": "00000000000000aa", "size": size, "last_hour": size}})
}

pub(crate) fn none() -> serde_json::Value {
    serde_json::json!({"label": "none", "score": 0.0, "reasons": [], "matches": [],
        "cluster": {"id": "00000000000000bb", "size": 1, "last_hour": 1}})
}

pub(crate) fn store() -> (tempfile::TempDir, AlertStore) {
    let d = tempfile::tempdir().unwrap();
    let s = AlertStore::open(&d.path().join("alerts.sqlite")).unwrap();
    (d, s)
}

pub(crate) fn cfg() -> AlertsConfig {
    AlertsConfig {
        default_recipients: vec!["humas@example.id".into(), "kabid@example.id".into()],
        ..Default::default()
    }
}
