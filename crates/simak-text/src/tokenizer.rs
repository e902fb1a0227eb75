//! The analyzer as tantivy tokenizers.

use crate::analyzer::{analyzed, Options};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Tokens longer than this (in bytes) are dropped: they are junk, not words.
const MAX_TOKEN: usize = 100;

/// A tantivy tokenizer running [`analyze`] with fixed [`Options`].
#[derive(Clone, Debug)]
pub struct SimakTokenizer {
    opts: Options,
}

impl SimakTokenizer {
    /// A tokenizer with `opts`.
    pub fn new(opts: Options) -> SimakTokenizer {
        SimakTokenizer { opts }
    }
}

/// The tokens of one text.
pub struct SimakTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for SimakTokenizer {
    type TokenStream<'a> = SimakTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SimakTokenStream {
        // A document's search and exact fields hold the same text: it is scanned once.
        let tokens = analyzed(text, self.opts)
            .iter()
            .filter(|t| t.text.len() <= MAX_TOKEN)
            .map(|t| Token {
                offset_from: t.offset_from,
                offset_to: t.offset_to,
                position: t.position,
                text: t.text.clone(),
                position_length: 1,
            })
            .collect();
        SimakTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for SimakTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}
