//! Hoax alerts: a known hoax at once, a suspected one from `alerts.suspected_min_score`. One
//! alert per review case (the debunked claim, or else the near-duplicate cluster); an update
//! only when the case's spread has grown by `alerts.growth_factor` since the last e-mail.

use super::{AlertRule, Context, Decision, Detail, State};
use crate::AlertError;
use simak_core::HoaxLabel;

/// The hoax rule.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hoax;

impl AlertRule for Hoax {
    fn name(&self) -> &'static str {
        "hoax"
    }

    fn decide(&self, cx: &Context<'_>, state: &State<'_>) -> Result<Vec<Decision>, AlertError> {
        let Some(hoax) = cx.hoax else {
            return Ok(Vec::new());
        };
        let alert = match hoax.label {
            HoaxLabel::KnownHoax => true,
            HoaxLabel::Suspected => hoax.score_f64() >= f64::from(cx.cfg.suspected_min_score),
            HoaxLabel::None => false,
        };
        let Some(case) = alert
            .then(|| simak_review::case_id(cx.profile, hoax))
            .flatten()
        else {
            return Ok(Vec::new());
        };
        let key = format!("hoax:{case}");
        let members = state.join(&key, &cx.mention.id)?;
        let spread = members.max(hoax.cluster.as_ref().map_or(1, |c| i64::from(c.size)));
        let version = match state.last_alert(&key)? {
            None => 1,
            Some((v, last))
                if spread as f64 >= last.max(1) as f64 * f64::from(cx.cfg.growth_factor) =>
            {
                v + 1
            }
            Some(_) => return Ok(Vec::new()),
        };
        Ok(vec![Decision {
            key,
            profile: cx.profile.to_string(),
            version,
            spread,
            detail: Detail::Hoax {
                case_id: case,
                verdict: hoax.clone(),
            },
        }])
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{cfg, known, mention, store};
    use crate::Applied;
    use simak_analyze::profiles::Profiles;
    use simak_core::Mention;

    #[test]
    fn one_alert_per_case_and_updates_only_on_growth() {
        let (_d, s) = store();
        let p = Profiles::default();
        let batch: Vec<Mention> = (1..=3)
            .map(|i| mention(&format!("x:{i}"), "hoaks", known(i), "2026-11-20T01:00:00Z"))
            .collect();
        let a = s.apply(&batch, &p, &cfg()).unwrap();
        // x:1 alerts (v1); x:2 doubles the spread (2 >= 1*2): update v2; x:3 (3 < 2*2): nothing.
        assert_eq!(
            a,
            Applied {
                alerts: 2,
                emails: 4
            }
        );
        // The same batch again (a replay after a crash) queues nothing.
        let again = s.apply(&batch, &p, &cfg()).unwrap();
        assert_eq!(again.emails, 0);
        assert_eq!(s.outbox(100).unwrap().len(), 4);
        let x4 = mention("x:4", "hoaks", known(4), "2026-11-20T01:05:00Z");
        assert_eq!(s.apply(&[x4], &p, &cfg()).unwrap().alerts, 1, "4 >= 2*2");
    }
}
