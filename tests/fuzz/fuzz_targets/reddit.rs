//! A Reddit search listing (`data.children`) through the post parser.
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_ingest::reddit::parse_post;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = simak_ingest::json_body(data, "fuzz") else {
        return;
    };
    let Some(children) = v["data"]["children"].as_array() else {
        return;
    };
    for (_, m) in children.iter().filter_map(parse_post) {
        simak_fuzz::check_mention(&m);
    }
});
