//! A Telegram public preview page (`t.me/s/<channel>`, HTML) through the page parser; each
//! line of the input also as a view count (`1.2K`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use simak_ingest::telegram::{parse_count, parse_preview};

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let page = parse_preview(&html, "humas_sukamaju");
    for (_, m) in &page.posts {
        simak_fuzz::check_mention(m);
    }
    for line in html.lines().take(64) {
        let _ = parse_count(line);
    }
});
