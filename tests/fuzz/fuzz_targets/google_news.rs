//! Google News link resolution: the publisher URL decoded from an article id. The input is
//! the id's bytes (encoded into a news.google.com link here) and, as text, a link itself.
#![no_main]
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use simak_ingest::googlenews::decode_article_url;

fn check(found: Option<String>) {
    if let Some(u) = found {
        url::Url::parse(&u).expect("a decoded publisher URL is a URL");
    }
}

fuzz_target!(|data: &[u8]| {
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data);
    check(decode_article_url(&format!(
        "https://news.google.com/rss/articles/{id}?oc=5"
    )));
    if let Ok(text) = std::str::from_utf8(data) {
        check(decode_article_url(text));
    }
});
