//! Composing the alert e-mails (hoax alert, volume spike) from a mention as it arrives on the
//! enriched stream, then the whole MIME message as the sender writes it. Posts are hostile
//! text: the HTML part must contain no tag the template does not write, and the message no
//! header the sender does not set.
#![no_main]
use chrono::TimeZone;
use libfuzzer_sys::fuzz_target;
use simak_alert::compose::{hoax_email, volume_email, Email, HoaxAlert, VolumeAlert};
use simak_alert::OutboxItem;
use simak_core::config::AlertsConfig;
use simak_core::Mention;

/// The tags the templates write.
const TAGS: &[&str] = &[
    "!doctype", "html", "head", "meta", "body", "h2", "h3", "p", "b", "i", "a", "ul", "ol", "li",
    "blockquote", "br",
];

/// The headers the sender writes.
const HEADERS: &[&str] = &[
    "from",
    "to",
    "subject",
    "message-id",
    "x-simak-alert",
    "x-simak-mention",
    "mime-version",
    "date",
    "content-type",
    "content-transfer-encoding",
];

fn check_html(html: &str) {
    let lower = html.to_ascii_lowercase();
    for (i, _) in lower.match_indices('<') {
        let name: String = lower[i + 1..]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect();
        assert!(
            TAGS.contains(&name.as_str()),
            "tag <{name}> not written by the template: {html}"
        );
    }
}

fn check_message(e: &Email, m: &Mention, key: &str) {
    check_html(&e.html);
    let item = OutboxItem {
        id: 7,
        key: key.to_string(),
        version: 1,
        recipient: "humas@sukamaju.go.id".into(),
        subject: e.subject.clone(),
        mention_id: m.id.clone(),
        handed_over_at: String::new(),
        created_at: String::new(),
        state: "pending".into(),
        attempts: 0,
        sent_at: None,
        error: None,
        file: None,
    };
    let msg = simak_alert::formatted_message(&AlertsConfig::default(), &item, &e.text, &e.html, &[])
        .expect("an alert e-mail always builds");
    let text = String::from_utf8_lossy(&msg);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let name = line.split(':').next().unwrap_or_default().to_ascii_lowercase();
        assert!(
            HEADERS.contains(&name.as_str()),
            "header line {line:?} not written by the sender:\n{head}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Mention::from_json(data) else {
        return;
    };
    let hour = chrono::Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    if let Some(h) = m.hoax() {
        let case_id = format!("pemkab-sukamaju:{}", m.id);
        let e = hoax_email(&HoaxAlert {
            profile_name: "Pemkab Sukamaju",
            case_id: &case_id,
            mention: &m,
            hoax: &h,
            spread: 3,
            version: 2,
            base_url: "http://127.0.0.1:8080",
        });
        check_message(&e, &m, &case_id);
    }
    let e = volume_email(&VolumeAlert {
        profile_name: "Pemkab Sukamaju",
        kind: if m.text.len() % 2 == 0 { "negative" } else { "spike" },
        hour,
        count: 40,
        mean: 3.5,
        sd: 1.2,
        example: &m,
        base_url: "http://127.0.0.1:8080/",
    });
    check_message(&e, &m, "pemkab-sukamaju:spike");
});
