//! Collection health: `GET /api/sources` (JSON) and `GET /metrics` (Prometheus / OpenMetrics).
//!
//! Both read the health files the source scheduler writes (`simak_ingest::health`), so they
//! work whether the sources run in this process or in a separate `simak ingest`.

use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use simak_ingest::health::{self, SourceHealth};
use std::sync::atomic::AtomicU64;

async fn load(st: &AppState) -> Vec<SourceHealth> {
    let dir = health::dir(&st.sources_dir);
    tokio::task::spawn_blocking(move || health::load_all(&dir))
        .await
        .unwrap_or_default()
}

/// `GET /api/sources`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SourceList {
    /// When this was read.
    pub generated_at: chrono::DateTime<Utc>,
    /// Every source's health (`outages` running until now; without the per-minute counts and
    /// `failing_since` the health files keep).
    pub sources: Vec<SourceHealth>,
}

/// Collection health per source: state, last success and error, items/min, lag, rate limits,
/// outages (the current one running until now) and recorded gaps.
#[utoipa::path(get, path = "/api/sources", responses(
    (status = 200, description = "Sources", body = SourceList),
    (status = 401), (status = 500),
))]
pub async fn sources(State(st): State<AppState>, _caller: crate::auth::Caller) -> Response {
    let now = Utc::now();
    let list: Vec<serde_json::Value> = load(&st)
        .await
        .into_iter()
        .map(|h| {
            let outages = h.outages_until(now);
            let mut v = serde_json::to_value(&h).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.remove("minutes");
                o.remove("failing_since");
                o.insert(
                    "outages".into(),
                    serde_json::to_value(outages).unwrap_or_default(),
                );
            }
            v
        })
        .collect();
    Json(serde_json::json!({ "generated_at": now, "sources": list })).into_response()
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    source: String,
    platform: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    source: String,
    platform: String,
    state: String,
}

type FGauge = Gauge<f64, AtomicU64>;

/// Renders the OpenMetrics text of `list`.
pub fn render(list: &[SourceHealth], stages: &[(&str, simak_runtime::MetricsSnapshot)]) -> String {
    render_with(list, stages, &crate::storage::Storage::default())
}

/// [`render`] with the storage figures.
pub fn render_with(
    list: &[SourceHealth],
    stages: &[(&str, simak_runtime::MetricsSnapshot)],
    storage: &crate::storage::Storage,
) -> String {
    let mut top = Registry::default();
    render_stages(top.sub_registry_with_prefix("simak_stage"), stages);
    crate::storage::render(&mut top, storage);
    let reg = top.sub_registry_with_prefix("simak_source");
    let items = Family::<Labels, Counter>::default();
    let fetches = Family::<Labels, Counter>::default();
    let errors = Family::<Labels, Counter>::default();
    let limited = Family::<Labels, Counter>::default();
    let gaps = Family::<Labels, Counter>::default();
    let gap_secs = Family::<Labels, Counter<f64, AtomicU64>>::default();
    let rate = Family::<Labels, FGauge>::default();
    let lag = Family::<Labels, FGauge>::default();
    let last_ok = Family::<Labels, FGauge>::default();
    let failures = Family::<Labels, FGauge>::default();
    let state = Family::<StateLabels, FGauge>::default();
    reg.register("items", "New items handed to the log", items.clone());
    reg.register("fetches", "Fetch attempts", fetches.clone());
    reg.register("errors", "Failed fetches", errors.clone());
    reg.register("rate_limited", "Rate-limit answers", limited.clone());
    reg.register(
        "gaps",
        "Recorded gaps (ranges that could not be collected)",
        gaps.clone(),
    );
    reg.register(
        "gap_seconds",
        "Total length of the recorded gaps",
        gap_secs.clone(),
    );
    reg.register(
        "items_per_minute",
        "New items per minute over the last 15 minutes",
        rate.clone(),
    );
    reg.register(
        "lag_seconds",
        "Publication to hand-over of the newest item of the last batch",
        lag.clone(),
    );
    reg.register(
        "last_success_timestamp_seconds",
        "Unix time of the last successful fetch",
        last_ok.clone(),
    );
    reg.register(
        "consecutive_failures",
        "Failures since the last success",
        failures.clone(),
    );
    reg.register("state", "1 for the source's current state", state.clone());
    for h in list {
        let l = Labels {
            source: h.name.clone(),
            platform: h.platform.clone(),
        };
        items.get_or_create(&l).inc_by(h.items_total);
        fetches.get_or_create(&l).inc_by(h.fetches_total);
        errors.get_or_create(&l).inc_by(h.errors_total);
        limited.get_or_create(&l).inc_by(h.rate_limited_total);
        gaps.get_or_create(&l).inc_by(h.gaps.len() as u64);
        let secs: f64 = h
            .gaps
            .iter()
            .map(|g| (g.to - g.from).num_milliseconds().max(0) as f64 / 1000.0)
            .sum();
        gap_secs.get_or_create(&l).inc_by(secs);
        rate.get_or_create(&l).set(h.items_per_min);
        if let Some(s) = h.lag_secs {
            lag.get_or_create(&l).set(s as f64);
        }
        if let Some(t) = h.last_success {
            last_ok
                .get_or_create(&l)
                .set(t.timestamp_millis() as f64 / 1000.0);
        }
        failures
            .get_or_create(&l)
            .set(f64::from(h.consecutive_failures));
        for s in [
            health::State::Starting,
            health::State::Ok,
            health::State::Failing,
            health::State::RateLimited,
            health::State::NeedsAttention,
        ] {
            state
                .get_or_create(&StateLabels {
                    source: h.name.clone(),
                    platform: h.platform.clone(),
                    state: s.as_str().into(),
                })
                .set(if h.state == s { 1.0 } else { 0.0 });
        }
    }
    let mut out = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &top) {
        tracing::error!(error = %e, "encoding metrics failed");
    }
    out
}

/// The supervised stages of this process (`simak run` runs them all): what each applied, how
/// often it failed and was restarted, and when it last applied a batch.
fn render_stages(reg: &mut Registry, stages: &[(&str, simak_runtime::MetricsSnapshot)]) {
    let records = Family::<StageLabels, Counter>::default();
    let batches = Family::<StageLabels, Counter>::default();
    let failures = Family::<StageLabels, Counter>::default();
    let restarts = Family::<StageLabels, Counter>::default();
    let last = Family::<StageLabels, FGauge>::default();
    reg.register(
        "records",
        "Records the stage read and applied",
        records.clone(),
    );
    reg.register("batches", "Batches the stage applied", batches.clone());
    reg.register(
        "failures",
        "Failed reads, applies and commits",
        failures.clone(),
    );
    reg.register(
        "restarts",
        "Times the supervisor restarted the stage",
        restarts.clone(),
    );
    reg.register(
        "last_batch_timestamp_seconds",
        "Unix time the stage last applied a batch (0: never)",
        last.clone(),
    );
    for (name, m) in stages {
        let l = StageLabels {
            stage: (*name).to_string(),
        };
        records.get_or_create(&l).inc_by(m.records);
        batches.get_or_create(&l).inc_by(m.batches);
        failures.get_or_create(&l).inc_by(m.failures);
        restarts.get_or_create(&l).inc_by(m.restarts);
        last.get_or_create(&l).set(m.last_batch_ms as f64 / 1000.0);
    }
}

/// The label of a stage's metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabels {
    stage: String,
}

/// `GET /metrics`.
pub async fn metrics(State(st): State<AppState>) -> Response {
    let storage = crate::storage::snapshot(&st).await;
    let body = render_with(&load(&st).await, &simak_runtime::stages(), &storage);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_name_every_supervised_stage() {
        let m = simak_runtime::MetricsSnapshot {
            records: 1200,
            batches: 3,
            failures: 1,
            restarts: 1,
            last_batch_ms: 1_765_000_000_500,
        };
        let text = render(&[], &[("analyzer", m), ("indexer", Default::default())]);
        for line in [
            "simak_stage_records_total{stage=\"analyzer\"} 1200",
            "simak_stage_batches_total{stage=\"analyzer\"} 3",
            "simak_stage_failures_total{stage=\"analyzer\"} 1",
            "simak_stage_restarts_total{stage=\"analyzer\"} 1",
            "simak_stage_last_batch_timestamp_seconds{stage=\"analyzer\"} 1765000000.5",
            "simak_stage_restarts_total{stage=\"indexer\"} 0",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert_eq!(text.matches("# EOF").count(), 1, "{text}");
    }

    #[test]
    fn metrics_name_every_source() {
        let mut h = SourceHealth::new("reddit:indonesia");
        let now = Utc::now();
        h.success(
            now,
            12,
            Some(now),
            vec![health::Gap::new(
                now - chrono::Duration::seconds(90),
                now,
                "pages",
            )],
        );
        let text = render(&[h], &[]);
        assert!(
            text.contains(
                "simak_source_items_total{source=\"reddit:indonesia\",platform=\"reddit\"} 12"
            ),
            "{text}"
        );
        assert!(text.contains(
            "simak_source_gaps_total{source=\"reddit:indonesia\",platform=\"reddit\"} 1"
        ));
        assert!(text.contains(
            "simak_source_gap_seconds_total{source=\"reddit:indonesia\",platform=\"reddit\"} 90"
        ));
        assert!(text.contains(
            "simak_source_state{source=\"reddit:indonesia\",platform=\"reddit\",state=\"ok\"} 1"
        ));
        assert!(text.ends_with("# EOF\n"));
    }
}
