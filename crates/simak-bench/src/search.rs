//! `simak bench search`: search latency over a large index through the HTTP API.
//!
//! Builds an index of `n` mentions (SmSA texts, six sources, three watch profiles, two weeks,
//! sentiment labels), starts `simak serve` on it in a child process, and times typical officer
//! queries one at a time over HTTP: a term, a phrase, and a boolean query with a date range and a
//! profile filter (every answer carries its facet counts, as the search page asks for them).
//! The baseline, measured in the same run, is the same requests against the searcher in this
//! process, without HTTP and JSON.

use anyhow::{bail, Context, Result};
use simak_core::Mention;
use simak_index::{MentionSearcher, SearchRequest};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PROFILES: [&str; 3] = ["pemkab-sukamaju", "dinkes-sukamaju", "dishub-sukamaju"];
const SOURCES: [&str; 6] = ["x", "bluesky", "mastodon", "rss", "youtube", "telegram"];
const LABELS: [&str; 3] = ["negative", "neutral", "positive"];

/// Indexes `n` mentions at `dir`, merging as the indexer does with `max_merge_docs`
/// (`index.max_merge_docs`; 0: tantivy's default policy); returns the number of segments.
fn build(texts: &[String], dir: &Path, n: usize, max_merge_docs: usize) -> Result<usize> {
    let (index, fields) = simak_index::indexer::open_or_create(dir)?;
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(2, 512 << 20)?;
    writer.set_merge_policy(Box::new(simak_index::indexer::merge_policy(max_merge_docs)));
    let mut next = simak_core::xorshift::xorshift();
    let start: chrono::DateTime<chrono::Utc> = "2026-11-01T00:00:00Z".parse()?;
    let now = chrono::Utc::now();
    let t0 = Instant::now();
    for i in 0..n {
        let a = &texts[next() as usize % texts.len()];
        let text = if next().is_multiple_of(3) {
            format!("{a} {}", texts[next() as usize % texts.len()])
        } else {
            a.clone()
        };
        let label = LABELS[next() as usize % 3];
        let profiles: Vec<&str> = PROFILES
            .iter()
            .filter(|_| next().is_multiple_of(4))
            .copied()
            .collect();
        let m: Mention = serde_json::from_value(serde_json::json!({
            "id": format!("bench:{i}"),
            "source": SOURCES[i % SOURCES.len()],
            "author": {"handle": format!("warga{}", next() % 5000), "followers": next() % 20000},
            "text": text,
            "lang": "id",
            "published_at": (start + chrono::Duration::seconds((i as i64 * 1_209_600) / n as i64)).to_rfc3339(),
            "fetched_at": now.to_rfc3339(),
            "metrics": {"likes": next() % 500, "shares": next() % 100},
            "sentiment": {"label": label, "scores": {"negative": 0.2, "neutral": 0.2, "positive": 0.6}},
            "profiles": profiles,
        }))?;
        writer.add_document(simak_index::schema::to_document(&fields, &m))?;
        if i > 0 && i % 250_000 == 0 {
            eprintln!(
                "  {i} indexed ({:.0}/s)",
                i as f64 / t0.elapsed().as_secs_f64()
            );
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(index.searchable_segment_ids()?.len())
}

/// The queries: (kind, query string for the API, request for the searcher).
pub(crate) fn queries() -> Vec<(&'static str, String, SearchRequest)> {
    let terms = [
        "pelayanan",
        "jalan",
        "banjir",
        "harga",
        "makanan",
        "kecewa",
        "bagus",
        "pemerintah",
        "aplikasi",
        "rumah",
        "sekolah",
        "rusak",
        "cepat",
        "mahal",
        "ramah",
        "antre",
        "bersih",
        "lambat",
        "parkir",
        "sampah",
    ];
    let phrases = [
        "\"pelayanan nya\"",
        "\"tidak enak\"",
        "\"sangat puas\"",
        "\"harga nya\"",
        "\"tidak ramah\"",
        "\"tempat nya\"",
        "\"pesan tiket\"",
        "\"rumah makan\"",
        "\"sangat kecewa\"",
        "\"tidak akan\"",
    ];
    let booleans = [
        "(pelayanan OR layanan) AND -enak",
        "kecewa AND (lambat OR lama)",
        "(harga OR mahal) AND -murah",
        "(jalan OR parkir) AND (rusak OR sempit)",
        "pemerintah OR presiden OR menteri",
    ];
    let mut out = Vec::new();
    let req = |q: &str| SearchRequest {
        q: q.to_string(),
        limit: 20,
        ..Default::default()
    };
    for t in terms {
        out.push(("term", format!("q={}", enc(t)), req(t)));
    }
    for p in phrases {
        out.push(("phrase", format!("q={}", enc(p)), req(p)));
    }
    for (k, b) in booleans.iter().enumerate() {
        let since = format!("2026-11-{:02}T00:00:00Z", 3 + k);
        let until = format!("2026-11-{:02}T00:00:00Z", 10 + k);
        let profile = PROFILES[k % 3];
        out.push((
            "boolean + dates + profile",
            format!("q={}&since={since}&until={until}&profile={profile}", enc(b)),
            SearchRequest {
                since: Some(since.parse().expect("date")),
                until: Some(until.parse().expect("date")),
                profile: Some(profile.into()),
                ..req(b)
            },
        ));
    }
    out
}

pub(crate) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(crate) fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

pub async fn run(
    corpus: &Path,
    n: usize,
    rounds: usize,
    max_merge_docs: usize,
) -> Result<ExitCode> {
    let texts = crate::data::corpus_texts(corpus)?;
    let tmp = tempfile::Builder::new()
        .prefix("simak-bench-search")
        .tempdir()?;
    let data = tmp.path().join("data");
    let index_dir = data.join("index");
    std::fs::create_dir_all(&index_dir)?;
    eprintln!("indexing {n} mentions ...");
    let t0 = Instant::now();
    let segments = build(&texts, &index_dir, n, max_merge_docs)?;
    let build_s = t0.elapsed().as_secs_f64();
    let size: u64 = std::fs::read_dir(&index_dir)?
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    eprintln!(
        "indexed in {build_s:.1} s ({:.0}/s), {:.0} MB on disk, {segments} segments \
         (index.max_merge_docs {max_merge_docs})",
        n as f64 / build_s,
        size as f64 / 1e6
    );

    // An account for the bench's requests.
    let token = bench_token(&data.join("accounts.sqlite"))?;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--data-dir"])
        .arg(&data)
        .env("SIMAK_SERVER__ADDR", format!("127.0.0.1:{port}"))
        .env("SIMAK_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("starting simak serve")?;
    let base = format!("http://127.0.0.1:{port}");
    let client = {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse()?,
        );
        reqwest::Client::builder().default_headers(h).build()?
    };
    let mut up = false;
    for _ in 0..600 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !up {
        let _ = child.kill();
        bail!("simak serve did not come up");
    }
    let qs = queries();
    let searcher = MentionSearcher::open(&index_dir)?;
    // Warm both paths once over every query.
    for (_, api, req) in &qs {
        client
            .get(format!("{base}/api/search?{api}"))
            .send()
            .await?
            .bytes()
            .await?;
        searcher.search(req)?;
    }
    let kinds = ["term", "phrase", "boolean + dates + profile"];
    println!(
        "search bench: {n} mentions ({:.0} MB index), {rounds} rounds of {} queries, one at a time, facets on",
        size as f64 / 1e6,
        qs.len()
    );
    println!(
        "{:<27} {:>9} {:>9} {:>9} {:>13} {:>13} {:>9}",
        "query", "HTTP p50", "HTTP p99", "HTTP max", "in-proc p50", "in-proc p99", "p99 ratio"
    );
    let mut all_http = Vec::new();
    for kind in kinds {
        let mut http = Vec::new();
        let mut local = Vec::new();
        let mut hits = 0usize;
        for _ in 0..rounds {
            for (_, api, req) in qs.iter().filter(|(k, _, _)| *k == kind) {
                let t = Instant::now();
                let r = client
                    .get(format!("{base}/api/search?{api}"))
                    .send()
                    .await?;
                if !r.status().is_success() {
                    let _ = child.kill();
                    bail!("{api}: {}", r.status());
                }
                let v: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
                http.push(t.elapsed().as_secs_f64() * 1e3);
                hits += v["total"].as_u64().unwrap_or(0) as usize;
                let t = Instant::now();
                std::hint::black_box(searcher.search(req)?);
                local.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        all_http.extend(http.iter().copied());
        let (hp50, hp99) = (pct(&mut http, 0.5), pct(&mut http, 0.99));
        let hmax = http.last().copied().unwrap_or(0.0);
        let (lp50, lp99) = (pct(&mut local, 0.5), pct(&mut local, 0.99));
        println!(
            "{kind:<27} {hp50:>7.1}ms {hp99:>7.1}ms {hmax:>7.1}ms {lp50:>11.1}ms {lp99:>11.1}ms {:>8.2}x   (mean {} hits)",
            hp99 / lp99.max(1e-9),
            hits / http.len().max(1)
        );
    }
    println!(
        "all queries over HTTP: p50 {:.1} ms, p99 {:.1} ms (goal: p99 under 50 ms at 1M mentions)",
        pct(&mut all_http, 0.5),
        pct(&mut all_http, 0.99)
    );
    let _ = child.kill();
    let _ = child.wait();
    Ok(ExitCode::SUCCESS)
}

/// An admin account `bench` in the accounts database at `db`, and an API token for it (the
/// benches' requests).
pub(crate) fn bench_token(db: &std::path::Path) -> anyhow::Result<String> {
    let auth = simak_auth::AuthStore::open(db)?;
    auth.add(
        "bench",
        "bench",
        "bench",
        simak_auth::Role::Admin,
        &[],
        &simak_auth::random_password(),
    )?;
    Ok(auth.create_token("bench", "bench", "bench")?)
}
