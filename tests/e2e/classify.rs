//! `simak classify`: JSONL in, the same objects with `lang` and `sentiment` out, in order.

use crate::harness::*;
use std::io::Write;
use std::process::Stdio;

#[test]
fn classify_enriches_in_order_and_reports_bad_lines() {
    let input = concat!(
        "{\"id\":\"a\",\"text\":\"Pelayanan di kantor kecamatan buruk sekali, petugasnya tidak ramah dan lambat\"}\n",
        "not json\n",
        "{\"text\":\"Terima kasih pak bupati, jalannya sekarang mulus dan bagus sekali\",\"extra\":{\"k\":1}}\n",
        "{\"title\":\"no text\"}\n",
        "[1,2]\n",
        "{\"text\":\"The new library downtown is wonderful\"}\n",
    );
    let mut child = std::process::Command::new(SIMAK)
        .args(["classify"])
        .env("SIMAK_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6, "one line out per line in");
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["lang"], "id");
    assert_eq!(lines[0]["sentiment"]["label"], "negative");
    let s = &lines[0]["sentiment"]["scores"];
    let sum = s["negative"].as_f64().unwrap()
        + s["neutral"].as_f64().unwrap()
        + s["positive"].as_f64().unwrap();
    assert!((sum - 1.0).abs() < 1e-3, "{s}");
    assert_eq!(lines[1]["error"]["line"], 2);
    assert!(lines[1]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    assert_eq!(lines[2]["sentiment"]["label"], "positive");
    assert_eq!(lines[2]["extra"]["k"], 1, "other fields kept");
    assert_eq!(lines[3]["error"]["message"], "missing `text`");
    assert_eq!(lines[4]["error"]["message"], "expected a JSON object");
    assert_eq!(lines[5]["lang"], "en");
}
