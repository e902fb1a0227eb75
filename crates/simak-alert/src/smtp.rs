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

fn delivery(cfg: &Config) -> Result<Delivery, AlertError> {
    let a = &cfg.alerts;
    if a.smtp_url.trim().is_empty() {
        return Ok(Delivery::Files);
    }
    let mut b = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(a.smtp_url.trim())
        .map_err(|e| AlertError::Config(format!("alerts.smtp_url: {e}")))?
        .timeout(Some(Duration::from_secs(20)));
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
        .1)
}

/// Delivers the outbox until `shutdown`: by SMTP when configured, else as `.eml` files. A
/// failed delivery stays pending and is retried with backoff (1 s doubling to 60 s); a recipient
/// over `alerts.per_recipient_per_hour` waits until an hour after its oldest e-mail in the window.
pub async fn run_sender(
    cfg: &Config,
    store: Arc<AlertStore>,
    shutdown: CancellationToken,
) -> Result<(), AlertError> {
    let delivery = delivery(cfg)?;
    match &delivery {
        Delivery::Smtp(_) => {
            tracing::info!(smtp = %redact(&cfg.alerts.smtp_url), "alert sender started")
        }
        Delivery::Files => {
            tracing::info!(dir = %cfg.outbox_path().display(), "no alerts.smtp_url: alerts are written as .eml files")
        }
    }
    loop {
        let idle = deliver_round(cfg, &store, &delivery, &shutdown).await.0 == 0;
        if shutdown.is_cancelled() {
            return Ok(());
        }
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

/// One round of delivery: the rows due now. Returns how many were due and how many delivered.
async fn deliver_round(
    cfg: &Config,
    store: &Arc<AlertStore>,
    delivery: &Delivery,
    shutdown: &CancellationToken,
) -> (usize, usize) {
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
            return (count, delivered);
        }
        let batch: Vec<_> = ready.drain(..ready.len().min(8)).collect();
        let sends = batch.iter().map(|(item, msg, to_file)| async move {
            match (delivery, to_file) {
                (Delivery::Smtp(t), false) => {
                    use lettre::AsyncTransport;
                    t.send(msg.clone())
                        .await
                        .map(|_| None)
                        .map_err(|e| e.to_string())
                }
                _ => write_eml(&cfg.outbox_path(), item, &msg.formatted()).map(Some),
            }
        });
        let results = futures::future::join_all(sends).await;
        for ((item, _, _), result) in batch.iter().zip(results) {
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
    (count, delivered)
}

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

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("smtp://u:secret@mail:587"), "smtp://***@mail:587");
        assert_eq!(redact("smtp://mail:25"), "smtp://mail:25");
    }
}
