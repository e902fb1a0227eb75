//! Text analysis shared by the index and the classifiers: language detection and the tantivy
//! tokenizers Simak registers.
#![warn(missing_docs)]

use std::sync::OnceLock;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use whatlang::{Detector, Lang};

/// Name of the tokenizer used for mention text and titles.
pub const TOKENIZER: &str = "simak";

/// Languages Simak tells apart; anything else is `other`.
const LANGS: &[(Lang, &str)] = &[(Lang::Ind, "id"), (Lang::Eng, "en"), (Lang::Jav, "jv")];

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| Detector::with_allowlist(LANGS.iter().map(|(l, _)| *l).collect()))
}

/// Detects the language of `text`: an ISO 639-1 code (`id`, `en`, `jv`) or `other`.
/// Malay is reported as Indonesian.
pub fn detect_language(text: &str) -> &'static str {
    match detector().detect_lang(text) {
        Some(lang) => LANGS
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, code)| *code)
            .unwrap_or("other"),
        None => "other",
    }
}

/// The analyzer for mention text: words split on non-alphanumerics, lowercased, folded to ASCII.
pub fn text_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers Simak's tokenizers on `index`.
pub fn register_tokenizers(index: &tantivy::Index) {
    index.tokenizers().register(TOKENIZER, text_analyzer());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_indonesian_and_english() {
        assert_eq!(
            detect_language("Pelayanan di kantor kecamatan sangat lambat dan petugasnya tidak ramah sama sekali"),
            "id"
        );
        assert_eq!(
            detect_language("The regional government announced a new flood relief programme today"),
            "en"
        );
    }

    #[test]
    fn analyzer_lowercases_and_folds() {
        let mut a = text_analyzer();
        let mut s = a.token_stream("Pemkab BANDUNG café");
        let mut toks = Vec::new();
        while let Some(t) = s.next() {
            toks.push(t.text.clone());
        }
        assert_eq!(toks, ["pemkab", "bandung", "cafe"]);
    }
}
