//! RSS 0.9x/1.0/2.0, Atom, JSON Feed and CDF bodies through the RSS source's parser, with or
//! without a charset declared by HTTP (leading byte < 8, see `charset_prefix`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (charset, body) = simak_fuzz::charset_prefix(data);
    if let Ok(mentions) = simak_ingest::rss::parse_feed_with_charset(
        body,
        charset,
        "https://berita.example.id/rss",
        "daerah",
    ) {
        for m in &mentions {
            simak_fuzz::check_mention(m);
        }
    }
});
