//! Routing accuracy: the complaint analysis (the shipped model and the gazetteer) and the router,
//! end to end, on `data/routing/routing.tsv` (posts written for the project, each with the OPD
//! that should answer it) under the routing table `data/routing/opds.toml`.
//!
//! `cargo test -p simak-review --test routing_eval -- --nocapture` prints the figures: accuracy
//! over every post (a post that opens no case counts as wrong), accuracy over the posts that open
//! a case, per OPD, and the baseline of sending everything to the fallback.

use simak_analyze::complaint::{ComplaintModel, ComplaintOf, Gazetteer};
use simak_analyze::profiles::WatchProfile;
use simak_review::complaints::Router;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(serde::Deserialize)]
struct Table {
    profile: Vec<WatchProfile>,
}

const NO_CASE: &str = "(no case)";

#[test]
fn routing_accuracy_on_the_labelled_set() {
    let table: Table = toml::from_str(include_str!("../data/routing/opds.toml")).unwrap();
    let router = Router::new(table.profile.iter()).unwrap();
    let gazetteer = Gazetteer::parse(include_str!("../../../config/gazetteer.toml")).unwrap();
    router.check_places(&gazetteer).unwrap();
    let analysis = ComplaintOf {
        model: ComplaintModel::shipped_arc().clone(),
        gazetteer: Arc::new(gazetteer),
    };
    let rows: Vec<(&str, &str)> = include_str!("../data/routing/routing.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_once('\t').expect("text<TAB>opd"))
        .collect();
    assert!(rows.len() >= 200, "{} posts", rows.len());
    for (_, want) in &rows {
        assert!(router.knows(want), "{want} is not in opds.toml");
    }
    // Per expected OPD: (posts, right, opened a case).
    let mut per: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut confusion: BTreeMap<(&str, String), usize> = BTreeMap::new();
    let (mut right, mut opened, mut right_opened, mut fallback) = (0, 0, 0, 0);
    for (text, want) in &rows {
        let c = analysis.complaint(text);
        let got = if c.kind.has_category() {
            router
                .route(&c)
                .map_or(NO_CASE.to_string(), |r| r.opd.clone())
        } else {
            NO_CASE.to_string()
        };
        let e = per.entry(want).or_default();
        e.0 += 1;
        if got != NO_CASE {
            opened += 1;
            e.2 += 1;
        }
        if got == *want {
            right += 1;
            e.1 += 1;
            if got != NO_CASE {
                right_opened += 1;
            }
        } else {
            *confusion.entry((want, got)).or_default() += 1;
        }
        if *want == "pemkab-sukamaju" {
            fallback += 1;
        }
    }
    let n = rows.len();
    let acc = right as f64 / n as f64;
    println!(
        "ROUTING posts={n} accuracy={acc:.3} ({right}/{n}; a post opening no case is wrong) \
         opened={opened} accuracy_when_opened={:.3} ({right_opened}/{opened}) \
         baseline_all_to_fallback={:.3}",
        right_opened as f64 / opened.max(1) as f64,
        fallback as f64 / n as f64
    );
    for (opd, (posts, ok, open)) in &per {
        println!(
            "ROUTING {opd:<22} posts={posts:>3} right={ok:>3} recall={:.2} opened={open}",
            *ok as f64 / *posts as f64
        );
    }
    let mut worst: Vec<_> = confusion.into_iter().collect();
    worst.sort_by_key(|w| std::cmp::Reverse(w.1));
    for ((want, got), k) in worst.iter().take(8) {
        println!("ROUTING confused {want} -> {got}: {k}");
    }
    // A floor under the figure measured when the set was written (0.715 over every post, 0.795
    // over those that open a case, with the complaint model of that day), so that a change that
    // makes routing clearly worse fails here. Most misses are the model's category (a PKL on the
    // pavement read as roads, not security) or a post it reads as no complaint at all.
    assert!(acc >= 0.68, "routing accuracy {acc:.3}");
}
