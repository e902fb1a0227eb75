//! Helpers shared by the fuzz targets: splitting an input into fields, and the checks every
//! parsed mention must pass.

use chrono::{DateTime, TimeZone, Utc};
use simak_core::Mention;

/// A fixed "now", so that runs are reproducible.
pub fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000, 0).unwrap()
}

/// The charsets an HTTP `Content-Type` may declare, chosen by a leading byte below 8 (which no
/// feed starts with); otherwise no declared charset and the whole input is the body.
pub fn charset_prefix(data: &[u8]) -> (Option<&'static str>, &[u8]) {
    const CHARSETS: [Option<&str>; 8] = [
        None,
        Some("utf-8"),
        Some("iso-8859-1"),
        Some("windows-1252"),
        Some("utf-16le"),
        Some("utf-16be"),
        Some("koi8-r"),
        Some("no-such-charset"),
    ];
    match data.first() {
        Some(&b) if b < 8 => (CHARSETS[b as usize], &data[1..]),
        _ => (None, data),
    }
}

/// The input as text, split at NUL bytes into `n` fields (missing ones empty).
pub fn fields(data: &[u8], n: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let mut out: Vec<String> = text.splitn(n, '\0').map(str::to_string).collect();
    out.resize(n, String::new());
    out
}

/// What every mention a parser hands to the log must satisfy: an id, and a record that the
/// next stage reads back as the same mention.
pub fn check_mention(m: &Mention) {
    assert!(!m.id.is_empty(), "a mention without id: {m:?}");
    let json = m.to_json();
    let back = Mention::from_json(&json).unwrap_or_else(|e| {
        panic!(
            "the log record of a parsed mention does not parse back: {e}: {}",
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(back.id, m.id);
    assert_eq!(back.text, m.text);
    assert_eq!(back.url, m.url);
    assert_eq!(back.published_at, m.published_at);
}
