//! `simak classify`: JSONL in, the same objects with `lang` and `sentiment` out, in order.

use crate::harness::*;

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
    let mut cmd = std::process::Command::new(SIMAK);
    cmd.args(["classify"]).env("SIMAK_LOG", "warn");
    let out = with_stdin(cmd, input);
    assert_ok(&out);
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

#[test]
fn imported_factchecks_flag_a_paraphrased_hoax() {
    let app = App::new(None, "");
    let kb = concat!(
        "{\"id\":\"tbh-2026-001\",\"claim\":\"Pemkab Sukamaju membagikan bantuan tunai Rp 5 juta untuk setiap warga yang mendaftar lewat tautan WhatsApp\",\"verdict\":\"hoaks\",\"url\":\"https://sukamajukab.go.id/klarifikasi/1\",\"source\":\"pemkab-sukamaju\"}\n",
        "{\"claim\":\"no id\"}\n",
    );
    let out = with_stdin(app.cmd(&["factcheck", "import", "-"]), kb);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("-:2:") && err.contains("imported 1 fact-checks"),
        "{err}"
    );

    let input = concat!(
        "{\"text\":\"SEBARKAN! pemkab sukamaju bagi2 bantuan tunai 5 juta buat setiap warga yg daftar lewat link whatsapp\"}\n",
        "{\"text\":\"Jalan di depan pasar Sukamaju rusak, mohon diperbaiki\"}\n",
    );
    let out = with_stdin(app.cmd(&["classify"]), input);
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let h = &lines[0]["hoax"];
    assert_eq!(h["label"], "known_hoax", "{h}");
    assert_eq!(h["matches"][0]["id"], "tbh-2026-001");
    assert!(
        h["matches"][0]["similarity"].as_f64().unwrap() > 0.72,
        "{h}"
    );
    assert!(
        h["reasons"][0].as_str().unwrap().contains("mirip klaim"),
        "{h}"
    );
    assert_eq!(lines[0]["profiles"][0], "pemkab-sukamaju", "{}", lines[0]);
    assert_eq!(lines[1]["hoax"]["label"], "none", "{}", lines[1]);
    assert_eq!(lines[1]["hoax"]["cluster"]["size"], 1);
}

#[test]
fn train_hoax_learns_from_decisions_and_classify_uses_it() {
    let app = App::new(None, "");
    let labels = app.dir.path().join("labels.jsonl");
    let few = "{\"text\":\"SEBARKAN info ini\",\"label\":\"hoax\"}\n{\"text\":\"jalan rusak\",\"label\":\"not_hoax\"}\n";
    std::fs::write(&labels, few).unwrap();
    let out = app.run(&["train", "hoax", "--labels", labels.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("too few decisions"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Decisions in the shape `simak review export` writes: the shipped hoax test posts.
    let posts = include_str!("../../crates/simak-analyze/data/hoax/posts.tsv");
    let mut body = String::new();
    for line in posts.lines().filter(|l| !l.starts_with('#')) {
        let mut p = line.splitn(3, '\t');
        let (kind, _, text) = (p.next().unwrap(), p.next(), p.next().unwrap());
        let label = if kind == "none" { "not_hoax" } else { "hoax" };
        body.push_str(&serde_json::json!({"text": text, "label": label}).to_string());
        body.push('\n');
    }
    std::fs::write(&labels, body).unwrap();
    let out = app.run(&["train", "hoax", "--labels", labels.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_ok(&out);
    assert!(
        stdout.contains("office model") && stdout.contains("rules alone"),
        "{stdout}"
    );
    let model: serde_json::Value = serde_json::from_slice(
        &std::fs::read(app.dir.path().join("data/models/hoax.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(model["weights"].as_array().unwrap().len(), 12);
    let out = with_stdin(
        app.cmd(&["classify"]),
        "{\"text\":\"AWAS!! Ada undian berhadiah mobil, klik link bit.ly/hadiah dan isi data diri\"}\n",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasons = v["hoax"]["reasons"].to_string();
    assert!(reasons.contains("model dari keputusan kantor"), "{v}");
    assert_eq!(v["hoax"]["label"], "suspected", "{v}");
}

#[test]
fn eval_sentiment_scores_binary_and_three_class_files() {
    let app = App::new(None, "");
    let dir = app.dir.path();
    // Binary: labels positive/negative only (a header line, a post starting with a hashtag).
    let binary = dir.join("binary.tsv");
    std::fs::write(
        &binary,
        "text\tlabel\n\
         Pelayanannya buruk sekali, petugas tidak ramah dan lambat\tnegative\n\
         #jalanrusak jalan rusak parah tidak pernah diperbaiki, kecewa\tnegative\n\
         Terima kasih, pelayanan cepat dan ramah, mantap sekali\tpositive\n\
         Bagus sekali, saya puas dan senang\tpositive\n",
    )
    .unwrap();
    let out = app.run(&["eval", "sentiment", "--data", binary.to_str().unwrap()]);
    assert_ok(&out);
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("4 examples, labels positive/negative only"),
        "{s}"
    );
    assert!(
        s.contains("binary: the more likely of negative and positive")
            && s.contains("3-class argmax, neutral counted as wrong"),
        "{s}"
    );
    assert!(s.contains("macro-F1") && s.contains("precision"), "{s}");
    // Three classes, and the default (SmSA test shipped in the binary).
    let three = dir.join("three.tsv");
    std::fs::write(
        &three,
        "Pelayanannya buruk sekali\tnegative\nRapat dimulai pukul sembilan\tneutral\nBagus sekali\tpositive\n",
    )
    .unwrap();
    let out = app.run(&["eval", "sentiment", "--data", three.to_str().unwrap()]);
    assert_ok(&out);
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("3 examples, 3 classes") && s.contains("neutral"),
        "{s}"
    );
    let out = app.run(&["eval", "sentiment"]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("SmSA test (500 examples"));
    // A bad label names the line; an unknown split is refused.
    std::fs::write(&three, "bagus\tpositive\nbagus\tgreat\n").unwrap();
    let out = app.run(&["eval", "sentiment", "--data", three.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2") && err.contains("unknown label"),
        "{err}"
    );
    let out = app.run(&["eval", "sentiment", "--split", "nope"]);
    assert!(!out.status.success());
}
