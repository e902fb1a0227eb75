//! Each text is analyzed once per mention and shared by the enrichers
//! ([`simak_text::analyzed`]): what they read from the shared analysis is what they read from
//! their own.

use simak_analyze::factcheck::{view, view_from_tokens, FactCheckBase};
use simak_analyze::hoax_eval::TestSet;
use simak_text::{analyze, analyzed, Options};

fn texts() -> Vec<String> {
    let mut out: Vec<String> = simak_analyze::sentiment::SMSA_TEST
        .lines()
        .filter_map(|l| l.split('\t').next())
        .map(str::to_string)
        .collect();
    out.extend(TestSet::shipped().posts.into_iter().map(|p| p.text));
    assert!(out.len() > 500);
    out
}

#[test]
fn shared_tokens_are_the_tokens_of_each_option_set() {
    let all = [Options::FEATURES, Options::SEARCH, Options::EXACT];
    for (i, t) in texts().iter().enumerate() {
        // In another order for each text, and each asked twice.
        for k in 0..6 {
            let o = all[(i + k) % 3];
            assert_eq!(*analyzed(t, o), analyze(t, o), "{t:?} {o:?}");
        }
    }
}

#[test]
fn the_view_from_shared_tokens_is_the_view() {
    let set = TestSet::shipped();
    let kb = FactCheckBase::new(set.factchecks);
    for t in texts() {
        let own = view(&t);
        let shared = view_from_tokens(&t, &analyzed(&t, Options::FEATURES));
        assert_eq!(own.words(), shared.words(), "{t:?}");
        for w in own.words() {
            let stem = simak_text::analyzer::stem(w);
            assert_eq!(own.surface_of(&stem), shared.surface_of(&stem), "{t:?}");
        }
        assert_eq!(kb.matches(&own, 5), kb.matches(&shared, 5), "{t:?}");
    }
}
