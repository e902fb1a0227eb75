//! Helpers shared by the source tests.

use simak_bus::embedded::EmbeddedLog;
use std::time::Duration;

/// Every key the sources wrote to topic `m`, in log order.
pub async fn drain(log: &EmbeddedLog) -> Vec<String> {
    let mut c = log.group_consumer("m", "check").unwrap();
    let mut out = Vec::new();
    loop {
        let got = c.poll(1000, Duration::from_millis(50)).await.unwrap();
        if got.is_empty() {
            return out;
        }
        out.extend(got.into_iter().map(|r| r.key));
    }
}
