//! Volume alerts, per watch profile and hour of publication: a spike of all mentions, or a
//! surge of negative ones, above mean + k·σ of the same hour on the 7 days before and at least
//! a minimum count; once per hour.

use super::{negative, AlertRule, Context, Decision, Detail, HourCount, State};
use crate::AlertError;
use chrono::{TimeZone, Utc};

/// A volume rule: which of the hour's counts it watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Volume {
    /// All mentions (`alerts.spike_k`, `alerts.spike_min_count`).
    Spike,
    /// Negative mentions (`alerts.negative_k`, `alerts.negative_min_count`); only a negative
    /// mention sets it off.
    Negative,
}

impl Volume {
    /// The kind, as stored and as the key's prefix.
    pub fn kind(self) -> &'static str {
        match self {
            Volume::Spike => "spike",
            Volume::Negative => "negative",
        }
    }

    fn of(self, c: HourCount) -> i64 {
        match self {
            Volume::Spike => c.total,
            Volume::Negative => c.negative,
        }
    }
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

impl AlertRule for Volume {
    fn name(&self) -> &'static str {
        self.kind()
    }

    fn decide(&self, cx: &Context<'_>, state: &State<'_>) -> Result<Vec<Decision>, AlertError> {
        // Counted before: this mention was seen, and whatever it set off was decided then.
        let Some(now) = cx.counted else {
            return Ok(Vec::new());
        };
        let (k, min) = match self {
            Volume::Spike => (cx.cfg.spike_k, cx.cfg.spike_min_count),
            Volume::Negative => (cx.cfg.negative_k, cx.cfg.negative_min_count),
        };
        let count = self.of(now);
        if count < i64::from(min) || (*self == Volume::Negative && !negative(cx.mention)) {
            return Ok(Vec::new());
        }
        let (profile, hour) = (cx.profile, cx.hour);
        let key = format!("{}:{profile}:{hour}", self.kind());
        if state.alerted(&key)? {
            return Ok(Vec::new());
        }
        let week = state
            .same_hour_week_before(profile, hour)?
            .map(|c| self.of(c) as f64);
        let (mean, sd) = mean_sd(&week);
        if (count as f64) <= mean + f64::from(k) * sd {
            return Ok(Vec::new());
        }
        Ok(vec![Decision {
            key,
            profile: profile.to_string(),
            version: 1,
            spread: count,
            detail: Detail::Volume {
                of: *self,
                hour: Utc
                    .timestamp_opt(hour * 3600, 0)
                    .single()
                    .unwrap_or_default(),
                mean,
                sd,
            },
        }])
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{cfg, mention, none, store};
    use simak_analyze::profiles::Profiles;
    use simak_core::config::AlertsConfig;
    use simak_core::Mention;

    #[test]
    fn spikes_against_the_same_hour_of_the_week_before() {
        let (_d, s) = store();
        let p = Profiles::default();
        let c = AlertsConfig {
            spike_min_count: 5,
            negative_min_count: 1000,
            ..cfg()
        };
        // Two mentions at 08:00 on each of the 7 days before.
        let mut hist = Vec::new();
        for d in 13..20 {
            for i in 0..2 {
                hist.push(mention(
                    &format!("h:{d}:{i}"),
                    "biasa",
                    none(),
                    &format!("2026-11-{d}T01:10:00Z"),
                ));
            }
        }
        assert_eq!(s.apply(&hist, &p, &c).unwrap().alerts, 0);
        let today: Vec<Mention> = (0..6)
            .map(|i| mention(&format!("t:{i}"), "ramai", none(), "2026-11-20T01:20:00Z"))
            .collect();
        let a = s.apply(&today, &p, &c).unwrap();
        assert_eq!(
            a.alerts, 1,
            "one spike alert for the hour, at the 5th mention"
        );
        let out = s.outbox(10).unwrap();
        assert!(out[0].key.starts_with("spike:pemkab:"), "{out:?}");
        assert!(out[0].subject.contains("Lonjakan percakapan"));
    }
}
