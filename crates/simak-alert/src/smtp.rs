//! Delivery: the sender takes pending outbox rows, delivers them by SMTP (or writes them as
//! `.eml` files when `alerts.smtp_url` is empty), and marks them sent. A failed delivery stays
//! pending and is retried with backoff; a crash between the server's acceptance and the mark
//! sends that one e-mail again under the same Message-ID, derived from the row.

use crate::outbox::OutboxItem;
use crate::{AlertError, AlertStore};
use chrono::Utc;
use simak_core::config::AlertsConfig;
use simak_core::Config;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Where alerts go.
enum Delivery {
    Smtp(lettre::AsyncSmtpTransport<lettre::Tokio1Executor>),
    /// `.eml` files under `<data_dir>/outbox`.
    Files,
}

/// Longest one delivery may take. lettre's own timeout bounds the TCP connect only: a server
/// that accepted and then said nothing held the sender, and every alert behind it, forever.
fn exchange_timeout(a: &AlertsConfig) -> Duration {
    Duration::from_secs(a.smtp_timeout_secs.max(1))
}

fn delivery(cfg: &Config) -> Result<Delivery, AlertError> {
    let a = &cfg.alerts;
    if a.smtp_url.trim().is_empty() {
        return Ok(Delivery::Files);
    }
    let mut b = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(a.smtp_url.trim())
        .map_err(|e| AlertError::Config(format!("alerts.smtp_url: {e}")))?
        .timeout(Some(exchange_timeout(a)));
    if !a.smtp_user.is_empty() {
        let pass = simak_core::config::secret("SMTP_PASSWORD").ok_or_else(|| {
            AlertError::Config(
                "alerts.smtp_user is set but SIMAK_SECRET_SMTP_PASSWORD (or its _FILE) is not"
                    .into(),
            )
        })?;
        b = b.credentials(lettre::transport::smtp::authentication::Credentials::new(
            a.smtp_user.clone(),
            pass,
        ));
    }
    Ok(Delivery::Smtp(b.build()))
}

/// The e-mail of outbox row `item` as it is sent (RFC 5322 bytes: headers, then the MIME
/// parts `text`, `html` and the inline PNG `images` as `(content id, base64)`), or why it
/// cannot be built. The sender and the `.eml` files use exactly this message.
pub fn formatted_message(
    cfg: &AlertsConfig,
    item: &OutboxItem,
    text: &str,
    html: &str,
    images: &[(String, String)],
) -> Result<Vec<u8>, String> {
    message(cfg, item, text, html, images).map(|m| m.formatted())
}

fn message(
    cfg: &AlertsConfig,
    item: &OutboxItem,
    text: &str,
    html: &str,
    images: &[(String, String)],
) -> Result<lettre::Message, String> {
    use lettre::message::{header, MultiPart, SinglePart};
    let from: lettre::message::Mailbox = cfg
        .from
        .parse()
        .map_err(|e| format!("alerts.from {:?}: {e}", cfg.from))?;
    let to = if item.recipient.is_empty() {
        from.clone()
    } else {
        item.recipient
            .parse()
            .map_err(|e| format!("recipient {:?}: {e}", item.recipient))?
    };
    let domain = from.email.domain().to_string();
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(&item.subject)
        .message_id(Some(format!(
            "<simak-{}-v{}-{}@{domain}>",
            item.id,
            item.version,
            simak_core::mention::short_hash(item.key.as_bytes())
        )))
        .raw_header(header::HeaderValue::new(
            header::HeaderName::new_from_ascii_str("X-Simak-Alert"),
            format!("{} v{}", item.key.replace(['\r', '\n'], " "), item.version),
        ))
        .raw_header(header::HeaderValue::new(
            header::HeaderName::new_from_ascii_str("X-Simak-Mention"),
            item.mention_id.replace(['\r', '\n'], " "),
        ))
        .multipart(if images.is_empty() {
            MultiPart::alternative()
                .singlepart(SinglePart::plain(text.to_string()))
                .singlepart(SinglePart::html(html.to_string()))
        } else {
            use base64::Engine;
            let mut related = MultiPart::related().singlepart(SinglePart::html(html.to_string()));
            for (cid, b64) in images {
                let png = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| format!("inline image {cid}: {e}"))?;
                related = related.singlepart(
                    lettre::message::Attachment::new_inline(cid.clone())
                        .body(png, "image/png".parse().expect("content type")),
                );
            }
            MultiPart::alternative()
                .singlepart(SinglePart::plain(text.to_string()))
                .multipart(related)
        })
        .map_err(|e| e.to_string())
}

/// Delivers what is due in the outbox once; returns how many were delivered.
pub async fn deliver_pending(cfg: &Config, store: &Arc<AlertStore>) -> Result<usize, AlertError> {
    let d = delivery(cfg)?;
    Ok(deliver_round(cfg, store, &d, &CancellationToken::new())
        .await
        .delivered)
}

/// Delivers the outbox until `shutdown`: by SMTP when configured, else as `.eml` files. A
/// failed delivery stays pending and is retried with backoff (1 s doubling to 60 s); a recipient
/// over `alerts.per_recipient_per_hour` waits until an hour after its oldest e-mail in the window.
pub async fn run_sender(
    cfg: &Config,
    store: Arc<AlertStore>,
    shutdown: CancellationToken,
) -> Result<(), AlertError> {
    let mut delivery = delivery(cfg)?;
    match &delivery {
        Delivery::Smtp(_) => {
            tracing::info!(smtp = %redact(&cfg.alerts.smtp_url), "alert sender started")
        }
        Delivery::Files => {
            tracing::info!(dir = %cfg.outbox_path().display(), "no alerts.smtp_url: alerts are written as .eml files")
        }
    }
    loop {
        let round = deliver_round(cfg, &store, &delivery, &shutdown).await;
        if shutdown.is_cancelled() {
            return Ok(());
        }
        if round.timed_out {
            // A delivery given up midway leaves its connection mid-dialogue, and lettre's pool
            // would hand it out again (its liveness check waits for an answer with no time
            // limit): start over with a new transport and an empty pool.
            delivery = self::delivery(cfg)?;
        }
        let idle = round.due == 0;
        if idle {
            // Woken as soon as the rules queue something; otherwise look again for retries due.
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = store.queued.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }
}

/// What one round of delivery did.
struct Round {
    /// Rows due.
    due: usize,
    /// Rows delivered.
    delivered: usize,
    /// Some delivery took longer than `alerts.smtp_timeout_secs` and was given up.
    timed_out: bool,
}

/// One round of delivery: the rows due now.
async fn deliver_round(
    cfg: &Config,
    store: &Arc<AlertStore>,
    delivery: &Delivery,
    shutdown: &CancellationToken,
) -> Round {
    let due = {
        let s = store.clone();
        tokio::task::spawn_blocking(move || s.due(100))
            .await
            .expect("alert task")
    };
    let due = match due {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "alert sender: reading the outbox failed; retrying");
            Vec::new()
        }
    };
    let count = due.len();
    let mut delivered = 0;
    let mut timed_out = false;
    // Prepare: rate limits (counting this round too), then addressing.
    let mut ready = Vec::new();
    let mut this_round: HashMap<String, u32> = HashMap::new();
    for (item, text, html, images) in due {
        let to_file = matches!(delivery, Delivery::Files) || item.recipient.is_empty();
        if !to_file {
            let limit = cfg.alerts.per_recipient_per_hour.max(1);
            let extra = this_round.entry(item.recipient.clone()).or_default();
            if let Ok((n, oldest)) = store.sent_last_hour(&item.recipient) {
                if n + *extra >= limit {
                    let until = oldest.unwrap_or_else(|| Utc::now().timestamp_millis()) + 3_600_000;
                    tracing::info!(id = item.id, recipient = %item.recipient, "alert waits: recipient rate limit");
                    let _ = store.postpone(item.id, until, None);
                    continue;
                }
            }
            *extra += 1;
        }
        match message(&cfg.alerts, &item, &text, &html, &images) {
            Ok(m) => ready.push((item, m, to_file)),
            Err(e) => {
                // A bad address needs an operator; keep the alert, retry rarely.
                tracing::error!(id = item.id, error = %e, "alert cannot be addressed; fix the configuration");
                let _ = store.postpone(item.id, Utc::now().timestamp_millis() + 600_000, Some(&e));
            }
        }
    }
    // Deliver up to 8 at a time: an SMTP exchange spends most of its time waiting.
    while !ready.is_empty() {
        if shutdown.is_cancelled() {
            return Round {
                due: count,
                delivered,
                timed_out,
            };
        }
        let batch: Vec<_> = ready.drain(..ready.len().min(8)).collect();
        let mut sends: futures::stream::FuturesUnordered<_> = batch
            .iter()
            .map(|(item, msg, to_file)| async move {
                let result = match (delivery, to_file) {
                    (Delivery::Smtp(t), false) => {
                        use lettre::AsyncTransport;
                        let limit = exchange_timeout(&cfg.alerts);
                        match tokio::time::timeout(limit, t.send(msg.clone())).await {
                            Ok(r) => r.map(|_| None).map_err(|e| e.to_string()),
                            Err(_) => Err(format!(
                                "{TIMED_OUT} after {} s (alerts.smtp_timeout_secs)",
                                limit.as_secs()
                            )),
                        }
                    }
                    _ => write_eml(&cfg.outbox_path(), item, &msg.formatted()).map(Some),
                };
                (item, result)
            })
            .collect();
        // Each e-mail is marked as soon as its own delivery ends, not after the slowest of the
        // batch: a crash between the server's acceptance and the mark sends it again, and that
        // window was as long as the slowest of up to 8 deliveries.
        use futures::StreamExt;
        while let Some((item, result)) = sends.next().await {
            match result {
                Ok(file) => {
                    delivered += 1;
                    if let Err(e) = store.mark_sent(item.id, file.as_deref()) {
                        tracing::error!(id = item.id, error = %e, "alert delivered but not marked; it may be sent again");
                    } else {
                        tracing::info!(id = item.id, key = %item.key, recipient = %item.recipient, "alert delivered");
                    }
                }
                Err(e) => {
                    timed_out |= e.starts_with(TIMED_OUT);
                    let wait = 1000i64 << item.attempts.clamp(0, 6);
                    tracing::warn!(id = item.id, attempts = item.attempts + 1, retry_in_ms = wait.min(60_000), error = %e, "alert delivery failed; it stays in the outbox");
                    let _ = store.postpone(
                        item.id,
                        Utc::now().timestamp_millis() + wait.min(60_000),
                        Some(&e),
                    );
                }
            }
        }
    }
    Round {
        due: count,
        delivered,
        timed_out,
    }
}

const TIMED_OUT: &str = "the SMTP server did not finish the delivery";

fn write_eml(dir: &Path, item: &OutboxItem, bytes: &[u8]) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let name = format!("{:08}.eml", item.id);
    let path = dir.join(&name);
    simak_bus::embedded::write_atomic(&path, bytes, true).map_err(|e| e.to_string())?;
    Ok(name)
}

/// The SMTP URL without any password in it, for logs.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that accepts and never says a word held the sender forever (lettre's timeout
    /// covers the connect only): the attempt now fails after `alerts.smtp_timeout_secs` and the
    /// e-mail stays pending for the next.
    #[tokio::test]
    async fn a_server_that_never_answers_fails_the_attempt_and_keeps_the_email() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let silent = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let d = tempfile::tempdir().unwrap();
        let mut cfg = Config {
            data_dir: d.path().to_path_buf(),
            ..Default::default()
        };
        cfg.alerts.smtp_url = format!("smtp://{addr}");
        cfg.alerts.smtp_timeout_secs = 1;
        let store = Arc::new(AlertStore::open(&d.path().join("alerts.sqlite")).unwrap());
        let email = crate::compose::Email {
            subject: "Ringkasan".into(),
            text: "t".into(),
            html: "<p>t</p>".into(),
        };
        store
            .queue_summary("summary:p:2026-11-21", &["a@b.c".into()], &email, &[])
            .unwrap();
        let sent = tokio::time::timeout(Duration::from_secs(10), deliver_pending(&cfg, &store))
            .await
            .expect("the delivery never gave up")
            .unwrap();
        assert_eq!(sent, 0);
        let rows = store.outbox(10).unwrap();
        assert_eq!((rows[0].state.as_str(), rows[0].attempts), ("pending", 1));
        let error = rows[0].error.as_deref().unwrap_or_default();
        assert!(error.starts_with(TIMED_OUT), "{error}");
        silent.abort();
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("smtp://u:secret@mail:587"), "smtp://***@mail:587");
        assert_eq!(redact("smtp://mail:25"), "smtp://mail:25");
    }
}
