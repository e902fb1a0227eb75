//! One Bluesky Jetstream event (a websocket text frame) through the event parser and the
//! keyword and language filter, as the source does.
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_core::config::JetstreamConfig;
use simak_ingest::jetstream::{parse_event, Jetstream};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let Some((_, Some(m))) = parse_event(&v) else {
        return;
    };
    simak_fuzz::check_mention(&m);
    let cfg = JetstreamConfig {
        langs: vec!["id".into()],
        ..JetstreamConfig::default()
    };
    let source = Jetstream::new(
        &cfg,
        &["Pemkab Sukamaju".to_string(), "banjir".to_string()],
    );
    let langs: Vec<String> = m.extra["langs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(str::to_string))
        .collect();
    let _ = source.wanted(&m.text, &langs);
});
