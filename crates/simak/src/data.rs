//! Generated and corpus data shared by the benches and the demo: a deterministic xorshift
//! sequence and the texts of a `text<TAB>label` corpus.

use anyhow::{bail, Context, Result};
use std::io::BufRead;
use std::path::Path;

/// A deterministic xorshift64 sequence, the same in every run, for generated bench data.
pub(crate) fn xorshift() -> impl FnMut() -> u64 {
    xorshift_from(0x9E37_79B9_7F4A_7C15)
}

/// The xorshift64 sequence from `seed` (not zero).
pub(crate) fn xorshift_from(seed: u64) -> impl FnMut() -> u64 {
    let mut rng = seed;
    move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    }
}

pub(crate) fn corpus_texts(path: &Path) -> Result<Vec<String>> {
    let f = std::fs::File::open(path)
        .with_context(|| format!("cannot open the corpus {} (pass --corpus)", path.display()))?;
    let texts: Vec<String> = std::io::BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| l.rsplit_once('\t').map(|(t, _)| t.to_string()))
        .filter(|t| !t.is_empty())
        .collect();
    if texts.is_empty() {
        bail!("the corpus {} has no texts", path.display());
    }
    Ok(texts)
}
