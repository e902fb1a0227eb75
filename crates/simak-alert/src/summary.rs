//! The daily summary per watch profile, for one day in WIB: volume by source against the day
//! before and the 7-day average, sentiment shares and their trend, top terms and hashtags, top
//! posts by reach, and the hoax cases that are new or still open. Charts are PNGs drawn in Rust
//! (plotters) with no text in them; the numbers are in the tables next to them.

use crate::compose::{esc, link, wib, Email};
use chrono::{DateTime, Duration as CDuration, NaiveDate, Utc};
use simak_core::Mention;
use simak_index::{MentionSearcher, SearchRequest, Searcher, Sort};
use simak_review::{Filter, ReviewStore};
use std::collections::{BTreeMap, HashMap};

/// One day's summary for one profile.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Profile id.
    pub profile: String,
    /// Its display name.
    pub profile_name: String,
    /// The day (WIB).
    pub date: NaiveDate,
    /// Mentions that day.
    pub total: u64,
    /// Per source: (source, that day, the day before, mean of the 7 days before).
    pub by_source: Vec<(String, u64, u64, f64)>,
    /// Per day, oldest first, the 7 days before then the day: (date, total, negative,
    /// neutral, positive).
    pub days: Vec<(NaiveDate, u64, u64, u64, u64)>,
    /// Most frequent terms that day.
    pub top_terms: Vec<(String, u64)>,
    /// Most frequent hashtags that day.
    pub top_hashtags: Vec<(String, u64)>,
    /// Posts with the most reach that day.
    pub top_posts: Vec<Mention>,
    /// Hoax cases new that day or still open: (id, state, label, mentions, text).
    pub cases: Vec<(String, simak_review::State, String, u64, String)>,
    /// The profile's complaint cases: posted that day, answered of them, overdue now, median
    /// time to the first answer (None without the review database).
    pub complaints: Option<simak_review::complaints::ComplaintFigures>,
}

fn wib_day(date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = simak_core::time::wib_midnight(date);
    (start, start + CDuration::days(1))
}

/// Yesterday in WIB.
pub fn yesterday_wib(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&simak_core::time::wib()).date_naive() - CDuration::days(1)
}

fn day_request(profile: &str, date: NaiveDate, limit: usize) -> SearchRequest {
    let (since, until) = wib_day(date);
    SearchRequest {
        q: "*".into(),
        since: Some(since),
        until: Some(until),
        source: None,
        lang: None,
        sentiment: None,
        profile: Some(profile.to_string()),
        hoax: None,
        cluster: None,
        timeline: None,
        within_profiles: None,
        limit,
        offset: 0,
        cursor: None,
        sort: Sort::Newest,
    }
}

/// Most mentions read for terms and top posts.
const MAX_DAY: usize = 20_000;

/// Builds the summary of `date` for `profile` from the index and the review queue.
pub fn build(
    searcher: &dyn Searcher,
    review: Option<&ReviewStore>,
    profile: &str,
    profile_name: &str,
    date: NaiveDate,
) -> Result<Summary, String> {
    let mut days = Vec::new();
    let mut sources: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for back in (0..=7).rev() {
        let d = date - CDuration::days(back);
        let r = searcher
            .search(&day_request(profile, d, 1))
            .map_err(|e| e.to_string())?;
        let f = |facet: &str, k: &str| -> u64 {
            r.facets
                .get(facet)
                .and_then(|m| m.get(k))
                .copied()
                .unwrap_or(0)
        };
        days.push((
            d,
            r.total as u64,
            f("sentiment", "negative"),
            f("sentiment", "neutral"),
            f("sentiment", "positive"),
        ));
        if let Some(m) = r.facets.get("source") {
            for (s, n) in m {
                sources.entry(s.clone()).or_insert_with(|| vec![0; 8])[7 - back as usize] = *n;
            }
        }
    }
    let by_source = sources
        .into_iter()
        .map(|(s, v)| {
            let avg = v[..7].iter().sum::<u64>() as f64 / 7.0;
            (s, v[7], v[6], avg)
        })
        .collect::<Vec<_>>();
    // The day's newest MAX_DAY mentions, read past the search page window.
    let mut day = Vec::new();
    searcher
        .export(&day_request(profile, date, 1), &mut |m| {
            day.push(m);
            day.len() < MAX_DAY
        })
        .map_err(|e| e.to_string())?;
    let mut terms: HashMap<String, u64> = HashMap::new();
    let mut tags: HashMap<String, u64> = HashMap::new();
    for m in &day {
        let mut seen = std::collections::HashSet::new();
        for t in simak_text::analyze(&m.text, simak_text::Options::FEATURES) {
            if !seen.insert(t.text.clone()) {
                continue;
            }
            match t.kind {
                simak_text::TokenKind::Hashtag => *tags.entry(t.text).or_default() += 1,
                simak_text::TokenKind::Word
                    if t.text.chars().count() > 2
                        && !simak_text::analyzer::is_stopword(&t.text) =>
                {
                    *terms.entry(t.text).or_default() += 1
                }
                _ => {}
            }
        }
    }
    let top = |m: HashMap<String, u64>, n: usize| {
        let mut v: Vec<(String, u64)> = m.into_iter().filter(|(_, c)| *c > 1).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    };
    let mut posts: Vec<Mention> = day;
    posts.sort_by(|a, b| {
        b.metrics
            .reach()
            .cmp(&a.metrics.reach())
            .then(b.published_at.cmp(&a.published_at))
    });
    posts.truncate(5);
    let (start, end) = wib_day(date);
    let mut cases = Vec::new();
    let complaints = match review {
        Some(r) => Some(
            r.complaint_figures(profile, start, end)
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    if let Some(r) = review {
        let all = r
            .list(&Filter {
                profiles: vec![profile.to_string()],
                limit: Some(1000),
                ..Default::default()
            })
            .map_err(|e| e.to_string())?;
        for c in all {
            let created = DateTime::parse_from_rfc3339(&c.created_at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(start);
            let open = matches!(
                c.state,
                simak_review::State::New | simak_review::State::InReview
            );
            if created < end && (open || created >= start) {
                cases.push((c.id, c.state, c.label, c.mentions, c.text));
            }
        }
    }
    Ok(Summary {
        profile: profile.to_string(),
        profile_name: profile_name.to_string(),
        date,
        total: days.last().map_or(0, |d| d.1),
        by_source,
        days,
        top_terms: top(terms, 15),
        top_hashtags: top(tags, 10),
        top_posts: posts,
        cases,
        complaints,
    })
}

type Draw<'c> = dyn for<'a, 'b> Fn(
        &'a plotters::drawing::DrawingArea<
            plotters::backend::BitMapBackend<'b>,
            plotters::coord::Shift,
        >,
    ) -> Result<(), String>
    + 'c;

/// The volume chart (bars, the day itself darker) and the sentiment chart (stacked shares per
/// day: negative red, neutral grey, positive green), as PNG bytes.
pub fn charts(s: &Summary) -> Result<(Vec<u8>, Vec<u8>), String> {
    use plotters::prelude::*;
    let (w, h) = (560u32, 160u32);
    let png = |draw: &Draw<'_>| -> Result<Vec<u8>, String> {
        let mut buf = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            draw(&root)?;
            root.present().map_err(|e| e.to_string())?;
        }
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()
            .and_then(|mut wr| wr.write_image_data(&buf))
            .map_err(|e| e.to_string())?;
        Ok(out)
    };
    let n = s.days.len().max(1) as i32;
    let slot = (w as i32 - 20) / n;
    let max = s.days.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let volume = png(&|root| {
        for (i, d) in s.days.iter().enumerate() {
            let x0 = 10 + i as i32 * slot + 6;
            let x1 = x0 + slot - 12;
            let top = (h as f64 - 10.0 - (h as f64 - 20.0) * d.1 as f64 / max) as i32;
            let color = if i as i32 == n - 1 {
                RGBColor(25, 80, 160)
            } else {
                RGBColor(140, 170, 210)
            };
            root.draw(&Rectangle::new(
                [(x0, top), (x1, h as i32 - 10)],
                color.filled(),
            ))
            .map_err(|e| e.to_string())?;
        }
        Ok(())
    })?;
    let sentiment = png(&|root| {
        for (i, d) in s.days.iter().enumerate() {
            let x0 = 10 + i as i32 * slot + 6;
            let x1 = x0 + slot - 12;
            let tot = (d.2 + d.3 + d.4).max(1) as f64;
            let mut y = h as i32 - 10;
            for (v, color) in [
                (d.2, RGBColor(200, 50, 50)),
                (d.3, RGBColor(170, 170, 170)),
                (d.4, RGBColor(50, 150, 70)),
            ] {
                let hgt = ((h as f64 - 20.0) * v as f64 / tot).round() as i32;
                if hgt > 0 {
                    root.draw(&Rectangle::new([(x0, y - hgt), (x1, y)], color.filled()))
                        .map_err(|e| e.to_string())?;
                }
                y -= hgt;
            }
        }
        Ok(())
    })?;
    Ok((volume, sentiment))
}

fn pct(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * part as f64 / total as f64
    }
}

fn change(today: u64, before: f64) -> String {
    if before == 0.0 {
        if today == 0 {
            "0%".into()
        } else {
            "baru".into()
        }
    } else {
        format!("{:+.0}%", 100.0 * (today as f64 - before) / before)
    }
}

/// A response time as officers read it: `3 jam 5 menit`, `–` when nothing was answered.
fn response_time(minutes: Option<u64>) -> String {
    match minutes {
        None => "–".into(),
        Some(m) if m < 60 => format!("{m} menit"),
        Some(m) => format!("{} jam {} menit", m / 60, m % 60),
    }
}

/// `w (n), w (n), ...`, each word through `f` (escaping for HTML, or not).
fn counted(v: &[(String, u64)], f: impl Fn(&str) -> String) -> String {
    v.iter()
        .map(|(w, c)| format!("{} ({c})", f(w)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders the summary. `img(name)` gives the `src` of each chart (`volume`, `sentiment`): a
/// `cid:` for e-mail, a `data:` URI for the page.
pub fn render(s: &Summary, img: &dyn Fn(&str) -> String, base_url: &str) -> Email {
    let date = s.date.format("%d-%m-%Y").to_string();
    let subject = crate::compose::subject_line(&format!(
        "[Simak] Ringkasan harian {} — {date}: {} unggahan",
        s.profile_name, s.total
    ));
    let today = s.days.last().copied().unwrap_or((s.date, 0, 0, 0, 0));
    let before = s.days.get(s.days.len().wrapping_sub(2)).copied();
    let avg7 = s.days[..s.days.len().saturating_sub(1)]
        .iter()
        .map(|d| d.1)
        .sum::<u64>() as f64
        / 7.0;
    let shares = |d: &(NaiveDate, u64, u64, u64, u64)| {
        let t = d.2 + d.3 + d.4;
        (pct(d.2, t), pct(d.3, t), pct(d.4, t))
    };
    let (neg, neu, pos) = shares(&today);
    let prev_neg = before.map(|b| shares(&b).0).unwrap_or(0.0);
    let mut t = format!("Ringkasan harian {} — {date} (WIB)\n\n", s.profile_name);
    t.push_str(&format!(
        "Volume: {} unggahan ({} dibanding hari sebelumnya, {} dibanding rata-rata 7 hari {:.1})\n",
        s.total,
        change(s.total, before.map_or(0.0, |b| b.1 as f64)),
        change(s.total, avg7),
        avg7
    ));
    t.push_str(&format!(
        "Sentimen: negatif {neg:.0}%, netral {neu:.0}%, positif {pos:.0}% (negatif kemarin {prev_neg:.0}%)\n\nPer sumber:\n"
    ));
    for (src, n, b, a) in &s.by_source {
        t.push_str(&format!(
            "  {src}: {n} ({} vs kemarin {b}, {} vs rata-rata {a:.1})\n",
            change(*n, *b as f64),
            change(*n, *a)
        ));
    }
    t.push_str("\nIstilah teratas: ");
    t.push_str(&counted(&s.top_terms, str::to_string));
    t.push_str("\nTagar teratas: ");
    t.push_str(&counted(&s.top_hashtags, str::to_string));
    t.push_str("\n\nUnggahan dengan jangkauan terbesar:\n");
    for m in &s.top_posts {
        t.push_str(&format!(
            "  - [{}] {} (jangkauan {}) {}\n",
            m.source,
            m.text.split_whitespace().collect::<Vec<_>>().join(" "),
            m.metrics.reach(),
            m.url.as_deref().unwrap_or("")
        ));
    }
    t.push_str("\nKasus hoaks baru dan yang masih terbuka:\n");
    if s.cases.is_empty() {
        t.push_str("  (tidak ada)\n");
    }
    for (id, state, label, n, text) in &s.cases {
        t.push_str(&format!(
            "  - {} · {label} · {n} unggahan · {id}\n    {}\n",
            state.label_id(),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        ));
    }
    if let Some(f) = &s.complaints {
        t.push_str(&format!(
            "\nAduan warga: {} masuk, {} sudah dijawab, {} lewat target saat ini, median waktu jawab {}\n",
            f.opened,
            f.answered,
            f.overdue,
            response_time(f.median_response_minutes)
        ));
    }
    t.push_str(&format!(
        "\nHalaman ringkasan: {}/summary/{}/{}\n",
        base_url.trim_end_matches('/'),
        simak_core::mention::path_segment(&s.profile),
        s.date
    ));

    let mut x = String::from("<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>Ringkasan harian</title></head><body style=\"font-family:sans-serif;max-width:760px\">");
    x.push_str(&format!(
        "<h1>Ringkasan harian {}</h1><p>{} (WIB) · <b>{}</b> unggahan · {} dibanding hari sebelumnya · {} dibanding rata-rata 7 hari ({:.1})</p>",
        esc(&s.profile_name),
        esc(&date),
        s.total,
        esc(&change(s.total, before.map_or(0.0, |b| b.1 as f64))),
        esc(&change(s.total, avg7)),
        avg7
    ));
    x.push_str(&format!(
        "<h2>Volume 8 hari</h2><img alt=\"Grafik volume 8 hari\" width=\"560\" height=\"160\" src=\"{}\">",
        esc(&img("volume"))
    ));
    x.push_str("<table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\"><tr><th>Tanggal</th><th>Unggahan</th><th>Negatif</th><th>Netral</th><th>Positif</th></tr>");
    for d in &s.days {
        let (a, b, c) = shares(d);
        x.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{a:.0}%</td><td>{b:.0}%</td><td>{c:.0}%</td></tr>",
            d.0.format("%d-%m"),
            d.1
        ));
    }
    x.push_str("</table>");
    x.push_str(&format!(
        "<h2>Sentimen</h2><p>Negatif {neg:.0}% · netral {neu:.0}% · positif {pos:.0}% (negatif kemarin {prev_neg:.0}%)</p><img alt=\"Grafik sentimen 8 hari: merah negatif, abu-abu netral, hijau positif\" width=\"560\" height=\"160\" src=\"{}\">",
        esc(&img("sentiment"))
    ));
    x.push_str("<h2>Per sumber</h2><table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\"><tr><th>Sumber</th><th>Hari ini</th><th>Kemarin</th><th>Rata-rata 7 hari</th></tr>");
    for (src, n, b, a) in &s.by_source {
        x.push_str(&format!(
            "<tr><td>{}</td><td>{n} ({})</td><td>{b}</td><td>{a:.1} ({})</td></tr>",
            esc(src),
            esc(&change(*n, *b as f64)),
            esc(&change(*n, *a))
        ));
    }
    x.push_str("</table><h2>Istilah dan tagar teratas</h2><p>");
    x.push_str(&counted(&s.top_terms, esc));
    x.push_str("</p><p>");
    x.push_str(&counted(&s.top_hashtags, esc));
    x.push_str("</p><h2>Unggahan dengan jangkauan terbesar</h2><ol>");
    for m in &s.top_posts {
        x.push_str(&format!(
            "<li>[{}] {} (jangkauan {}, {}) {}</li>",
            esc(&m.source),
            esc(&m.text),
            m.metrics.reach(),
            esc(&wib(&m.published_at)),
            m.url
                .as_deref()
                .map(|u| link(u, "buka"))
                .unwrap_or_default()
        ));
    }
    x.push_str("</ol><h2>Kasus hoaks baru dan yang masih terbuka</h2>");
    if s.cases.is_empty() {
        x.push_str("<p>Tidak ada.</p>");
    } else {
        x.push_str("<ul>");
        for (id, state, label, n, text) in &s.cases {
            x.push_str(&format!(
                "<li><b>{}</b> · {} · {n} unggahan · {}<br>{}</li>",
                esc(state.label_id()),
                esc(label),
                link(
                    &format!(
                        "{}/review/{}",
                        base_url.trim_end_matches('/'),
                        simak_core::mention::path_segment(id)
                    ),
                    id
                ),
                esc(text)
            ));
        }
        x.push_str("</ul>");
    }
    if let Some(f) = &s.complaints {
        x.push_str(&format!(
            "<h2>Aduan warga</h2><table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\"><tr><th>Masuk</th><th>Sudah dijawab</th><th>Lewat target saat ini</th><th>Median waktu jawab</th></tr><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
            f.opened,
            f.answered,
            f.overdue,
            esc(&response_time(f.median_response_minutes))
        ));
    }
    x.push_str("<p style=\"color:#666\">Dibuat otomatis oleh Simak.</p></body></html>");
    Email {
        subject,
        text: t,
        html: x,
    }
}

/// The summary as a standalone page, charts inline as data URIs.
pub fn page(s: &Summary, base_url: &str) -> Result<String, String> {
    use base64::Engine;
    let (v, se) = charts(s)?;
    let b64 = |b: &[u8]| {
        format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(b)
        )
    };
    let (v, se) = (b64(&v), b64(&se));
    Ok(render(
        s,
        &|n| if n == "volume" { v.clone() } else { se.clone() },
        base_url,
    )
    .html)
}

/// Builds the summary of `date` for `profile` and queues it in the outbox (once per profile and
/// day). Returns the rows queued (0 if it was queued before).
pub fn queue(
    cfg: &simak_core::Config,
    store: &crate::AlertStore,
    searcher: &dyn Searcher,
    review: Option<&ReviewStore>,
    profile: &simak_analyze::profiles::WatchProfile,
    date: NaiveDate,
) -> Result<usize, String> {
    use base64::Engine;
    let s = build(searcher, review, &profile.id, &profile.name, date)?;
    let (v, se) = charts(&s)?;
    let key = format!("summary:{}:{}", profile.id, date);
    let cid = |n: &str| format!("{n}-{}-{date}@simak", profile.id);
    let email = render(&s, &|n| format!("cid:{}", cid(n)), &cfg.alerts.base_url);
    let enc = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let images = vec![(cid("volume"), enc(&v)), (cid("sentiment"), enc(&se))];
    let recipients = crate::recipients(&profile.alert_recipients, &cfg.alerts);
    store
        .queue_summary(&key, &recipients, &email, &images)
        .map_err(|e| e.to_string())
}

/// Parses `HH:MM`.
pub fn parse_hhmm(s: &str) -> Option<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

/// Sends each profile's summary of the day before at `alerts.summary_time` WIB, until
/// `shutdown`. On start, a summary due earlier today and not yet queued is sent at once.
pub async fn run_scheduler(
    cfg: simak_core::Config,
    store: std::sync::Arc<crate::AlertStore>,
    shutdown: tokio_util::sync::CancellationToken,
) -> Result<(), crate::AlertError> {
    if cfg.alerts.summary_time.trim().is_empty() {
        tracing::info!("alerts.summary_time is empty: no daily summary e-mails");
        shutdown.cancelled().await;
        return Ok(());
    }
    let at = parse_hhmm(&cfg.alerts.summary_time).ok_or_else(|| {
        crate::AlertError::Config(format!(
            "alerts.summary_time must be HH:MM, got {:?}",
            cfg.alerts.summary_time
        ))
    })?;
    let profiles = simak_analyze::profiles::Profiles::load_dir(&cfg.analyzer.profiles_dir)?;
    loop {
        let now = Utc::now().with_timezone(&simak_core::time::wib());
        let date = now.date_naive() - CDuration::days(1);
        // Due: yesterday's summaries not queued yet, once the hour has come.
        let due: Vec<_> = if now.time() >= at {
            profiles
                .iter()
                .filter(|p| {
                    !store
                        .has_key(&format!("summary:{}:{}", p.id, date))
                        .unwrap_or(true)
                })
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        if !due.is_empty() {
            match MentionSearcher::open(&cfg.index_path()) {
                Err(e) => tracing::warn!(error = %e, "daily summary: the index cannot be read yet"),
                Ok(searcher) => {
                    let (st, c) = (store.clone(), cfg.clone());
                    let res = tokio::task::spawn_blocking(move || {
                        let review = ReviewStore::open(&c.review_db_path()).ok();
                        due.iter()
                            .map(|p| {
                                let key = format!("summary:{}:{}", p.id, date);
                                (key, queue(&c, &st, &searcher, review.as_ref(), p, date))
                            })
                            .collect::<Vec<_>>()
                    })
                    .await
                    .expect("summary task");
                    for (key, r) in res {
                        match r {
                            Ok(n) => {
                                tracing::info!(summary = %key, queued = n, "daily summary queued")
                            }
                            Err(e) => {
                                tracing::error!(summary = %key, error = %e, "daily summary failed")
                            }
                        }
                    }
                }
            }
        }
        // Look again in a minute.
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_gives_the_complaint_figures() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let mut s = Summary {
            profile: "dpupr".into(),
            profile_name: "Dinas PU".into(),
            date,
            total: 0,
            by_source: vec![],
            days: (0..8)
                .map(|i| (date - CDuration::days(7 - i), 0, 0, 0, 0))
                .collect(),
            top_terms: vec![],
            top_hashtags: vec![],
            top_posts: vec![],
            cases: vec![],
            complaints: Some(simak_review::complaints::ComplaintFigures {
                opd: "dpupr".into(),
                opened: 7,
                answered: 5,
                overdue: 2,
                median_response_minutes: Some(185),
            }),
        };
        let e = render(&s, &|_| String::new(), "http://simak.kantor");
        assert!(
            e.text.contains(
                "Aduan warga: 7 masuk, 5 sudah dijawab, 2 lewat target saat ini, median waktu jawab 3 jam 5 menit"
            ),
            "{}",
            e.text
        );
        assert!(
            e.html.contains("<h2>Aduan warga</h2>") && e.html.contains("<td>3 jam 5 menit</td>"),
            "{}",
            e.html
        );
        s.complaints = None;
        let e = render(&s, &|_| String::new(), "http://simak.kantor");
        assert!(!e.text.contains("Aduan warga"));
    }
}
