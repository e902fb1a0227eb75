//! The learned claim-matching decision: a logistic model over features of a (post, fact-check)
//! pair, and the two thresholds on its probability.
//!
//! The features ([`FEATURES`]) are computed by [`crate::factcheck::FactCheckBase::candidates`]:
//! character 4-gram TF-IDF cosine (survives slang, typos and paraphrase that keeps words),
//! trigram similarity, how much of the claim's IDF-weighted terms the post holds, the same for
//! the claim's *predicate* (terms that are neither topic words of the base, such as the names
//! of the people and institutions many fact-checks are about, nor written as names in the
//! post), how much of the post's own terms the claim explains, how many terms they share,
//! whether the names are all the two share, how distinct the best match is, number
//! agreement, length ratio, a short-post flag and the share of Indonesian stop words (a cheap
//! language signal).
//!
//! `simak train matcher --data FILE` fits the weights on the earlier months of a labelled set
//! of fact-checks and the narratives that spread them (the training and calibration months;
//! the later, reported months are never seen), with mined hard negatives (narratives of
//! *other* fact-checks, whose own fact-check is left out of the base, and ordinary posts). The
//! two thresholds are chosen by target false-flag rates on the negatives of the same months,
//! cross-fitted: the training months' negatives are scored by a matcher fitted on the
//! calibration months only, and the other way round, so no negative is scored by a model that
//! saw it (see [`crate::claim_eval`]). The shipped weights (`models/matcher.json`, compiled in)
//! say what they were fitted on.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Number of features, the bias included.
pub const NFM: usize = 16;

/// The features of a (post, fact-check) pair, in order.
pub const FEATURES: [&str; NFM] = [
    "bias",
    "char_cosine",
    "trigram_similarity",
    "claim_coverage",
    "predicate_coverage",
    "entity_only",
    "shared_predicate_terms",
    "bm25_relative",
    "number_agreement",
    "length_ratio",
    "short_post",
    "stopword_share",
    "cosine_margin",
    "cosine_x_predicate",
    "mention_coverage",
    "shared_terms",
];

/// The shipped matcher (JSON), fitted by `simak train matcher`.
pub const SHIPPED: &str = include_str!("../models/matcher.json");

/// A fitted matcher: weights and the two thresholds on its probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatcherModel {
    /// Feature names (checked against [`FEATURES`] on load).
    pub features: Vec<String>,
    /// One weight per feature.
    pub weights: Vec<f32>,
    /// Probability at which a post is a known hoax (alert).
    pub alert: f32,
    /// Probability at which a match is suggested for review.
    pub suggest: f32,
    /// What the weights and thresholds were fitted on, and how.
    pub fitted_on: String,
    /// The false-flag rates the thresholds were chosen for, and what they gave on the
    /// calibration split.
    #[serde(default)]
    pub calibration: Vec<String>,
}

impl MatcherModel {
    /// Parses and checks a model.
    pub fn parse(json: &str) -> Result<MatcherModel, String> {
        let m: MatcherModel = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if m.features != FEATURES || m.weights.len() != NFM {
            return Err("made for other features; run `simak train matcher` again".into());
        }
        if !(0.0..=1.0).contains(&m.alert) || !(0.0..=1.0).contains(&m.suggest) {
            return Err("thresholds must be in [0, 1]".into());
        }
        Ok(m)
    }

    /// The shipped model.
    pub fn shipped() -> &'static MatcherModel {
        static M: OnceLock<MatcherModel> = OnceLock::new();
        M.get_or_init(|| MatcherModel::parse(SHIPPED).expect("the shipped matcher parses"))
    }

    /// P(the post spreads this claim | features).
    pub fn prob(&self, x: &[f32; NFM]) -> f32 {
        let z: f32 = self.weights.iter().zip(x).map(|(w, v)| w * v).sum();
        1.0 / (1.0 + (-z).exp())
    }

    /// Fits the weights by Newton's method on the log loss with L2 (`l2`, the bias left out);
    /// deterministic. Thresholds are left at 1 (nothing flagged) for the caller to choose.
    pub fn fit(examples: &[([f32; NFM], bool)], l2: f64, fitted_on: String) -> MatcherModel {
        let mut w = [0f64; NFM];
        for _ in 0..50 {
            let mut g = [0f64; NFM];
            let mut h = [[0f64; NFM]; NFM];
            for (x, y) in examples {
                let z: f64 = w.iter().zip(x).map(|(a, b)| a * f64::from(*b)).sum();
                let p = 1.0 / (1.0 + (-z).exp());
                let t = if *y { 1.0 } else { 0.0 };
                let s = (p * (1.0 - p)).max(1e-9);
                for i in 0..NFM {
                    let xi = f64::from(x[i]);
                    g[i] += (p - t) * xi;
                    for j in 0..NFM {
                        h[i][j] += s * xi * f64::from(x[j]);
                    }
                }
            }
            for i in 1..NFM {
                g[i] += l2 * w[i];
                h[i][i] += l2;
            }
            h[0][0] += 1e-9;
            let d = solve(h, g);
            let mut step = 0f64;
            for i in 0..NFM {
                w[i] -= d[i];
                step = step.max(d[i].abs());
            }
            if step < 1e-7 {
                break;
            }
        }
        MatcherModel {
            features: FEATURES.iter().map(|s| s.to_string()).collect(),
            weights: w.iter().map(|v| *v as f32).collect(),
            alert: 1.0,
            suggest: 1.0,
            fitted_on,
            calibration: Vec::new(),
        }
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting (a singular column gives 0).
fn solve(mut a: [[f64; NFM]; NFM], mut b: [f64; NFM]) -> [f64; NFM] {
    for c in 0..NFM {
        let p = (c..NFM)
            .max_by(|i, j| a[*i][c].abs().total_cmp(&a[*j][c].abs()))
            .unwrap_or(c);
        a.swap(c, p);
        b.swap(c, p);
        if a[c][c].abs() < 1e-12 {
            continue;
        }
        let pivot = a[c];
        let bc = b[c];
        for (r, row) in a.iter_mut().enumerate() {
            if r != c {
                let f = row[c] / pivot[c];
                if f != 0.0 {
                    for (x, p) in row.iter_mut().zip(&pivot).skip(c) {
                        *x -= f * p;
                    }
                    b[r] -= f * bc;
                }
            }
        }
    }
    let mut x = [0f64; NFM];
    for i in 0..NFM {
        if a[i][i].abs() >= 1e-12 {
            x[i] = b[i] / a[i][i];
        }
    }
    x
}

/// The lowest threshold (on scores rounded to 0.001, flagged when `score >= threshold`) at which
/// at most `rate` of `scores` are flagged.
pub fn threshold_at_rate(scores: &[f32], rate: f64) -> f32 {
    let mut s: Vec<f32> = scores
        .iter()
        .map(|x| (x * 1000.0).round() / 1000.0)
        .collect();
    s.sort_by(|a, b| b.total_cmp(a));
    let allowed = (rate * s.len() as f64).floor() as usize;
    match s.get(allowed) {
        // Flagging stops just above the first score that must not be flagged.
        Some(&t) => (((t * 1000.0).round() + 1.0) / 1000.0).min(1.0),
        None => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_parses_and_orders_its_thresholds() {
        let m = MatcherModel::shipped();
        assert!(m.suggest <= m.alert, "{m:?}");
        assert!(m.fitted_on.len() > 20, "says what it was fitted on");
        let mut bad = m.clone();
        bad.features.pop();
        let json = serde_json::to_string(&bad).unwrap();
        assert!(MatcherModel::parse(&json)
            .unwrap_err()
            .contains("train matcher"));
    }

    #[test]
    fn fitting_separates_and_is_deterministic() {
        let data: Vec<([f32; NFM], bool)> = (0..400)
            .map(|i| {
                let mut x = [0f32; NFM];
                x[0] = 1.0;
                x[1] = (i % 10) as f32 / 10.0;
                x[5] = f32::from(u8::from(i % 3 == 0));
                // Positive when the cosine is high and names are not all that is shared.
                (x, x[1] >= 0.6 && x[5] == 0.0)
            })
            .collect();
        let m = MatcherModel::fit(&data, 0.01, "test".into());
        assert_eq!(m, MatcherModel::fit(&data, 0.01, "test".into()));
        let right = data
            .iter()
            .filter(|(x, y)| (m.prob(x) >= 0.5) == *y)
            .count();
        assert!(right >= 390, "{right} of 400: {m:?}");
        assert!(m.weights[1] > 0.0 && m.weights[5] < 0.0, "{m:?}");
    }

    #[test]
    fn thresholds_meet_the_target_rate() {
        let scores: Vec<f32> = (0..1000).map(|i| i as f32 / 1000.0).collect();
        let t = threshold_at_rate(&scores, 0.01);
        let flagged = scores.iter().filter(|s| **s >= t).count();
        assert!(flagged <= 10, "{t}: {flagged}");
        assert!(flagged >= 9, "{t}: {flagged}");
        assert_eq!(threshold_at_rate(&[], 0.01), 0.0);
        assert_eq!(threshold_at_rate(&[0.0, 0.0], 0.0), 0.001);
    }
}
