//! The texts of a `text<TAB>label` corpus, which the benches build mentions from.

use anyhow::{bail, Context, Result};
use std::io::BufRead;
use std::path::Path;

/// The texts of a `text<TAB>label` corpus (Indonesian posts to build mentions from).
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
