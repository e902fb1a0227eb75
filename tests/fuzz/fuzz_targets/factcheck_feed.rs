//! A fact-check feed: the RSS parser, then each item as the fact-check record the source
//! writes (verdict split from the title); and each line of the input as a title.
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_core::config::{FeedConfig, RssConfig};
use simak_ingest::factcheck_feed::{split_verdict, FactcheckFeed};
use simak_ingest::Source;
use std::sync::OnceLock;

fn source() -> &'static FactcheckFeed {
    static S: OnceLock<FactcheckFeed> = OnceLock::new();
    S.get_or_init(|| {
        let feed = FeedConfig {
            name: "turnbackhoax".into(),
            url: "https://turnbackhoax.example.id/feed/".into(),
            interval_secs: None,
        };
        let client = simak_ingest::http_client("simak-fuzz", 5).expect("client");
        FactcheckFeed::new(&feed, &RssConfig::default(), client)
    })
}

fuzz_target!(|data: &[u8]| {
    let (charset, body) = simak_fuzz::charset_prefix(data);
    if let Ok(mentions) = simak_ingest::rss::parse_feed_with_charset(
        body,
        charset,
        "https://turnbackhoax.example.id/feed/",
        "turnbackhoax",
    ) {
        for m in &mentions {
            simak_fuzz::check_mention(m);
            let rec = source().record(m);
            let v: serde_json::Value =
                serde_json::from_slice(&rec.value).expect("a fact-check record is JSON");
            assert_eq!(v["id"].as_str(), Some(rec.key.as_str()));
            assert!(v["claim"].is_string() && v["verdict"].is_string());
        }
    }
    for line in String::from_utf8_lossy(data).lines() {
        let (verdict, claim) = split_verdict(line);
        assert!(verdict == verdict.trim() && verdict.len() <= line.len());
        assert!(claim.len() <= line.len());
    }
});
