//! The alert e-mails, in Bahasa Indonesia, as plain text and HTML, written from a rule's
//! [`Decision`] ([`alert_email`]). Every piece of text that came from the internet (posts,
//! names, claims, URLs) is escaped in the HTML part; URLs become links only when they are
//! http(s).

use crate::rules::{Decision, Detail};
use chrono::{DateTime, Utc};
use simak_core::{ClaimMatch, HoaxLabel, HoaxVerdict, Mention};

/// Escapes text for HTML element content and attribute values (the index's escaping, so the
/// search API and the e-mails agree).
pub use simak_index::search::escape_html as esc;

/// A link to `url` showing `label`, or the escaped label alone when the URL is not http(s).
pub fn link(url: &str, label: &str) -> String {
    let u = url.trim();
    if u.starts_with("https://") || u.starts_with("http://") {
        format!("<a href=\"{}\">{}</a>", esc(u), esc(label))
    } else {
        esc(label)
    }
}

/// A time in WIB, as officers read it.
pub fn wib(t: &DateTime<Utc>) -> String {
    t.with_timezone(&simak_core::time::wib())
        .format("%d-%m-%Y %H:%M WIB")
        .to_string()
}

/// A composed e-mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    /// Subject (plain text; header-encoded by the mailer).
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// Whether `c` changes the direction text is shown in (U+202E shows `gnp.exe` as `exe.png`).
fn bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A subject line: one line with no control characters (a CR or LF from a post or a
/// configured name would start a header of its own) and no direction overrides (which would
/// show a subject other than the one sent); runs of spaces become one, and a subject longer
/// than 200 characters is cut there.
pub fn subject_line(s: &str) -> String {
    let one = s
        .chars()
        .map(|c| {
            if c.is_control() || bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if one.chars().count() <= 200 {
        one
    } else {
        format!("{}…", one.chars().take(199).collect::<String>())
    }
}

fn short(s: &str, n: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        format!("{}…", one_line.chars().take(n).collect::<String>())
    }
}

/// The e-mail for `d`, set off by `trigger`, for the profile named `profile_name`; links point
/// to `base_url`.
pub fn alert_email(d: &Decision, trigger: &Mention, profile_name: &str, base_url: &str) -> Email {
    match &d.detail {
        Detail::Hoax { case_id, verdict } => hoax_email(&HoaxAlert {
            profile_name,
            case_id,
            mention: trigger,
            hoax: verdict,
            spread: d.spread as u64,
            version: d.version,
            base_url,
        }),
        Detail::Volume { of, hour, mean, sd } => volume_email(&VolumeAlert {
            profile_name,
            kind: of.kind(),
            hour: *hour,
            count: d.spread as u64,
            mean: *mean,
            sd: *sd,
            example: trigger,
            base_url,
        }),
    }
}

/// What a hoax alert says.
pub struct HoaxAlert<'a> {
    /// The profile's display name.
    pub profile_name: &'a str,
    /// The case (review queue) id.
    pub case_id: &'a str,
    /// The mention that triggered it.
    pub mention: &'a Mention,
    /// Its hoax verdict.
    pub hoax: &'a HoaxVerdict,
    /// Posts in the case so far.
    pub spread: u64,
    /// 1 for the first alert, more for updates.
    pub version: u32,
    /// Where Simak is opened.
    pub base_url: &'a str,
}

/// Composes a hoax alert.
pub fn hoax_email(a: &HoaxAlert<'_>) -> Email {
    let m = a.mention;
    let h = a.hoax;
    let label = h.label.as_str();
    let kind = if h.label == HoaxLabel::KnownHoax {
        "Hoaks yang sudah dibantah"
    } else {
        "Dugaan hoaks"
    };
    let update = if a.version > 1 {
        format!(" (pembaruan: kini {} unggahan)", a.spread)
    } else {
        String::new()
    };
    let subject = subject_line(&format!(
        "[Simak] {kind} tentang {}{update}: {}",
        a.profile_name,
        short(&m.text, 70)
    ));
    let score = h.score_f64();
    let (size, last_hour) = h.cluster.as_ref().map_or((1, 1), |c| (c.size, c.last_hour));
    let reasons = &h.reasons;
    let matches = &h.matches;
    let who = m
        .author
        .handle
        .as_deref()
        .or(m.author.name.as_deref())
        .unwrap_or("(tidak diketahui)");
    let followers = m
        .author
        .followers
        .map(|f| format!(", {f} pengikut"))
        .unwrap_or_default();
    let url = m.url.as_deref().unwrap_or("");
    let review = format!(
        "{}/review/{}",
        a.base_url.trim_end_matches('/'),
        simak_core::mention::path_segment(a.case_id)
    );
    // The matched fact-check's claim is the hoax as the fact-checker worded it: the draft
    // cites it as what was debunked, with the verdict and the link, and takes the fact only
    // from the fact-check's own explanation, or says plainly that it is still to be written.
    let best = matches.first();
    let link_of = |b: &ClaimMatch| {
        b.url
            .as_deref()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_string)
    };
    let debunked = best.map(|b| {
        let verdict = b.verdict.trim();
        format!(
            "Cek fakta: klaim \"{}\" dinyatakan {}{}.",
            short(&b.claim, 160),
            if verdict.is_empty() {
                "keliru".to_string()
            } else {
                verdict.to_uppercase()
            },
            link_of(b)
                .map(|u| format!(" ({u})"))
                .unwrap_or_else(|| " (tautan cek fakta belum ada)".into())
        )
    });
    let fact = best
        .map(|b| b.explanation.trim())
        .filter(|e| !e.is_empty())
        .map(|e| format!("Faktanya: {}", short(e, 400)))
        .unwrap_or_else(|| {
            "Faktanya: [isi dengan fakta dari OPD terkait. Klaim yang beredar adalah hoaks: \
             jangan menyalinnya sebagai fakta]"
                .into()
        });

    let mut t = String::new();
    t.push_str(&format!("{kind} tentang {}{update}\n\n", a.profile_name));
    t.push_str(&format!("Unggahan:\n  \"{}\"\n", m.text.trim()));
    t.push_str(&format!(
        "  Sumber: {} · Akun: {who}{followers} · Terbit: {}\n",
        m.source,
        wib(&m.published_at)
    ));
    if !url.is_empty() {
        t.push_str(&format!("  Tautan: {url}\n"));
    }
    t.push_str(&format!(
        "\nPenyebaran: {} unggahan dalam kasus ini; {size} salinan hampir identik, {last_hour} dalam satu jam terakhir.\n",
        a.spread
    ));
    t.push_str(&format!("Skor hoaks: {:.0}% ({label})\n", score * 100.0));
    t.push_str("\nMengapa ditandai:\n");
    for r in reasons {
        t.push_str(&format!("  - {r}\n"));
    }
    if !matches.is_empty() {
        t.push_str("\nCek fakta yang cocok:\n");
        for x in matches {
            t.push_str(&format!(
                "  - {} (keyakinan pencocokan {:.0}%, putusan: {}) {}\n",
                x.claim,
                x.similarity_f64() * 100.0,
                x.verdict,
                x.url.as_deref().unwrap_or("")
            ));
        }
    }
    let mut outline = vec![
        format!(
            "Judul: [KLARIFIKASI] Tidak benar: \"{}\"",
            short(&m.text, 80)
        ),
        format!(
            "Beredar: unggahan di {} sejak {} yang menyebut \"{}\".",
            m.source,
            wib(&m.published_at),
            short(&m.text, 160)
        ),
        fact,
        format!(
            "Sumber resmi: kanal resmi {} dan tautan klarifikasi.",
            a.profile_name
        ),
        "Imbauan: masyarakat diminta tidak meneruskan informasi yang belum terverifikasi."
            .to_string(),
    ];
    if let Some(d) = debunked {
        outline.insert(2, d);
    }
    t.push_str("\nDraf kerangka klarifikasi (sunting sebelum dipublikasikan):\n");
    for (i, o) in outline.iter().enumerate() {
        t.push_str(&format!("  {}. {o}\n", i + 1));
    }
    t.push_str(&format!("\nTinjau dan putuskan: {review}\n"));
    t.push_str(
        "\nPesan ini dikirim otomatis oleh Simak. Skor hoaks adalah petunjuk, bukan putusan.\n",
    );

    let mut x = String::new();
    x.push_str("<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"></head><body style=\"font-family:sans-serif\">");
    x.push_str(&format!(
        "<h2>{} tentang {}{}</h2>",
        esc(kind),
        esc(a.profile_name),
        esc(&update)
    ));
    x.push_str(&format!(
        "<blockquote style=\"border-left:4px solid #c00;padding-left:8px\">{}</blockquote>",
        esc(m.text.trim())
    ));
    x.push_str(&format!(
        "<p>Sumber: {} · Akun: {}{} · Terbit: {}{}</p>",
        esc(&m.source),
        esc(who),
        esc(&followers),
        esc(&wib(&m.published_at)),
        if url.is_empty() {
            String::new()
        } else {
            format!(" · {}", link(url, "buka unggahan"))
        }
    ));
    x.push_str(&format!(
        "<p><b>Penyebaran:</b> {} unggahan dalam kasus ini; {size} salinan hampir identik, {last_hour} dalam satu jam terakhir.<br><b>Skor hoaks:</b> {:.0}% ({})</p>",
        a.spread,
        score * 100.0,
        esc(label)
    ));
    x.push_str("<h3>Mengapa ditandai</h3><ul>");
    for r in reasons {
        x.push_str(&format!("<li>{}</li>", esc(r)));
    }
    x.push_str("</ul>");
    if !matches.is_empty() {
        x.push_str("<h3>Cek fakta yang cocok</h3><ul>");
        for m in matches {
            x.push_str(&format!(
                "<li>{} (keyakinan pencocokan {:.0}%, putusan: {})</li>",
                link(m.url.as_deref().unwrap_or(""), &m.claim),
                m.similarity_f64() * 100.0,
                esc(&m.verdict)
            ));
        }
        x.push_str("</ul>");
    }
    x.push_str("<h3>Draf kerangka klarifikasi</h3><ol>");
    for o in &outline {
        x.push_str(&format!("<li>{}</li>", esc(o)));
    }
    x.push_str("</ol>");
    x.push_str(&format!(
        "<p>{}</p><p style=\"color:#666\">Pesan ini dikirim otomatis oleh Simak. Skor hoaks adalah petunjuk, bukan putusan.</p></body></html>",
        link(&review, "Tinjau dan putuskan di Simak")
    ));
    Email {
        subject,
        text: t,
        html: x,
    }
}

/// What a volume alert says.
pub struct VolumeAlert<'a> {
    /// The profile's display name.
    pub profile_name: &'a str,
    /// `spike` (all mentions) or `negative` (negative mentions).
    pub kind: &'a str,
    /// The hour's start.
    pub hour: DateTime<Utc>,
    /// Count in the hour.
    pub count: u64,
    /// Mean of the same hour on the 7 days before.
    pub mean: f64,
    /// Its standard deviation.
    pub sd: f64,
    /// The mention that crossed the line.
    pub example: &'a Mention,
    /// Where Simak is opened.
    pub base_url: &'a str,
}

/// Composes a volume-spike or negative-surge alert.
pub fn volume_email(a: &VolumeAlert<'_>) -> Email {
    let what = if a.kind == "negative" {
        "Lonjakan sentimen negatif"
    } else {
        "Lonjakan percakapan"
    };
    let subject = subject_line(&format!(
        "[Simak] {what} tentang {}: {} dalam satu jam",
        a.profile_name, a.count
    ));
    let search = format!("{}/", a.base_url.trim_end_matches('/'));
    let t = format!(
        "{what} tentang {}\n\nJam {}: {} {}, dibanding rata-rata {:.1} (simpangan baku {:.1}) pada jam yang sama 7 hari sebelumnya.\n\nContoh unggahan terbaru:\n  \"{}\" ({}, {})\n\nBuka Simak: {search}\n",
        a.profile_name,
        wib(&a.hour),
        a.count,
        if a.kind == "negative" { "unggahan negatif" } else { "unggahan" },
        a.mean,
        a.sd,
        a.example.text.trim(),
        a.example.source,
        wib(&a.example.published_at)
    );
    let x = format!(
        "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"></head><body style=\"font-family:sans-serif\"><h2>{} tentang {}</h2><p>Jam {}: <b>{}</b> {}, dibanding rata-rata {:.1} (simpangan baku {:.1}) pada jam yang sama 7 hari sebelumnya.</p><p>Contoh unggahan terbaru:</p><blockquote>{}</blockquote><p>{}</p></body></html>",
        esc(what),
        esc(a.profile_name),
        esc(&wib(&a.hour)),
        a.count,
        if a.kind == "negative" { "unggahan negatif" } else { "unggahan" },
        a.mean,
        a.sd,
        esc(a.example.text.trim()),
        link(&search, "Buka Simak")
    );
    Email {
        subject,
        text: t,
        html: x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_inert_in_html() {
        let m: Mention = serde_json::from_value(serde_json::json!({
            "id": "x:1", "source": "x", "url": "javascript:alert(1)",
            "author": {"handle": "<b>evil</b>"},
            "text": "<script>alert('x')</script><img src=x onerror=alert(1)> Pemkab bagi 5 juta",
            "published_at": "2026-11-20T01:00:00Z", "fetched_at": "2026-11-20T01:00:00Z"
        }))
        .unwrap();
        let hoax = serde_json::json!({"label": "known_hoax", "score": 0.9,
            "reasons": ["<i>r</i>"], "cluster": {"id": "00000000000000aa", "size": 3, "last_hour": 2},
            "matches": [{"id": "fc-1", "claim": "\"><svg onload=alert(1)>", "url": "javascript:x", "similarity": 0.8, "verdict": "hoaks"}]});
        let hoax: HoaxVerdict = serde_json::from_value(hoax).unwrap();
        let e = hoax_email(&HoaxAlert {
            profile_name: "Pemkab <Sukamaju>",
            case_id: "pemkab:fc:1",
            mention: &m,
            hoax: &hoax,
            spread: 3,
            version: 1,
            base_url: "http://simak.local",
        });
        for bad in [
            "<script",
            "<img",
            "<svg",
            "<b>evil",
            "<i>r",
            "href=\"javascript",
            "javascript:x",
            "<Sukamaju>",
        ] {
            assert!(!e.html.contains(bad), "{bad} in {}", e.html);
        }
        assert!(e.html.contains("&lt;script&gt;"));
        assert!(
            e.text.contains("<script>alert('x')</script>"),
            "plain text keeps the text"
        );
        assert!(e.html.contains("http://simak.local/review/pemkab%3Afc%3A1"));
        assert!(e
            .subject
            .starts_with("[Simak] Hoaks yang sudah dibantah tentang Pemkab <Sukamaju>"));
        assert!(e.text.contains("Draf kerangka klarifikasi"));
        assert!(e.text.contains("08:00 WIB"));
    }

    fn draft(matched: serde_json::Value) -> String {
        let m: Mention = serde_json::from_value(serde_json::json!({
            "id": "x:2", "source": "x",
            "text": "Bendungan Cibening jebol tadi malam, warga Sukamaju segera mengungsi! Sebarkan!",
            "published_at": "2026-11-20T01:00:00Z", "fetched_at": "2026-11-20T01:00:00Z"
        }))
        .unwrap();
        let hoax = serde_json::json!({"label": "known_hoax", "score": 0.9, "reasons": [],
            "cluster": {"id": "00000000000000aa", "size": 1, "last_hour": 1}, "matches": [matched]});
        let hoax: HoaxVerdict = serde_json::from_value(hoax).unwrap();
        let e = hoax_email(&HoaxAlert {
            profile_name: "BPBD Sukamaju",
            case_id: "bpbd:fc:9",
            mention: &m,
            hoax: &hoax,
            spread: 1,
            version: 1,
            base_url: "http://simak.local",
        });
        let start = e.text.find("Draf kerangka klarifikasi").unwrap();
        let end = e.text.find("Tinjau dan putuskan").unwrap();
        e.text[start..end].to_string()
    }

    #[test]
    fn the_clarification_draft_never_states_the_hoax_as_the_fact() {
        let claim = "Bendungan Cibening jebol dan warga harus mengungsi";
        // With the fact-check's explanation: the claim is cited as debunked, with its verdict
        // and link, and the fact is the explanation.
        let d = draft(
            serde_json::json!({"id": "fc-9", "claim": claim, "verdict": "hoaks",
            "explanation": "BBWS memastikan Bendungan Cibening dalam kondisi aman dan tidak jebol",
            "url": "https://cekfakta.example.id/9", "similarity": 0.9}),
        );
        assert!(
            d.contains(&format!(
                "Cek fakta: klaim \"{claim}\" dinyatakan HOAKS (https://cekfakta.example.id/9)."
            )),
            "{d}"
        );
        assert!(
            d.contains("Faktanya: BBWS memastikan Bendungan Cibening dalam kondisi aman"),
            "{d}"
        );
        for line in d.lines().filter(|l| l.contains("Faktanya")) {
            assert!(!line.contains(claim), "the hoax as the fact: {line}");
        }
        // Without an explanation: the draft says plainly that the fact is still to be written.
        let d = draft(
            serde_json::json!({"id": "fc-9", "claim": claim, "verdict": "salah",
            "url": "https://cekfakta.example.id/9", "similarity": 0.9}),
        );
        let fact = d.lines().find(|l| l.contains("Faktanya")).unwrap();
        assert!(
            fact.contains("[isi dengan fakta dari OPD terkait"),
            "{fact}"
        );
        assert!(!fact.contains(claim), "the hoax as the fact: {fact}");
        assert!(d.contains("dinyatakan SALAH"), "{d}");
    }
    /// Hostile text from posts, names and fact-checks: inert in the HTML part, kept as text in
    /// the plain part, and never a second header line or a reversed subject.
    #[test]
    fn a_payload_list_stays_inert_in_every_part_and_the_subject_stays_one_line() {
        let payloads = [
            "<script>window.__pwned=1</script>",
            "<img src=x onerror=\"window.__pwned=2\">",
            "<svg onload=\"window.__pwned=3\">",
            "\"><a href=\"javascript:window.__pwned=4\">klik</a>",
            "<div style=\"width:expression(alert(1))\">css</div>",
            "&lt;b&gt;entitas&amp;",
            "baris satu\r\nBcc: korban@example.com\r\n\r\n<b>badan</b>",
            "\u{202e}gnp.exe bantuan",
            &"sangat-panjang-".repeat(5000),
        ];
        for p in payloads {
            let m: Mention = serde_json::from_value(serde_json::json!({
                "id": "x:9", "source": "x", "url": "javascript:window.__pwned=5",
                "author": {"handle": p, "name": p},
                "text": format!("Pemkab Sukamaju {p}"),
                "published_at": "2026-11-20T01:00:00Z", "fetched_at": "2026-11-20T01:00:00Z"
            }))
            .unwrap();
            let hoax: HoaxVerdict = serde_json::from_value(serde_json::json!({
                "label": "suspected", "score": 0.7, "reasons": [p],
                "matches": [{"id": "fc-1", "claim": p, "url": "javascript:x", "similarity": 0.8,
                             "verdict": p, "explanation": p}]}))
            .unwrap();
            // The profile's name comes from a configuration file: hostile too.
            let name = format!("Dinas\r\nBcc: korban@example.com \u{202e}{p}");
            let hoax_mail = hoax_email(&HoaxAlert {
                profile_name: &name,
                case_id: "dinas:fc:1",
                mention: &m,
                hoax: &hoax,
                spread: 2,
                version: 2,
                base_url: "http://simak.local",
            });
            let volume_mail = volume_email(&VolumeAlert {
                profile_name: &name,
                kind: "negative",
                hour: m.published_at,
                count: 9,
                mean: 1.0,
                sd: 1.0,
                example: &m,
                base_url: "http://simak.local",
            });
            for e in [hoax_mail, volume_mail] {
                for bad in [
                    "<script",
                    "<img",
                    "<svg",
                    "<div style",
                    "<b>badan",
                    "href=\"javascript",
                    "&lt;b&gt;entitas",
                ] {
                    assert!(!e.html.contains(bad), "{bad} in the HTML part for {p:?}");
                }
                assert!(
                    !e.subject.contains(['\r', '\n', '\u{202e}']),
                    "subject {:?}",
                    e.subject
                );
                assert!(e.subject.chars().count() < 300, "subject {:?}", e.subject);
                assert!(
                    e.text.contains("Pemkab Sukamaju"),
                    "the plain part keeps the post"
                );
            }
        }
    }
}
