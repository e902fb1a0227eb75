//! The OPDs' own accounts ranked, as the regency ranks its OPDs' media: per watch profile (OPD),
//! what its official accounts (`accounts` in the profile) posted in a period, the reach and the
//! comments the platforms report on those posts, and how the OPD answered the complaint cases
//! posted in the period (received, share answered, share answered within its target, median
//! time to the first answer, overdue now).
//!
//! Everything comes from what Simak already stores: the official posts from the index (by the
//! author's handle, see [`simak_index::MentionSearcher::by_authors`]), the cases from the review
//! database. A case counts for the OPD that owns it now (after any re-route).
//!
//! **The score** (0–100) is a weighted mean of three parts, each between 0 and 1:
//!
//! | part | weight | what |
//! |---|---|---|
//! | answered | 50 | answered cases / cases received, leaving out those found not ours |
//! | on time | 30 | cases answered within the OPD's target / the same cases received |
//! | activity | 20 | posts by its accounts per day of the period, full marks from one a day |
//!
//! A part without data is left out and the others' weights scaled up: an OPD that received no
//! complaint is scored on its activity alone; one without configured accounts on its answers
//! alone; one with neither has no score and is listed last, unranked. Reach is shown but not
//! scored: the platforms count it differently (views on some, only likes and shares on others).
//! Ties share a rank.
//!
//! **Who sees it.** Every account, whatever its role or OPDs, sees the ranking of all OPDs: it
//! is the regency's own ranking of its OPDs, and it holds only counts and times, no post, no
//! complaint text, no citizen's name.

use crate::auth::Caller;
use crate::params::ApiQuery;
use crate::{spec, ApiError, AppState};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use simak_core::Mention;
use simak_review::complaints::{CaseTiming, Status};
use utoipa::{IntoParams, ToSchema};

/// The period when `since` is not given: this long before `until`.
pub const DEFAULT_DAYS: i64 = 30;
/// The score's weights: answered, on time, activity.
pub const WEIGHTS: Weights = Weights {
    answered: 50.0,
    on_time: 30.0,
    activity: 20.0,
};
/// Posts a day that earn full marks for activity.
pub const POSTS_PER_DAY: f64 = 1.0;

/// The score's weights (out of 100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Weights {
    /// Of the share of cases answered.
    pub answered: f64,
    /// Of the share of cases answered within the OPD's target.
    pub on_time: f64,
    /// Of the accounts' activity (posts a day, full marks from one a day).
    pub activity: f64,
}

/// One OPD as configured: what the ranking needs of its watch profile.
#[derive(Debug, Clone)]
pub struct Opd {
    /// The watch profile id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its official accounts as configured.
    pub accounts: Vec<String>,
}

/// The query string of `GET /api/accounts/ranking`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingParams {
    /// Period from (default: 30 days before `until`): RFC 3339, YYYY-MM-DD (midnight WIB) or an
    /// age before now (30m, 24h, 7d).
    #[param(schema_with = spec::time_schema)]
    since: Option<String>,
    /// Period until, exclusive (default: now), in the same forms. A period that ends before it
    /// starts is empty: every figure 0.
    #[param(schema_with = spec::time_schema)]
    until: Option<String>,
}

/// `GET /api/accounts/ranking`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ranking {
    /// The period's start.
    pub since: DateTime<Utc>,
    /// The period's end (exclusive).
    pub until: DateTime<Utc>,
    /// The score's weights.
    pub weights: Weights,
    /// Every OPD, the best score first; those without a score last.
    pub opds: Vec<OpdRank>,
}

/// One OPD's accounts and answers over the period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OpdRank {
    /// 1 for the best score; equal scores share a rank; none without a score.
    pub rank: Option<u32>,
    /// The watch profile id.
    pub opd: String,
    /// Its name.
    pub name: String,
    /// Its official accounts as configured.
    pub accounts: Vec<String>,
    /// Posts by its accounts in the period.
    pub posts: u64,
    /// Of them, replies (to a citizen or another post).
    pub replies: u64,
    /// Of them, posts whose platform reports engagement or views.
    pub posts_with_reach: u64,
    /// The reach of those posts: views where the platform counts them, else likes, shares and
    /// comments. None when no post has any.
    pub reach: Option<u64>,
    /// Comments on its posts, where the platform counts them. None when none does.
    pub comments: Option<u64>,
    /// Complaint cases posted in the period that it owns.
    pub complaints: u64,
    /// Of them, found not its business (left out of the shares).
    pub not_ours: u64,
    /// Of the others, answered.
    pub answered: u64,
    /// Of the others, answered within its target.
    pub answered_on_time: u64,
    /// Of the others, open past its target now.
    pub overdue: u64,
    /// `answered` / (`complaints` − `not_ours`); none without such cases.
    pub share_answered: Option<f64>,
    /// `answered_on_time` / (`complaints` − `not_ours`); none without such cases.
    pub share_on_time: Option<f64>,
    /// The median time from the post to the first answer, of the answered cases.
    pub median_response_minutes: Option<u64>,
    /// Posts a day, scored against one a day (at most 1); none without configured accounts.
    pub activity: Option<f64>,
    /// The score, 0–100 with one decimal; none with neither complaints nor accounts.
    pub score: Option<f64>,
}

fn handle_key(h: &str) -> String {
    h.trim().trim_start_matches('@').to_lowercase()
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// The ranking of `opds` over `since..until` at `now`, from the posts of their accounts in the
/// period (`posts`: any order; a post counts for every OPD listing its author) and the timings of
/// the cases posted in it.
pub fn rank(
    opds: &[Opd],
    posts: &[Mention],
    cases: &[CaseTiming],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<OpdRank> {
    let days = ((until - since).num_seconds().max(0) as f64 / 86_400.0).max(1.0 / 24.0);
    let mut out: Vec<OpdRank> = opds
        .iter()
        .map(|o| {
            let handles: Vec<String> = o
                .accounts
                .iter()
                .map(|a| handle_key(a))
                .filter(|a| !a.is_empty())
                .collect();
            let mine: Vec<&Mention> = posts
                .iter()
                .filter(|m| {
                    m.author
                        .handle
                        .as_deref()
                        .is_some_and(|h| handles.contains(&handle_key(h)))
                })
                .collect();
            let with_reach: Vec<&Mention> = mine
                .iter()
                .copied()
                .filter(|m| {
                    let x = &m.metrics;
                    x.views.is_some()
                        || x.likes.is_some()
                        || x.shares.is_some()
                        || x.replies.is_some()
                })
                .collect();
            let counted: Vec<u64> = mine.iter().filter_map(|m| m.metrics.replies).collect();
            let theirs: Vec<&CaseTiming> = cases.iter().filter(|c| c.opd == o.id).collect();
            let not_ours = theirs
                .iter()
                .filter(|c| c.status == Status::NotOurs)
                .count() as u64;
            let held: Vec<&CaseTiming> = theirs
                .iter()
                .copied()
                .filter(|c| c.status != Status::NotOurs)
                .collect();
            let answered: Vec<&CaseTiming> = held
                .iter()
                .copied()
                .filter(|c| c.first_response_at.is_some())
                .collect();
            let on_time = answered
                .iter()
                .filter(|c| c.first_response_at.is_some_and(|f| f <= c.due_at))
                .count() as u64;
            let overdue = held
                .iter()
                .filter(|c| c.status == Status::Open && c.due_at < now)
                .count() as u64;
            let mut minutes: Vec<u64> = answered
                .iter()
                .filter_map(|c| {
                    Some((c.first_response_at? - c.posted_at).num_minutes().max(0) as u64)
                })
                .collect();
            minutes.sort_unstable();
            let median = match minutes.len() {
                0 => None,
                n if n % 2 == 1 => Some(minutes[n / 2]),
                n => Some((minutes[n / 2 - 1] + minutes[n / 2]) / 2),
            };
            let n_held = held.len() as u64;
            let share = |k: u64| (n_held > 0).then(|| k as f64 / n_held as f64);
            let activity =
                (!handles.is_empty()).then(|| (mine.len() as f64 / days / POSTS_PER_DAY).min(1.0));
            let share_answered = share(answered.len() as u64);
            let share_on_time = share(on_time);
            let parts = [
                (WEIGHTS.answered, share_answered),
                (WEIGHTS.on_time, share_on_time),
                (WEIGHTS.activity, activity),
            ];
            let weight: f64 = parts
                .iter()
                .filter(|(_, v)| v.is_some())
                .map(|(w, _)| w)
                .sum();
            let score = (weight > 0.0).then(|| {
                let sum: f64 = parts.iter().filter_map(|(w, v)| Some(w * (*v)?)).sum();
                round(100.0 * sum / weight, 1)
            });
            OpdRank {
                rank: None,
                opd: o.id.clone(),
                name: o.name.clone(),
                accounts: o.accounts.clone(),
                posts: mine.len() as u64,
                replies: mine.iter().filter(|m| m.in_reply_to.is_some()).count() as u64,
                posts_with_reach: with_reach.len() as u64,
                reach: (!with_reach.is_empty())
                    .then(|| with_reach.iter().map(|m| m.metrics.reach()).sum()),
                comments: (!counted.is_empty()).then(|| counted.iter().sum()),
                complaints: theirs.len() as u64,
                not_ours,
                answered: answered.len() as u64,
                answered_on_time: on_time,
                overdue,
                share_answered: share_answered.map(|x| round(x, 4)),
                share_on_time: share_on_time.map(|x| round(x, 4)),
                median_response_minutes: median,
                activity: activity.map(|x| round(x, 4)),
                score,
            }
        })
        .collect();
    // The best score first; then more answered, faster, then by id: the same order every time.
    out.sort_by(|a, b| {
        let s = |r: &OpdRank| r.score.unwrap_or(-1.0);
        s(b).total_cmp(&s(a))
            .then(
                b.share_answered
                    .unwrap_or(-1.0)
                    .total_cmp(&a.share_answered.unwrap_or(-1.0)),
            )
            .then(
                a.median_response_minutes
                    .unwrap_or(u64::MAX)
                    .cmp(&b.median_response_minutes.unwrap_or(u64::MAX)),
            )
            .then(a.opd.cmp(&b.opd))
    });
    let mut last: Option<(f64, u32)> = None;
    for (i, r) in out.iter_mut().enumerate() {
        let Some(s) = r.score else { continue };
        let n = match last {
            Some((p, n)) if p == s => n,
            _ => i as u32 + 1,
        };
        r.rank = Some(n);
        last = Some((s, n));
    }
    out
}

/// The OPDs of the server's watch profiles.
pub fn opds(st: &AppState) -> Vec<Opd> {
    st.profiles
        .get()
        .iter()
        .map(|p| Opd {
            id: p.id.clone(),
            name: p.name.clone(),
            accounts: p.accounts.clone(),
        })
        .collect()
}

/// The audit action recording an OPD's official accounts.
pub const AUDIT_ACTION: &str = "profile.accounts";
/// Who records it: the configuration as the server read it at start.
pub const AUDIT_ACTOR: &str = "config";

/// `accounts` as the audit log writes them: `@handle`, lowercased, sorted, once each; `–` for
/// none.
pub fn account_list(accounts: &[String]) -> String {
    let mut hs: Vec<String> = accounts
        .iter()
        .map(|a| handle_key(a))
        .filter(|a| !a.is_empty())
        .map(|a| format!("@{a}"))
        .collect();
    hs.sort();
    hs.dedup();
    if hs.is_empty() {
        "–".into()
    } else {
        hs.join(", ")
    }
}

/// Records in the audit log each OPD whose official accounts differ from the last list the log
/// holds for it (action `profile.accounts`, actor `config`, target the profile id, detail the
/// new list and the one before): a handover of an OPD's accounts on staff rotation is a change
/// of its profile file, and this puts it in the audit log when a server first reads it. An OPD
/// the log has never seen is recorded with `(first recorded)`. Returns how many were recorded.
pub fn audit_account_changes(
    auth: &simak_auth::AuthStore,
    opds: &[Opd],
) -> Result<usize, simak_auth::AuthError> {
    let mut n = 0;
    for o in opds {
        let now = account_list(&o.accounts);
        let before = auth.last_audit(AUDIT_ACTION, &o.id)?.map(|e| {
            // The detail is `<list> (was: <list>)` or `<list> (first recorded)`.
            e.detail.split(" (").next().unwrap_or_default().to_string()
        });
        let detail = match before {
            Some(b) if b == now => continue,
            Some(b) => format!("{now} (was: {b})"),
            None => format!("{now} (first recorded)"),
        };
        auth.audit(AUDIT_ACTOR, AUDIT_ACTION, &o.id, &detail)?;
        n += 1;
    }
    Ok(n)
}

/// The OPDs ranked by how their own accounts post and how they answer complaints over a period
/// (default the last 30 days): posts, reach and comments where the platform gives them,
/// complaints received, share answered (within target), median time to the first answer, and a
/// score (see the README, "The OPDs' own accounts"). Every account sees every OPD: it is the
/// regency's public ranking and holds counts only.
#[utoipa::path(get, path = "/api/accounts/ranking", operation_id = "accounts_ranking", params(RankingParams), responses(
    (status = 200, description = "The OPDs ranked", body = Ranking),
    (status = 400), (status = 401), (status = 500),
))]
pub async fn ranking(
    State(st): State<AppState>,
    _caller: Caller,
    ApiQuery(p): ApiQuery<RankingParams>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let time = |name: &str, v: &Option<String>| -> Result<_, ApiError> {
        match v.as_deref() {
            None => Ok(None),
            Some(s) => simak_core::time::parse_time(s, now)
                .map(Some)
                .map_err(|e| ApiError::bad_request(format!("{name}: {e}"))),
        }
    };
    let until = time("until", &p.until)?.unwrap_or(now);
    let since = time("since", &p.since)?.unwrap_or(until - Duration::days(DEFAULT_DAYS));
    let opds = opds(&st);
    let handles: Vec<String> = opds.iter().flat_map(|o| o.accounts.clone()).collect();
    let (searcher, review) = (st.searcher.clone(), st.review.clone());
    let opds = tokio::task::spawn_blocking(move || -> Result<Vec<OpdRank>, ApiError> {
        let mut posts = Vec::new();
        searcher
            .by_authors(&handles, since, until, &mut |m| posts.push(m))
            .map_err(|e| ApiError::internal("the official accounts' posts", e))?;
        let cases = if since < until {
            review
                .complaint_timings(since, until)
                .map_err(|e| ApiError::internal("the complaint cases", e))?
        } else {
            Vec::new()
        };
        Ok(rank(&opds, &posts, &cases, since, until, Utc::now()))
    })
    .await
    .map_err(|e| ApiError::internal("the ranking", e))??;
    Ok(Json(Ranking {
        since,
        until,
        weights: WEIGHTS,
        opds,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn opd(id: &str, accounts: &[&str]) -> Opd {
        Opd {
            id: id.into(),
            name: format!("Dinas {id}"),
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn post(handle: &str, at: &str, views: Option<u64>, replies: Option<u64>) -> Mention {
        let mut m: Mention = serde_json::from_value(serde_json::json!({
            "id": format!("x:{handle}{at}"), "source": "x", "text": "info",
            "author": {"handle": handle}, "published_at": at, "fetched_at": at,
        }))
        .unwrap();
        m.metrics.views = views;
        m.metrics.replies = replies;
        m
    }

    /// A case posted at `posted` hours into the period, due `target` hours later, answered after
    /// `answer` hours.
    fn case(
        opd: &str,
        status: Status,
        posted: i64,
        target: i64,
        answer: Option<i64>,
    ) -> CaseTiming {
        let p = t("2026-11-01T00:00:00Z") + Duration::hours(posted);
        CaseTiming {
            opd: opd.into(),
            status,
            posted_at: p,
            due_at: p + Duration::hours(target),
            first_response_at: answer.map(|a| p + Duration::hours(a)),
        }
    }

    const SINCE: &str = "2026-11-01T00:00:00Z";
    const UNTIL: &str = "2026-11-11T00:00:00Z";
    const NOW: &str = "2026-11-12T00:00:00Z";

    fn ranked(opds: &[Opd], posts: &[Mention], cases: &[CaseTiming]) -> Vec<OpdRank> {
        rank(opds, posts, cases, t(SINCE), t(UNTIL), t(NOW))
    }

    #[test]
    fn figures_per_opd_from_its_accounts_and_its_cases() {
        let opds = [
            opd("pu", &["@PU_Kab", "pu_air"]),
            opd("dinkes", &["@dinkes"]),
        ];
        let mut reply = post("pu_kab", "2026-11-02T00:00:00Z", None, None);
        reply.in_reply_to = Some("x:1".into());
        let posts = [
            post("@pu_kab", "2026-11-01T01:00:00Z", Some(100), Some(4)),
            post("PU_AIR", "2026-11-01T02:00:00Z", None, Some(2)),
            reply,
            post("dinkes", "2026-11-03T00:00:00Z", Some(50), None),
            post("someone", "2026-11-03T00:00:00Z", Some(9999), Some(9)),
        ];
        let cases = [
            case("pu", Status::Answered, 0, 48, Some(10)),
            case("pu", Status::Resolved, 1, 48, Some(60)),
            case("pu", Status::Open, 2, 48, None),
            case("pu", Status::NotOurs, 3, 48, None),
            case("dinkes", Status::Open, 200, 24, None),
        ];
        let r = ranked(&opds, &posts, &cases);
        let pu = r.iter().find(|x| x.opd == "pu").unwrap();
        assert_eq!(
            (
                pu.posts,
                pu.replies,
                pu.posts_with_reach,
                pu.reach,
                pu.comments
            ),
            (3, 1, 2, Some(100 + 2), Some(6))
        );
        assert_eq!(
            (
                pu.complaints,
                pu.not_ours,
                pu.answered,
                pu.answered_on_time,
                pu.overdue
            ),
            (4, 1, 2, 1, 1)
        );
        assert_eq!(pu.share_answered, Some(0.6667));
        assert_eq!(pu.share_on_time, Some(0.3333));
        // 10 h and 60 h: the median of two is their mean.
        assert_eq!(pu.median_response_minutes, Some(35 * 60));
        // 3 posts in 10 days.
        assert_eq!(pu.activity, Some(0.3));
        // (50 · 2/3 + 30 · 1/3 + 20 · 0.3) / 100.
        assert_eq!(pu.score, Some(49.3));
        let dk = r.iter().find(|x| x.opd == "dinkes").unwrap();
        assert_eq!((dk.posts, dk.reach, dk.comments), (1, Some(50), None));
        assert_eq!((dk.complaints, dk.answered, dk.overdue), (1, 0, 1));
        assert_eq!(dk.median_response_minutes, None);
        assert_eq!(dk.score, Some(2.0));
        assert_eq!(
            r.iter()
                .map(|x| (x.opd.as_str(), x.rank))
                .collect::<Vec<_>>(),
            [("pu", Some(1)), ("dinkes", Some(2))]
        );
    }

    #[test]
    fn a_part_without_data_is_left_out_of_the_score() {
        let opds = [
            opd("quiet", &["@quiet"]),
            opd("no_accounts", &[]),
            opd("nothing", &[]),
        ];
        // Ten posts in ten days: full activity; no complaint.
        let posts: Vec<Mention> = (1..=10)
            .map(|d| post("quiet", &format!("2026-11-{d:02}T08:00:00Z"), None, None))
            .collect();
        let cases = [case("no_accounts", Status::Answered, 0, 24, Some(30))];
        let r = ranked(&opds, &posts, &cases);
        let by = |id: &str| r.iter().find(|x| x.opd == id).unwrap().clone();
        let q = by("quiet");
        assert_eq!(
            (q.activity, q.share_answered, q.score),
            (Some(1.0), None, Some(100.0))
        );
        // Answered every case, but late: answered 50 of 80.
        let n = by("no_accounts");
        assert_eq!(
            (n.activity, n.share_answered, n.share_on_time),
            (None, Some(1.0), Some(0.0))
        );
        assert_eq!(n.score, Some(62.5));
        assert_eq!((n.posts, n.reach, n.comments), (0, None, None));
        let z = by("nothing");
        assert_eq!((z.score, z.rank), (None, None));
        assert_eq!(r.last().unwrap().opd, "nothing", "unscored last");
        assert_eq!((q.rank, n.rank), (Some(1), Some(2)));
    }

    #[test]
    fn equal_scores_share_a_rank_and_the_order_is_stable() {
        let opds = [opd("b", &["@b"]), opd("a", &["@a"]), opd("c", &["@c"])];
        let posts = [
            post("a", "2026-11-02T00:00:00Z", None, None),
            post("b", "2026-11-02T00:00:00Z", None, None),
            post("c", "2026-11-02T00:00:00Z", None, None),
            post("c", "2026-11-03T00:00:00Z", None, None),
        ];
        let r = ranked(&opds, &posts, &[]);
        assert_eq!(
            r.iter()
                .map(|x| (x.opd.as_str(), x.rank))
                .collect::<Vec<_>>(),
            [("c", Some(1)), ("a", Some(2)), ("b", Some(2))]
        );
        assert_eq!(r, ranked(&opds, &posts, &[]));
    }

    #[test]
    fn a_change_of_an_opds_accounts_goes_into_the_audit_log_once() {
        let dir = tempfile::tempdir().unwrap();
        let auth = simak_auth::AuthStore::open(&dir.path().join("accounts.sqlite")).unwrap();
        let first = [opd("pu", &["@PU_Kab", "pu_air"]), opd("dinkes", &[])];
        assert_eq!(audit_account_changes(&auth, &first).unwrap(), 2);
        // The same lists, written differently: nothing new.
        let same = [
            opd("pu", &["pu_air", "pu_kab", "@pu_kab"]),
            opd("dinkes", &[" "]),
        ];
        assert_eq!(audit_account_changes(&auth, &same).unwrap(), 0);
        // The public works office hands @pu_air over to a new account.
        let handover = [opd("pu", &["@pu_kab", "@pu_air_baru"]), opd("dinkes", &[])];
        assert_eq!(audit_account_changes(&auth, &handover).unwrap(), 1);
        assert_eq!(audit_account_changes(&auth, &handover).unwrap(), 0);
        let log: Vec<(String, String, String, String)> = auth
            .audit_log(10)
            .unwrap()
            .into_iter()
            .filter(|e| e.action == AUDIT_ACTION)
            .map(|e| (e.actor, e.action, e.target, e.detail))
            .collect();
        let e = |t: &str, d: &str| {
            (
                "config".to_string(),
                "profile.accounts".to_string(),
                t.to_string(),
                d.to_string(),
            )
        };
        assert_eq!(
            log,
            [
                e("pu", "@pu_air_baru, @pu_kab (was: @pu_air, @pu_kab)"),
                e("dinkes", "– (first recorded)"),
                e("pu", "@pu_air, @pu_kab (first recorded)"),
            ]
        );
    }

    #[test]
    fn an_empty_period_scores_nothing_but_activity_zero() {
        let opds = [opd("a", &["@a"])];
        let posts = [post("a", "2026-11-02T00:00:00Z", None, None)];
        let r = rank(&opds, &[], &[], t(UNTIL), t(SINCE), t(NOW));
        assert_eq!(
            (r[0].posts, r[0].activity, r[0].score),
            (0, Some(0.0), Some(0.0))
        );
        // Activity is capped at full marks, however short the period.
        let r = rank(
            &opds,
            &posts,
            &[],
            t(SINCE),
            t(SINCE) + Duration::hours(1),
            t(NOW),
        );
        assert_eq!(r[0].activity, Some(1.0));
    }
}
