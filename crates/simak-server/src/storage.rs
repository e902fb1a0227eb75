//! Storage in `GET /metrics`: what the embedded log holds on disk, what its retention deleted,
//! and what the index holds and its horizon dropped.

use crate::AppState;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use simak_bus::embedded::{RetentionReport, TopicUsage};

/// The storage figures at one moment.
#[derive(Debug, Clone, Default)]
pub struct Storage {
    /// Per topic of the embedded log (None: the log is Kafka, or this server has none).
    pub log: Option<Vec<TopicUsage>>,
    /// What this process's retention deleted.
    pub deleted: RetentionReport,
    /// Documents in the index.
    pub index_docs: u64,
    /// Mentions this process's indexer dropped by the horizon.
    pub horizon_dropped: u64,
}

/// Reads the figures: the log's directory (so another process's writes count too) and this
/// process's counters.
pub async fn snapshot(st: &AppState) -> Storage {
    let log = match &st.factchecks {
        Some((simak_bus::Bus::Embedded(log), _)) => {
            let log = log.clone();
            tokio::task::spawn_blocking(move || log.usage())
                .await
                .ok()
                .and_then(|r| r.ok())
        }
        _ => None,
    };
    Storage {
        log,
        deleted: simak_bus::embedded::retention_totals(),
        index_docs: st.searcher.num_docs(),
        horizon_dropped: simak_index::indexer::horizon_dropped_total(),
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct TopicLabels {
    topic: String,
}

/// Registers the figures in `top` (`simak_log_*`, `simak_index_*`).
pub fn render(top: &mut Registry, s: &Storage) {
    {
        let reg = top.sub_registry_with_prefix("simak_log");
        if let Some(topics) = &s.log {
            let bytes = Family::<TopicLabels, Gauge>::default();
            let segments = Family::<TopicLabels, Gauge>::default();
            reg.register(
                "bytes",
                "Bytes of the embedded log's segment files on disk",
                bytes.clone(),
            );
            reg.register(
                "segments",
                "Segment files of the embedded log",
                segments.clone(),
            );
            for t in topics {
                let l = TopicLabels {
                    topic: t.topic.clone(),
                };
                bytes.get_or_create(&l).set(t.bytes as i64);
                segments.get_or_create(&l).set(t.segments as i64);
            }
        }
        let seg = Counter::<u64>::default();
        let bytes = Counter::<u64>::default();
        seg.inc_by(s.deleted.segments);
        bytes.inc_by(s.deleted.bytes);
        reg.register(
            "retention_deleted_segments",
            "Segments deleted by retention (this process)",
            seg,
        );
        reg.register(
            "retention_deleted_bytes",
            "Bytes deleted by retention (this process)",
            bytes,
        );
    }
    let reg = top.sub_registry_with_prefix("simak_index");
    let docs = Gauge::<i64>::default();
    docs.set(s.index_docs as i64);
    reg.register("documents", "Mentions in the index", docs);
    let dropped = Counter::<u64>::default();
    dropped.inc_by(s.horizon_dropped);
    reg.register(
        "horizon_dropped",
        "Mentions dropped by index.horizon (this process)",
        dropped,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_figures_are_named() {
        let s = Storage {
            log: Some(vec![TopicUsage {
                topic: "simak.mentions".into(),
                segments: 3,
                bytes: 123_456,
            }]),
            deleted: RetentionReport {
                segments: 2,
                bytes: 99_000,
            },
            index_docs: 42,
            horizon_dropped: 7,
        };
        let text = crate::sources::render_with(&[], &[], &s);
        for line in [
            "simak_log_bytes{topic=\"simak.mentions\"} 123456",
            "simak_log_segments{topic=\"simak.mentions\"} 3",
            "simak_log_retention_deleted_segments_total 2",
            "simak_log_retention_deleted_bytes_total 99000",
            "simak_index_documents 42",
            "simak_index_horizon_dropped_total 7",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert_eq!(text.matches("# EOF").count(), 1);
    }
}
