//! JSONL import: one mention per line, from a file or standard input.
//!
//! Each line is a JSON object with at least `text`. Missing fields are filled in: `source`
//! defaults to `import`; `id` to `<source>:u<hash>` of the canonical `url`, or, without a url,
//! `<source>:t<hash>` of the text, author and publication time (so re-importing a file never
//! makes new ids); an `id` without a `:` is taken as the platform id and prefixed with
//! `<source>:`; `published_at` defaults to `fetched_at`, which defaults to now. A line that is
//! not a JSON object or lacks `text` is reported with its line number and skipped.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use simak_bus::{Producer, Record};
use simak_core::mention::short_hash;
use simak_core::{url_mention_id, Mention};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// A rejected line.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// 1-based line number.
    pub line: u64,
    /// What was wrong.
    pub reason: String,
}

/// The outcome of an import.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Mentions handed to the log.
    pub accepted: u64,
    /// Lines skipped, with why.
    pub rejected: Vec<Rejected>,
}

/// Parses one line into a mention, filling in what is missing. `now` is the fetch time.
pub fn parse_line(line: &str, now: DateTime<Utc>) -> Result<Mention, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(mut obj) = v else {
        return Err(format!("expected a JSON object, found {}", kind(&v)));
    };
    match obj.get("text") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        Some(Value::String(_)) => return Err("`text` is empty".into()),
        Some(other) => return Err(format!("`text` must be a string, found {}", kind(other))),
        None => return Err("missing `text`".into()),
    }
    let source = match obj.get("source") {
        None | Some(Value::Null) => "import".to_string(),
        Some(Value::String(s)) if valid_source(s) => s.clone(),
        Some(other) => {
            return Err(format!(
                "`source` must be a short name of letters, digits, '-' or '_', found {other}"
            ))
        }
    };
    obj.insert("source".into(), Value::String(source.clone()));
    if !obj.contains_key("fetched_at") || obj["fetched_at"].is_null() {
        obj.insert("fetched_at".into(), Value::String(now.to_rfc3339()));
    }
    if !obj.contains_key("published_at") || obj["published_at"].is_null() {
        let f = obj["fetched_at"].clone();
        obj.insert("published_at".into(), f);
    }
    for field in ["published_at", "fetched_at"] {
        match &obj[field] {
            Value::String(t) if chrono::DateTime::parse_from_rfc3339(t).is_ok() => {}
            other => {
                return Err(format!(
                    "a date is not RFC 3339 (like 2026-11-20T08:00:00+07:00): `{field}` is {other}"
                ))
            }
        }
    }
    let id = match obj.get("id") {
        Some(Value::String(s)) if s.contains(':') => s.clone(),
        Some(Value::String(s)) if !s.is_empty() => format!("{source}:{s}"),
        Some(Value::Number(n)) => format!("{source}:{n}"),
        None | Some(Value::Null) => derive_id(&source, &obj),
        Some(other) => return Err(format!("`id` must be a string, found {}", kind(other))),
    };
    obj.insert("id".into(), Value::String(id));
    let m = serde_json::from_value::<Mention>(Value::Object(obj)).map_err(|e| e.to_string())?;
    // A number too large for f32 reads as infinity, which a record cannot hold (it would be
    // written as null and refused by every stage after the log).
    if let Some(s) = &m.sentiment {
        let sc = &s.scores;
        if ![sc.negative, sc.neutral, sc.positive]
            .iter()
            .all(|x| x.is_finite())
        {
            return Err("`sentiment.scores` must be finite numbers".into());
        }
    }
    Ok(m)
}

fn valid_source(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn derive_id(source: &str, obj: &Map<String, Value>) -> String {
    if let Some(Value::String(url)) = obj.get("url") {
        if !url.is_empty() {
            return url_mention_id(source, url);
        }
    }
    let author = obj.get("author").map(|a| a.to_string()).unwrap_or_default();
    let key = format!(
        "{}\u{1}{}\u{1}{}",
        obj["text"].as_str().unwrap_or_default(),
        author,
        obj["published_at"]
    );
    format!("{source}:t{}", short_hash(key.as_bytes()))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads JSONL from `reader` and hands the mentions to `producer` in batches of `batch`,
/// waiting for each batch's acknowledgement. `on_reject` is told about each bad line as it is
/// found. Fails only if the log fails.
pub async fn import<R: AsyncBufRead + Unpin>(
    reader: R,
    producer: &Producer,
    batch: usize,
    mut on_reject: impl FnMut(&Rejected),
) -> Result<ImportReport, simak_bus::BusError> {
    let mut lines = reader.lines();
    let mut report = ImportReport::default();
    let mut pending: Vec<Record> = Vec::with_capacity(batch);
    let mut n = 0u64;
    let now = Utc::now();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                // Invalid UTF-8 on a line: report it and stop reading (the reader cannot resync).
                n += 1;
                let r = Rejected {
                    line: n,
                    reason: format!("cannot read the line: {e}"),
                };
                on_reject(&r);
                report.rejected.push(r);
                break;
            }
        };
        n += 1;
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(&line, now) {
            Ok(m) => pending.push(Record {
                key: m.id.clone(),
                value: m.to_json(),
            }),
            Err(reason) => {
                let r = Rejected { line: n, reason };
                on_reject(&r);
                report.rejected.push(r);
            }
        }
        if pending.len() >= batch {
            let b = std::mem::take(&mut pending);
            report.accepted += b.len() as u64;
            producer.send(b).await?;
        }
    }
    if !pending.is_empty() {
        report.accepted += pending.len() as u64;
        producer.send(pending).await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-23T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn fills_defaults_and_stable_ids() {
        let m = parse_line(r#"{"text":"Banjir di Kecamatan Sukamaju"}"#, now()).unwrap();
        assert_eq!(m.source, "import");
        assert!(m.id.starts_with("import:t"));
        assert_eq!(m.published_at, now());
        let again = parse_line(r#"{"text":"Banjir di Kecamatan Sukamaju"}"#, now()).unwrap();
        assert_eq!(m.id, again.id, "same line, same id");
        let u = parse_line(
            r#"{"text":"x","source":"news","url":"https://a.id/b?utm_source=t"}"#,
            now(),
        )
        .unwrap();
        assert_eq!(u.id, url_mention_id("news", "https://a.id/b"));
        let p = parse_line(r#"{"text":"x","source":"x","id":"123"}"#, now()).unwrap();
        assert_eq!(p.id, "x:123");
    }

    #[test]
    fn rejects_say_what_is_wrong() {
        let cases = [
            ("{not json", "not valid JSON"),
            ("[1,2]", "expected a JSON object, found an array"),
            (r#"{"title":"t"}"#, "missing `text`"),
            (r#"{"text":42}"#, "`text` must be a string, found a number"),
            (r#"{"text":"  "}"#, "`text` is empty"),
            (r#"{"text":"x","published_at":"yesterday"}"#, "RFC 3339"),
            (r#"{"text":"x","source":"a b"}"#, "`source` must be"),
            // Found by fuzzing (jsonl_import): 1e308 is infinity as f32, and the record's
            // null did not read back.
            (
                r#"{"text":"x","sentiment":{"label":"negative","scores":{"negative":0.9,"neutral":1.051e308,"positive":0.05}}}"#,
                "must be finite",
            ),
        ];
        for (line, want) in cases {
            let err = parse_line(line, now()).unwrap_err();
            assert!(err.contains(want), "{line}: {err}");
        }
    }

    #[tokio::test]
    async fn import_reports_bad_lines_and_sends_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let log = simak_bus::embedded::EmbeddedLog::open(
            dir.path(),
            2,
            false,
            std::time::Duration::from_millis(10),
        )
        .unwrap();
        let producer = Producer::Embedded(log.producer("m").unwrap());
        let input =
            "{\"text\":\"satu\"}\n\nnot json\n{\"text\":\"dua\"}\n{\"x\":1}\n{\"text\":\"tiga\"}\n";
        let mut seen = Vec::new();
        let report = import(input.as_bytes(), &producer, 2, |r| seen.push(r.line))
            .await
            .unwrap();
        assert_eq!(report.accepted, 3);
        assert_eq!(seen, [3, 5]);
        let mut c = log.group_consumer("m", "g").unwrap();
        let got = c
            .poll(10, std::time::Duration::from_millis(50))
            .await
            .unwrap();
        assert_eq!(got.len(), 3);
    }
}
