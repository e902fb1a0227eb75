//! A Mastodon hashtag timeline page (an array of statuses) or one streamed `update` event's
//! status, through the status parser.
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_ingest::mastodon::parse_status;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let statuses = match &v {
        serde_json::Value::Array(a) => a.iter().collect::<Vec<_>>(),
        one => vec![one],
    };
    for s in statuses {
        if let Some(m) = parse_status(s) {
            simak_fuzz::check_mention(&m);
        }
    }
});
