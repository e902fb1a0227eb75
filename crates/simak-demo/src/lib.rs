//! `simak run --demo`: every stage on the embedded log, fed by the bundled demo set (fictional
//! Kabupaten Sukamaju and its OPDs): two weeks of mentions loaded at once, the last two hours
//! replayed live, the bundled fact-checks, demo accounts printed at start.

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, Timelike, Utc};
use serde::Deserialize;
use simak_bus::{Bus, Record};
use simak_core::{Config, Mention};
use std::collections::BTreeMap;
use tokio_util::sync::CancellationToken;

/// The template set (see `demo/set.toml`).
pub const SET: &str = include_str!("../demo/set.toml");
/// The fact-checks the waves spread claims of.
pub const FACTCHECKS: &str = include_str!("../demo/factchecks.jsonl");
/// The demo watch profiles: (file name, contents).
pub const PROFILES: [(&str, &str); 6] = [
    (
        "pemkab-sukamaju.toml",
        include_str!("../demo/profiles/pemkab-sukamaju.toml"),
    ),
    (
        "diskominfo-sukamaju.toml",
        include_str!("../demo/profiles/diskominfo-sukamaju.toml"),
    ),
    (
        "dinkes-sukamaju.toml",
        include_str!("../demo/profiles/dinkes-sukamaju.toml"),
    ),
    (
        "dpupr-sukamaju.toml",
        include_str!("../demo/profiles/dpupr-sukamaju.toml"),
    ),
    (
        "disdukcapil-sukamaju.toml",
        include_str!("../demo/profiles/disdukcapil-sukamaju.toml"),
    ),
    (
        "bpbd-sukamaju.toml",
        include_str!("../demo/profiles/bpbd-sukamaju.toml"),
    ),
];

/// The part of the set replayed live rather than loaded at start.
pub const LIVE: Duration = Duration::hours(2);
/// How much faster than real time the live part is replayed.
pub const SPEED: f64 = 120.0;

/// A marker file: a directory holding it is the demo's and may be wiped at the next start.
const MARKER: &str = ".simak-demo";

#[derive(Debug, Deserialize)]
struct Set {
    days: i64,
    chatter: usize,
    news_count: usize,
    places: Vec<String>,
    first_names: Vec<String>,
    sources: BTreeMap<String, u32>,
    chatter_group: Vec<Group>,
    news: Vec<Article>,
    #[serde(rename = "wave")]
    waves: Vec<Wave>,
    official: Vec<Official>,
}

/// One of the office's own accounts and what it posts.
#[derive(Debug, Deserialize)]
struct Official {
    handle: String,
    source: String,
    posts: usize,
    replies: usize,
    texts: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Group {
    sentiment: String,
    weight: u32,
    texts: Vec<String>,
}

#[derive(Debug, Deserialize, Clone)]
struct Article {
    title: String,
    text: String,
}

#[derive(Debug, Deserialize)]
struct Wave {
    factcheck: String,
    start_hours_ago: f64,
    hours: f64,
    posts: usize,
    variants: Vec<String>,
}

/// The demo's random draws, on the benches' xorshift.
struct Rng(Box<dyn FnMut() -> u64>);

impl Rng {
    fn next(&mut self) -> u64 {
        (self.0)()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// An index drawn with probability proportional to its weight.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let mut r = self.below(weights.iter().sum::<u32>() as usize) as u32;
        weights
            .iter()
            .position(|&w| {
                if r < w {
                    true
                } else {
                    r -= w;
                    false
                }
            })
            .expect("weights add up")
    }
}

const HARI: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];

/// Expands the bundled set into mentions published in the `days` before `end`, oldest first.
pub fn expand(end: DateTime<Utc>) -> Result<Vec<Mention>> {
    let set: Set = toml::from_str(SET).context("demo/set.toml")?;
    let mut rng = Rng(Box::new(simak_core::xorshift::xorshift_from(
        0x5EED_0F5A_4A3A_2026,
    )));
    let mut out = Vec::new();
    let span = set.days * 86_400;
    let sources: Vec<&String> = set.sources.keys().collect();
    let source_weights: Vec<u32> = set.sources.values().copied().collect();
    let group_weights: Vec<u32> = set.chatter_group.iter().map(|g| g.weight).collect();
    let fill = |rng: &mut Rng, t: &str| -> String {
        let mut s = t.to_string();
        while let Some(i) = s.find("{tempat}") {
            let p = rng.pick(&set.places).clone();
            s.replace_range(i..i + 8, &p);
        }
        s.replace("{n}", &(2 + rng.below(9)).to_string())
            .replace("{hari}", HARI[rng.below(HARI.len())])
    };
    // A time in the span, twice as likely in the WIB daytime (06–22) as at night.
    let when = |rng: &mut Rng| -> DateTime<Utc> {
        loop {
            let t = end - Duration::seconds(rng.below(span as usize) as i64);
            let hour = t.with_timezone(&simak_core::time::wib()).hour();
            if (6..22).contains(&hour) || rng.below(3) == 0 {
                return t;
            }
        }
    };
    let author = |rng: &mut Rng, source: &str| -> simak_core::Author {
        let name = rng.pick(&set.first_names).clone();
        let handle = format!("{name}_{}", rng.below(90) + 10);
        simak_core::Author {
            id: Some(format!("{source}-{handle}")),
            handle: Some(handle),
            name: Some(capitalize(&name)),
            // Most accounts are small; a few reach far.
            followers: Some((10.0 * (rng.unit() * 9.0).exp()) as u64),
        }
    };
    for i in 0..set.chatter {
        let source = sources[rng.weighted(&source_weights)].as_str();
        let group = &set.chatter_group[rng.weighted(&group_weights)];
        let template = rng.pick(&group.texts).clone();
        let text = fill(&mut rng, &template);
        let a = author(&mut rng, source);
        let mut m = mention(
            source,
            &format!("c{i}"),
            None,
            text,
            when(&mut rng),
            a,
            &mut rng,
        );
        m.extra.insert(
            "demo".into(),
            serde_json::json!({"written_as": group.sentiment}),
        );
        out.push(m);
    }
    for i in 0..set.news_count {
        let art = rng.pick(&set.news).clone();
        let place = rng.pick(&set.places).clone();
        let n = (2 + rng.below(20)).to_string();
        let f = |s: &str| s.replace("{tempat}", &place).replace("{n}", &n);
        let source = if rng.below(3) == 0 {
            "googlenews"
        } else {
            "rss"
        };
        let a = simak_core::Author {
            name: Some(rng.pick(&NEWS_SITES).to_string()),
            ..Default::default()
        };
        out.push(mention(
            source,
            &format!("n{i}"),
            Some(f(&art.title)),
            f(&art.text),
            when(&mut rng),
            a,
            &mut rng,
        ));
    }
    for (w, wave) in set.waves.iter().enumerate() {
        let start = end - Duration::seconds((wave.start_hours_ago * 3600.0) as i64);
        let len = wave.hours * 3600.0;
        for k in 0..wave.posts {
            // Growth then decay: a triangular profile peaking at a third of the wave.
            let u = rng.unit();
            let x = if u < 1.0 / 3.0 {
                (u / 3.0).sqrt()
            } else {
                1.0 - ((1.0 - u) * 2.0 / 3.0).sqrt()
            };
            let at = start + Duration::seconds((x * len) as i64);
            let base = rng.pick(&wave.variants);
            let text = vary(&mut rng, base);
            let source = *rng.pick(&["x", "x", "telegram", "telegram", "bluesky", "youtube"]);
            let a = author(&mut rng, source);
            let mut m = mention(
                source,
                &format!("w{w}-{k}"),
                None,
                text,
                at.min(end),
                a,
                &mut rng,
            );
            m.extra.insert(
                "demo".into(),
                serde_json::json!({"spreads": wave.factcheck}),
            );
            out.push(m);
        }
    }
    // The office's own accounts: announcements, and a few replies to citizens' complaints a few
    // hours after them.
    let citizens: Vec<(String, DateTime<Utc>)> = out
        .iter()
        .filter(|m| {
            m.extra
                .get("demo")
                .is_some_and(|d| d["written_as"] == "negative")
        })
        .map(|m| (m.id.clone(), m.published_at))
        .collect();
    for o in &set.official {
        for k in 0..o.posts {
            let a = simak_core::Author {
                id: Some(format!("{}-{}", o.source, o.handle)),
                handle: Some(o.handle.clone()),
                name: Some(o.handle.replace('_', " ")),
                followers: Some(2_000 + rng.below(20_000) as u64),
            };
            let (text, at, parent) = if k < o.replies && !citizens.is_empty() {
                let (parent, posted) = rng.pick(&citizens).clone();
                let at = (posted + Duration::minutes(30 + rng.below(36 * 60) as i64)).min(end);
                (rng.pick(&OFFICIAL_REPLIES).to_string(), at, Some(parent))
            } else {
                let t = rng.pick(&o.texts).clone();
                (fill(&mut rng, &t), when(&mut rng), None)
            };
            let key = format!("o-{}-{k}", o.handle);
            let mut m = mention(&o.source, &key, None, text, at, a, &mut rng);
            m.in_reply_to = parent;
            m.extra
                .insert("demo".into(), serde_json::json!({"official": o.handle}));
            out.push(m);
        }
    }
    out.sort_by(|a, b| a.published_at.cmp(&b.published_at).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// What an OPD's account answers under a citizen's complaint.
const OFFICIAL_REPLIES: [&str; 3] = [
    "Terima kasih laporannya, Pemkab Sukamaju sudah meneruskan ke petugas lapangan.",
    "Mohon maaf atas ketidaknyamanannya, tim kami di Sukamaju segera ke lokasi.",
    "Terima kasih, laporan Anda sudah kami catat dan ditindaklanjuti oleh OPD Sukamaju terkait.",
];

const NEWS_SITES: [&str; 4] = [
    "Kabar Sukamaju",
    "Radar Priangan Timur",
    "Sukamaju Pos",
    "Warta Daerah",
];

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A copy of a hoax as people pass it on: a forwarding prefix, a call to share, a cut.
fn vary(rng: &mut Rng, base: &str) -> String {
    const PRE: [&str; 6] = [
        "",
        "",
        "Copas dari grup RT: ",
        "Fwd: ",
        "Benar gak ini? ",
        "Waduh. ",
    ];
    const POST: [&str; 6] = ["", "", " 🙏", " !!!", " #Sukamaju", " Tolong dicek"];
    let mut t = format!("{}{}{}", rng.pick(&PRE), base, rng.pick(&POST));
    if rng.below(5) == 0 {
        t = t.to_lowercase();
    }
    t
}

fn mention(
    source: &str,
    key: &str,
    title: Option<String>,
    text: String,
    at: DateTime<Utc>,
    author: simak_core::Author,
    rng: &mut Rng,
) -> Mention {
    let id = simak_core::mention_id(source, &format!("demo-{key}"));
    let small = |rng: &mut Rng, m: usize| Some(rng.below(m) as u64);
    let views = matches!(source, "x" | "youtube" | "telegram")
        .then(|| author.followers.unwrap_or(0) / 3 + rng.below(400) as u64);
    Mention {
        url: Some(format!("https://{source}.demo.simak.test/{key}")),
        id,
        source: source.to_string(),
        author,
        title,
        text,
        published_at: at,
        fetched_at: at + Duration::seconds(30 + rng.below(240) as i64),
        lang: None,
        metrics: simak_core::Metrics {
            likes: small(rng, 60),
            shares: small(rng, 15),
            replies: small(rng, 10),
            views,
        },
        in_reply_to: None,
        sentiment: None,
        profiles: Vec::new(),
        complaint: None,
        extra: Default::default(),
    }
}

/// The demo accounts: (username, display name, role, profiles).
const ACCOUNTS: [(&str, &str, simak_auth::Role, &[&str]); 3] = [
    ("demo", "Admin Demo", simak_auth::Role::Admin, &[]),
    (
        "petugas-bpbd",
        "Petugas BPBD (demo)",
        simak_auth::Role::Officer,
        &["bpbd-sukamaju"],
    ),
    (
        "pemantau-dinkes",
        "Pemantau Dinkes (demo)",
        simak_auth::Role::Viewer,
        &["dinkes-sukamaju"],
    ),
];

/// Makes `cfg` the demo's: a fresh directory `<data_dir>/demo` (wiped if an earlier demo left
/// it), the embedded log, the demo profiles, no sources, alerts to the outbox. Returns the
/// accounts' logins to print.
pub fn prepare(cfg: &mut Config) -> Result<Vec<(String, String, String)>> {
    let dir = cfg.data_dir.join("demo");
    if dir.exists() {
        if !dir.join(MARKER).exists() {
            bail!(
                "{} exists and is not an earlier demo's directory; move it away or pass another --data-dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(&dir).with_context(|| dir.display().to_string())?;
    }
    std::fs::create_dir_all(dir.join("profiles")).with_context(|| dir.display().to_string())?;
    std::fs::write(
        dir.join(MARKER),
        "simak run --demo: wiped and rebuilt at each demo start\n",
    )?;
    for (name, body) in PROFILES {
        std::fs::write(dir.join("profiles").join(name), body)?;
    }
    cfg.data_dir = dir.clone();
    cfg.bus.brokers.clear();
    cfg.analyzer.profiles_dir = dir.join("profiles");
    cfg.sources = Default::default();
    cfg.alerts.smtp_url.clear();
    cfg.alerts.default_recipients = vec!["humas@sukamajukab.simak.test".into()];
    // The demo queues yesterday's summaries itself once the history is indexed.
    cfg.alerts.summary_time.clear();
    let auth = simak_auth::AuthStore::open(&cfg.accounts_db_path())?;
    let mut logins = Vec::new();
    for (user, name, role, profiles) in ACCOUNTS {
        let pw = simak_auth::random_password();
        let profiles: Vec<String> = profiles.iter().map(|s| s.to_string()).collect();
        auth.add("simak:demo", user, name, role, &profiles, &pw)?;
        let what = match role {
            simak_auth::Role::Admin => "admin, semua profil".to_string(),
            simak_auth::Role::Officer => format!("petugas, {}", profiles.join(", ")),
            simak_auth::Role::Viewer => format!("pemantau, {}", profiles.join(", ")),
        };
        logins.push((user.to_string(), pw, what));
    }
    Ok(logins)
}

/// Publishes the bundled fact-checks (before the analyzer starts, so it knows them).
pub async fn publish_factchecks(cfg: &Config, bus: &Bus) -> Result<usize> {
    let topic = &cfg.bus.topics.factchecks;
    bus.ensure_topic(topic).await?;
    let mut recs = Vec::new();
    for (i, line) in FACTCHECKS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
    {
        let mut fc = simak_analyze::factcheck::FactCheck::parse(line.as_bytes())
            .map_err(|e| anyhow::anyhow!("demo/factchecks.jsonl line {}: {e}", i + 1))?;
        fc.published_at = Some(Utc::now() - Duration::days(15));
        recs.push(fc.to_record());
    }
    let n = recs.len();
    bus.producer(topic)?.send(recs).await?;
    Ok(n)
}

fn record(m: &Mention) -> Record {
    Record {
        key: m.id.clone(),
        value: m.to_json(),
    }
}

/// Loads the history, waits until it is indexed, queues yesterday's summaries, then replays
/// the last two hours live, `SPEED` times faster, each post published as it is sent.
pub async fn replay(cfg: Config, bus: Bus, token: CancellationToken) -> Result<()> {
    let start = Utc::now();
    let all = expand(start)?;
    let cut = start - LIVE;
    let (history, live): (Vec<_>, Vec<_>) = all.into_iter().partition(|m| m.published_at < cut);
    let topic = &cfg.bus.topics.mentions;
    bus.ensure_topic(topic).await?;
    let producer = bus.producer(topic)?;
    for chunk in history.chunks(500) {
        producer.send(chunk.iter().map(record).collect()).await?;
    }
    tracing::info!(
        mentions = history.len(),
        live = live.len(),
        "demo: two weeks of history handed to the pipeline"
    );
    // Yesterday's summary once the history is searchable.
    let searcher = simak_index::MentionSearcher::open(&cfg.index_path())?;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
    while searcher.num_docs() < history.len() as u64 && tokio::time::Instant::now() < deadline {
        tokio::select! {
            _ = token.cancelled() => return Ok(()),
            _ = tokio::time::sleep(std::time::Duration::from_millis(300)) => {}
        }
        let _ = searcher.reload();
    }
    match answer_complaints(&cfg, &token).await {
        Ok(n) => tracing::info!(answered = n, "demo: complaint cases worked on by the OPDs"),
        Err(e) => tracing::warn!(error = %e, "demo: the complaint cases could not be worked on"),
    }
    if let Err(e) = queue_summaries(&cfg, &searcher) {
        tracing::warn!(error = %e, "demo: yesterday's summaries could not be queued");
    }
    let t0 = tokio::time::Instant::now();
    for m in live {
        let due = (m.published_at - cut).num_milliseconds().max(0) as f64 / SPEED;
        let at = t0 + std::time::Duration::from_millis(due as u64);
        tokio::select! {
            _ = token.cancelled() => return Ok(()),
            _ = tokio::time::sleep_until(at) => {}
        }
        let now = Utc::now();
        let m = Mention {
            published_at: now,
            fetched_at: now,
            ..m
        };
        producer.send(vec![record(&m)]).await?;
    }
    tracing::info!("demo: live replay finished; the service keeps running (Ctrl-C stops it)");
    token.cancelled().await;
    Ok(())
}

/// The OPDs' history on the complaint cases the history opened, decided per case (the same
/// each run): about half answered within or past their target (and of those, half resolved),
/// a few not theirs, the rest left open, which the older ones leave overdue. Waits first until
/// the feeder has opened the history's cases (their number stops growing). Returns how many
/// cases were worked on.
async fn answer_complaints(cfg: &Config, token: &CancellationToken) -> Result<usize> {
    use simak_review::complaints::{ComplaintAction, ComplaintFilter, Router, Status};
    let review = simak_review::ReviewStore::open(&cfg.review_db_path())?;
    let profiles = simak_analyze::profiles::Profiles::load_dir(&cfg.analyzer.profiles_dir)?;
    let router = Router::new(profiles.iter()).map_err(anyhow::Error::msg)?;
    let count = |r: &simak_review::ReviewStore| -> Result<usize> {
        let mut n = 0;
        loop {
            let page = r.complaints(&ComplaintFilter {
                limit: Some(1000),
                offset: n,
                ..Default::default()
            })?;
            n += page.len();
            if page.len() < 1000 {
                return Ok(n);
            }
        }
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut last = usize::MAX;
    loop {
        let n = count(&review)?;
        if (n == last && n > 0) || tokio::time::Instant::now() > deadline {
            break;
        }
        last = n;
        tokio::select! {
            _ = token.cancelled() => return Ok(0),
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
    let now = Utc::now();
    let mut cases = Vec::new();
    loop {
        let page = review.complaints(&ComplaintFilter {
            status: Some(Status::Open),
            limit: Some(1000),
            offset: cases.len(),
            ..Default::default()
        })?;
        let done = page.len() < 1000;
        cases.extend(page);
        if done {
            break;
        }
    }
    let answers = [
        "Terima kasih laporannya. Tim kami sudah menjadwalkan penanganan minggu ini.",
        "Terima kasih, laporan sudah kami teruskan ke petugas lapangan dan akan segera ditindaklanjuti.",
        "Mohon maaf atas ketidaknyamanannya. Petugas kami sudah ke lokasi hari ini.",
        "Terima kasih atas masukannya, silakan hubungi layanan pengaduan kami untuk detail lebih lanjut.",
    ];
    let mut worked = 0;
    for c in &cases {
        let mut rng = simak_core::xorshift::xorshift_from(0xADA0_2026 ^ (c.id as u64) << 20);
        // Seeds this close start alike: stir first.
        for _ in 0..4 {
            rng();
        }
        let roll = rng() % 100;
        let posted: DateTime<Utc> = c.posted_at.parse()?;
        let due: DateTime<Utc> = c.due_at.parse()?;
        let target = (due - posted).num_minutes().max(60);
        let actor = "demo";
        if roll < 5 {
            let at = posted + Duration::minutes(target / 4);
            if at < now {
                review.act_on_complaint_at(
                    c.id,
                    actor,
                    &ComplaintAction::NotOurs,
                    Some("bukan kewenangan pemerintah kabupaten"),
                    &router,
                    at,
                )?;
                worked += 1;
            }
            continue;
        }
        if roll >= 55 {
            continue;
        }
        // Most within the target, some late.
        let after = target * (15 + (rng() % 120) as i64) / 100;
        let at = posted + Duration::minutes(after);
        if at >= now {
            continue;
        }
        let answer = ComplaintAction::Answer {
            text: answers[(rng() % answers.len() as u64) as usize].to_string(),
            url: c.url.as_ref().map(|u| format!("{u}#balasan")),
        };
        review.act_on_complaint_at(c.id, actor, &answer, None, &router, at)?;
        let resolved = at + Duration::hours(6 + (rng() % 48) as i64);
        if roll < 30 && resolved < now {
            review.act_on_complaint_at(
                c.id,
                actor,
                &ComplaintAction::Resolve,
                None,
                &router,
                resolved,
            )?;
        }
        worked += 1;
    }
    Ok(worked)
}

fn queue_summaries(cfg: &Config, searcher: &simak_index::MentionSearcher) -> Result<()> {
    let store = simak_alert::AlertStore::open(&cfg.alerts_db_path())?;
    let review = simak_review::ReviewStore::open(&cfg.review_db_path())?;
    let profiles = simak_analyze::profiles::Profiles::load_dir(&cfg.analyzer.profiles_dir)?;
    let date = simak_alert::summary::yesterday_wib(Utc::now());
    let mut n = 0;
    for p in profiles.iter() {
        n += simak_alert::summary::queue(cfg, &store, searcher, Some(&review), p, date)
            .map_err(anyhow::Error::msg)?;
    }
    tracing::info!(emails = n, %date, "demo: yesterday's daily summaries queued");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_is_two_weeks_of_varied_mentions_with_waves_that_match_fact_checks() {
        let end: DateTime<Utc> = "2026-11-23T03:00:00Z".parse().unwrap();
        let a = expand(end).unwrap();
        assert_eq!(a, expand(end).unwrap(), "the same set every time");
        assert!((2500..6000).contains(&a.len()), "{}", a.len());
        let ids: std::collections::BTreeSet<_> = a.iter().map(|m| &m.id).collect();
        assert_eq!(ids.len(), a.len(), "ids are unique");
        assert!(a.windows(2).all(|w| w[0].published_at <= w[1].published_at));
        assert!(a[0].published_at >= end - Duration::days(14));
        assert!(a.last().unwrap().published_at <= end);
        let sources: std::collections::BTreeSet<_> = a.iter().map(|m| m.source.as_str()).collect();
        assert!(sources.len() >= 8, "{sources:?}");
        assert!(a.iter().all(|m| m.text.to_lowercase().contains("sukamaju")));
        // Every wave spreads a bundled fact-check, and one wave is in the live part.
        let fcs: Vec<String> = FACTCHECKS
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let spread: Vec<(&str, DateTime<Utc>)> = a
            .iter()
            .filter_map(|m| Some((m.extra.get("demo")?["spreads"].as_str()?, m.published_at)))
            .collect();
        assert!(spread.len() >= 200, "{}", spread.len());
        assert!(spread.iter().all(|(f, _)| fcs.iter().any(|x| x == f)));
        assert!(spread.iter().any(|(_, t)| *t > end - LIVE));
        // Plenty of ordinary chatter in every tone.
        for tone in ["negative", "neutral", "positive"] {
            let n = a
                .iter()
                .filter(|m| m.extra.get("demo").is_some_and(|d| d["written_as"] == tone))
                .count();
            assert!(n > 300, "{tone}: {n}");
        }
        // Every OPD's own accounts post, some far more than others, and some of them answer
        // citizens under their posts.
        let mut official = std::collections::BTreeMap::new();
        for m in a.iter().filter(|m| {
            m.extra
                .get("demo")
                .is_some_and(|d| d["official"].is_string())
        }) {
            *official
                .entry(m.author.handle.clone().unwrap())
                .or_insert(0) += 1;
        }
        let configured: Vec<String> = PROFILES
            .iter()
            .flat_map(|(_, body)| {
                toml::from_str::<simak_analyze::profiles::WatchProfile>(body)
                    .unwrap()
                    .accounts
            })
            .map(|h| h.trim_start_matches('@').to_string())
            .collect();
        assert_eq!(official.len(), configured.len(), "{official:?}");
        assert!(
            configured.iter().all(|h| official.contains_key(h)),
            "{official:?}"
        );
        let (lo, hi) = (
            official.values().min().unwrap(),
            official.values().max().unwrap(),
        );
        assert!(hi / lo >= 5, "{official:?}");
        let by_id: std::collections::HashMap<&str, &Mention> =
            a.iter().map(|m| (m.id.as_str(), m)).collect();
        let replies: Vec<&Mention> = a.iter().filter(|m| m.in_reply_to.is_some()).collect();
        assert!(replies.len() >= 5, "{}", replies.len());
        for r in replies {
            let parent = by_id[r.in_reply_to.as_deref().unwrap()];
            assert!(parent.published_at < r.published_at, "{}", r.id);
        }
        for (name, body) in PROFILES {
            let p: simak_analyze::profiles::WatchProfile = toml::from_str(body).unwrap();
            assert_eq!(format!("{}.toml", p.id), name);
        }
    }
}
