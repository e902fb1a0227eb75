//! Indonesian text analysis shared by the index and every classifier: the analyzer
//! ([`analyzer`]), its tantivy tokenizers ([`tokenizer`]), and language detection ([`lang`]).
#![warn(missing_docs)]

pub mod analyzer;
pub mod lang;
pub mod tokenizer;

pub use analyzer::{analyze, analyzed, Options, Token, TokenKind};
pub use lang::detect_language;

/// Tokenizer of the search fields: the full analyzer (slang, stop words, stemming).
pub const TOKENIZER: &str = "simak";
/// Tokenizer of the exact-phrase fields: lowercased tokens only.
pub const EXACT_TOKENIZER: &str = "simak_exact";

/// Registers Simak's tokenizers on `index`.
pub fn register_tokenizers(index: &tantivy::Index) {
    let t = index.tokenizers();
    t.register(
        TOKENIZER,
        tantivy::tokenizer::TextAnalyzer::from(tokenizer::SimakTokenizer::new(Options::SEARCH)),
    );
    t.register(
        EXACT_TOKENIZER,
        tantivy::tokenizer::TextAnalyzer::from(tokenizer::SimakTokenizer::new(Options::EXACT)),
    );
}
