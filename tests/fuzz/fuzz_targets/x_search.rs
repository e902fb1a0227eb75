//! An X API v2 recent-search answer (`data`, `includes.users`) through the tweet parser.
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_ingest::x::parse_tweet;
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = simak_ingest::json_body(data, "fuzz") else {
        return;
    };
    let users: HashMap<&str, &serde_json::Value> = v["includes"]["users"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| Some((u["id"].as_str()?, u)))
                .collect()
        })
        .unwrap_or_default();
    let Some(tweets) = v["data"].as_array() else {
        return;
    };
    for (_, m) in tweets.iter().filter_map(|t| parse_tweet(t, &users)) {
        simak_fuzz::check_mention(&m);
    }
});
