//! A YouTube `commentThreads` answer (`items`) through the thread parser.
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_ingest::youtube::parse_thread;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = simak_ingest::json_body(data, "fuzz") else {
        return;
    };
    let Some(items) = v["items"].as_array() else {
        return;
    };
    for (_, m) in items.iter().filter_map(parse_thread) {
        simak_fuzz::check_mention(&m);
    }
});
