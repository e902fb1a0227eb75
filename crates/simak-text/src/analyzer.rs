//! The Indonesian analyzer: one pipeline for the index and every classifier.
//!
//! 1. Unicode NFKC normalization and lowercasing (full-width letters, ligatures, `Ｐｅｍｋａｂ` →
//!    `pemkab`).
//! 2. Tokens that mean something on social media are kept whole: URLs (as their host,
//!    `detik.com`), `@mentions`, `#hashtags` (and the bare word too, so `banjir` finds
//!    `#banjir`), numbers (`2.500`, `3,5`), and emoji (each one a token).
//! 3. Letters repeated three times or more are folded (`bangeeet` → `banget`, `kerennn` →
//!    `keren`); doubles stay (`maaf`, `saat`). Digits written for letters inside a word, as
//!    clickbait does to slip past filters, are read as the letters (`J0K0WI` → `jokowi`,
//!    `PENJAR4` → `penjara`; see [`unleet`]).
//! 4. Slang and informal spellings are normalized with the IndoCollex dictionary
//!    (`gak`, `ga`, `nggak` → `tidak`; `yg` → `yang`).
//! 5. Stop words are dropped (Stopwords-ISO), except the negators (`tidak`, `bukan`, `tak`,
//!    `belum`, `jangan`, `kurang`, `tanpa`), which carry meaning for search and sentiment.
//!    Positions keep the gap, so phrase distances stay true.
//! 6. Words are stemmed with the Snowball Indonesian stemmer (`pelayanan` → `layan`).
//!
//! [`Options`] turns steps 3–6 on or off: the index's exact fields use only 1–2, so a phrase
//! in quotes matches exactly that phrase.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A word.
    Word,
    /// A number.
    Number,
    /// A URL, as its host.
    Url,
    /// `@handle`.
    Mention,
    /// `#tag`.
    Hashtag,
    /// One emoji.
    Emoji,
}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token's text after analysis.
    pub text: String,
    /// Its kind.
    pub kind: TokenKind,
    /// Position (word count); several tokens may share one.
    pub position: usize,
    /// Byte range in the original text.
    pub offset_from: usize,
    /// End of the byte range.
    pub offset_to: usize,
}

/// Which steps run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Fold letters repeated three times or more.
    pub fold_repeats: bool,
    /// Normalize slang with IndoCollex.
    pub slang: bool,
    /// Drop stop words (never the negators).
    pub stopwords: bool,
    /// Stem with the Snowball Indonesian stemmer.
    pub stem: bool,
}

impl Options {
    /// Everything on: the search fields.
    pub const SEARCH: Options = Options {
        fold_repeats: true,
        slang: true,
        stopwords: true,
        stem: true,
    };
    /// Lowercased tokens only: the exact-phrase fields.
    pub const EXACT: Options = Options {
        fold_repeats: false,
        slang: false,
        stopwords: false,
        stem: false,
    };
    /// Normalized words, stop words kept, no stemming: the classifiers' features.
    pub const FEATURES: Options = Options {
        fold_repeats: true,
        slang: true,
        stopwords: false,
        stem: false,
    };
}

/// Negators: never dropped as stop words.
pub const NEGATORS: &[&str] = &[
    "tidak", "bukan", "tak", "belum", "jangan", "kurang", "tanpa",
];

struct Lexicons {
    slang: HashMap<&'static str, Vec<&'static str>>,
    stop: HashSet<&'static str>,
    stemmer: frostem::Stemmer,
}

fn lexicons() -> &'static Lexicons {
    static L: OnceLock<Lexicons> = OnceLock::new();
    L.get_or_init(|| {
        let mut slang = HashMap::new();
        for line in include_str!("../data/indocollex.tsv").lines().skip(1) {
            if let Some((informal, formal)) = line.split_once('\t') {
                let formal: Vec<&'static str> = formal.split_whitespace().collect();
                if !informal.is_empty() && !formal.is_empty() && informal != formal.join(" ") {
                    slang.insert(informal, formal);
                }
            }
        }
        let stop = include_str!("../data/stopwords-id.txt")
            .lines()
            .map(str::trim)
            .filter(|w| !w.is_empty() && !NEGATORS.contains(w))
            .collect();
        Lexicons {
            slang,
            stop,
            stemmer: frostem::Stemmer::new(frostem::Algorithm::Indonesian),
        }
    })
}

/// The formal form(s) of an informal word, if IndoCollex has one.
pub fn formal(word: &str) -> Option<&'static [&'static str]> {
    lexicons().slang.get(word).map(Vec::as_slice)
}

/// Whether `word` is a stop word (negators never are).
pub fn is_stopword(word: &str) -> bool {
    lexicons().stop.contains(word)
}

/// The Snowball Indonesian stem of a lowercase word.
pub fn stem(word: &str) -> String {
    lexicons().stemmer.stem(word).into_owned()
}

/// Folds runs of three or more identical letters to one (`bangeeet` → `banget`).
pub fn fold_repeats(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut j = i;
        while j < chars.len() && chars[j] == c {
            j += 1;
        }
        let run = j - i;
        let keep = if run >= 3 && c.is_alphabetic() {
            1
        } else {
            run
        };
        for _ in 0..keep {
            out.push(c);
        }
        i = j;
    }
    out
}

/// The letter a digit stands for inside a word (`0` o, `1` i, `3` e, `4` a, `5` s, `7` t).
fn leet_letter(d: u8) -> Option<char> {
    match d {
        b'0' => Some('o'),
        b'1' => Some('i'),
        b'3' => Some('e'),
        b'4' => Some('a'),
        b'5' => Some('s'),
        b'7' => Some('t'),
        _ => None,
    }
}

/// Reads digits written for letters as the letters, in a lowercase word: a digit between two
/// letters (`j0k0wi` → `jokowi`, `p3milu` → `pemilu`), or a final `0`, `3` or `4` after three
/// letters or more (`penjar4` → `penjara`). The word is left alone when it has fewer than three
/// letters, two digits in a row or a digit no letter is written as (`covid19`, `ps4`, `hati2`,
/// `trans7`, `g20`), so numbers, codes and reduplication keep their meaning.
pub fn unleet(word: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let b = word.as_bytes();
    if !b.iter().any(u8::is_ascii_digit) {
        return Cow::Borrowed(word);
    }
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    let digit_pair = b
        .windows(2)
        .any(|w| w[0].is_ascii_digit() && w[1].is_ascii_digit());
    if letters < 3
        || digit_pair
        || b.iter()
            .any(|d| d.is_ascii_digit() && leet_letter(*d).is_none())
    {
        return Cow::Borrowed(word);
    }
    let letter = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_alphabetic());
    let mut out = String::with_capacity(word.len());
    let mut changed = false;
    for (i, c) in word.char_indices() {
        let d = c as u32;
        let mapped = if c.is_ascii_digit() {
            let inside = i > 0 && letter(i - 1) && letter(i + 1);
            let last = i + 1 == b.len() && i > 0 && letter(i - 1) && matches!(c, '0' | '3' | '4');
            (inside || last).then(|| leet_letter(d as u8)).flatten()
        } else {
            None
        };
        match mapped {
            Some(l) => {
                out.push(l);
                changed = true;
            }
            None => out.push(c),
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(word)
    }
}

/// Whether `c` is an emoji pictograph (not a modifier or joiner).
pub fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F300..=0x1F5FF | 0x1F600..=0x1F64F | 0x1F680..=0x1F6FF | 0x1F900..=0x1F9FF
        | 0x1FA70..=0x1FAFF | 0x2600..=0x26FF | 0x2700..=0x27BF | 0x1F1E6..=0x1F1FF
        | 0x1F004 | 0x1F0CF | 0x2B50 | 0x2B55)
}

fn is_url_terminator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '<' | '>' | '`')
}

/// Raw tokens of normalized text: (kind, text, byte range in `s`).
fn scan(s: &str) -> Vec<(TokenKind, String, usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let c = rest.chars().next().expect("non-empty");
        if rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("www.") {
            let end = rest.find(is_url_terminator).unwrap_or(rest.len());
            let url =
                rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '}', '\'']);
            let host = url
                .split_once("://")
                .map_or(url, |(_, r)| r)
                .split(['/', '?', '#'])
                .next()
                .unwrap_or("")
                .trim_start_matches("www.");
            if !host.is_empty() {
                out.push((TokenKind::Url, host.to_string(), i, i + url.len()));
            }
            i += url.len().max(1);
            continue;
        }
        if c == '@' || c == '#' {
            let body = &rest[1..];
            let end = body
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || (c == '@' && ch == '.')))
                .unwrap_or(body.len());
            let name = body[..end].trim_end_matches('.');
            if !name.is_empty() {
                let kind = if c == '@' {
                    TokenKind::Mention
                } else {
                    TokenKind::Hashtag
                };
                out.push((kind, format!("{c}{name}"), i, i + 1 + name.len()));
                i += 1 + name.len();
                continue;
            }
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let mut end = 0;
            let rb = rest.as_bytes();
            while end < rb.len()
                && (rb[end].is_ascii_digit()
                    || ((rb[end] == b'.' || rb[end] == b',')
                        && end + 1 < rb.len()
                        && rb[end + 1].is_ascii_digit()))
            {
                end += 1;
            }
            // Digits glued to letters (k212, covid19, 2x) are one word.
            let tail = rest[end..].chars().next();
            if tail.is_some_and(|t| t.is_alphabetic()) {
                let wend = rest
                    .find(|ch: char| !ch.is_alphanumeric())
                    .unwrap_or(rest.len());
                out.push((TokenKind::Word, rest[..wend].to_string(), i, i + wend));
                i += wend;
            } else {
                out.push((TokenKind::Number, rest[..end].to_string(), i, i + end));
                i += end;
            }
            continue;
        }
        if c.is_alphabetic() {
            let end = rest
                .find(|ch: char| !(ch.is_alphanumeric() || is_mark(ch)))
                .unwrap_or(rest.len());
            out.push((TokenKind::Word, rest[..end].to_string(), i, i + end));
            i += end;
            continue;
        }
        if is_emoji(c) {
            out.push((TokenKind::Emoji, c.to_string(), i, i + c.len_utf8()));
        }
        i += c.len_utf8();
    }
    out
}

fn is_mark(c: char) -> bool {
    // Combining marks that NFKC leaves attached to letters (rare in Indonesian, common in
    // Javanese script transliterations).
    matches!(c as u32, 0x0300..=0x036F)
}

/// Lowercased NFKC form of `text`.
pub fn normalize(text: &str) -> String {
    if text.is_ascii() {
        // NFKC is the identity on ASCII.
        return text.to_ascii_lowercase();
    }
    text.nfkc().flat_map(char::to_lowercase).collect()
}

/// Analyzes `text` with `opts`. Byte offsets refer to the normalized text, which has the same
/// length as the original for almost all input (NFKC rarely changes lengths); they are clamped.
pub fn analyze(text: &str, opts: Options) -> Vec<Token> {
    let norm = normalize(text);
    let lex = lexicons();
    let mut out = Vec::new();
    let mut pos = 0usize;
    let clamp = |o: usize| o.min(text.len());
    for (kind, raw, from, to) in scan(&norm) {
        let (from, to) = (clamp(from), clamp(to));
        match kind {
            TokenKind::Word => {
                let w = if opts.fold_repeats {
                    fold_repeats(&unleet(&raw))
                } else {
                    raw
                };
                let words: Vec<String> =
                    match opts.slang.then(|| lex.slang.get(w.as_str())).flatten() {
                        Some(formal) => formal.iter().map(|s| s.to_string()).collect(),
                        None => vec![w],
                    };
                for w in words {
                    if opts.stopwords && lex.stop.contains(w.as_str()) {
                        pos += 1;
                        continue;
                    }
                    let text = if opts.stem {
                        lex.stemmer.stem(&w).into_owned()
                    } else {
                        w
                    };
                    out.push(Token {
                        text,
                        kind,
                        position: pos,
                        offset_from: from,
                        offset_to: to,
                    });
                    pos += 1;
                }
            }
            TokenKind::Hashtag => {
                out.push(Token {
                    text: raw.clone(),
                    kind,
                    position: pos,
                    offset_from: from,
                    offset_to: to,
                });
                let bare = raw.trim_start_matches('#');
                let bare = if opts.fold_repeats {
                    fold_repeats(bare)
                } else {
                    bare.to_string()
                };
                let bare = if opts.stem {
                    lex.stemmer.stem(&bare).into_owned()
                } else {
                    bare
                };
                out.push(Token {
                    text: bare,
                    kind: TokenKind::Word,
                    position: pos,
                    offset_from: from,
                    offset_to: to,
                });
                pos += 1;
            }
            _ => {
                out.push(Token {
                    text: raw,
                    kind,
                    position: pos,
                    offset_from: from,
                    offset_to: to,
                });
                pos += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str, o: Options) -> Vec<String> {
        analyze(s, o).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn slang_negators_find_each_other() {
        for w in ["gak", "ga", "nggak", "tidak", "gk", "tdk", "ngga"] {
            assert_eq!(texts(w, Options::SEARCH), ["tidak"], "{w}");
        }
    }

    #[test]
    fn stems_and_case() {
        assert_eq!(
            texts("Pelayanan", Options::SEARCH),
            texts("layanan", Options::SEARCH)
        );
        assert_eq!(texts("Pemkab", Options::SEARCH), ["pemkab"]);
        assert_eq!(stem("membaca"), "baca");
        assert_eq!(stem("perekonomian"), "ekonomi");
    }

    #[test]
    fn social_tokens_kept() {
        let t = analyze(
            "Cek https://www.Detik.com/berita/123?x=1, @Humas_Pemkab #BanjirSukamaju 2.500 warga 😡😡",
            Options::SEARCH,
        );
        let got: Vec<(&str, TokenKind)> = t.iter().map(|t| (t.text.as_str(), t.kind)).collect();
        assert!(got.contains(&("detik.com", TokenKind::Url)), "{got:?}");
        assert!(
            got.contains(&("@humas_pemkab", TokenKind::Mention)),
            "{got:?}"
        );
        assert!(
            got.contains(&("#banjirsukamaju", TokenKind::Hashtag)),
            "{got:?}"
        );
        assert!(got.contains(&("2.500", TokenKind::Number)), "{got:?}");
        assert_eq!(got.iter().filter(|(t, _)| *t == "😡").count(), 2);
    }

    #[test]
    fn repeats_fold_and_exact_keeps_words() {
        assert_eq!(
            texts("bangeeet kerennn", Options::FEATURES),
            ["banget", "keren"]
        );
        assert_eq!(fold_repeats("maaf"), "maaf");
        assert_eq!(
            texts("Pelayanan yg gak ramah", Options::EXACT),
            ["pelayanan", "yg", "gak", "ramah"]
        );
    }

    #[test]
    fn digits_written_for_letters_are_read_as_letters() {
        assert_eq!(
            texts(
                "J0K0WI PASR4H, masuk PENJAR4 setelah p3milu",
                Options::FEATURES
            ),
            ["jokowi", "pasrah", "masuk", "penjara", "setelah", "pemilu"]
        );
        for keep in [
            "covid19", "ps4", "hati2", "trans7", "g20", "2024", "4g", "mp3", "rp50",
        ] {
            assert_eq!(unleet(keep), keep);
        }
        assert_eq!(unleet("ketu4"), "ketua");
        assert_eq!(unleet("b4ik"), "baik");
        // The exact fields keep what was written.
        assert_eq!(texts("J0K0WI", Options::EXACT), ["j0k0wi"]);
    }

    #[test]
    fn stopwords_dropped_but_negators_and_positions_kept() {
        let t = analyze("jalan yang tidak rusak", Options::SEARCH);
        let got: Vec<(&str, usize)> = t.iter().map(|t| (t.text.as_str(), t.position)).collect();
        assert_eq!(got, [("jalan", 0), ("tidak", 2), ("rusak", 3)]);
    }

    #[test]
    fn nfkc_folds_fullwidth() {
        assert_eq!(texts("ＰＥＭＫＡＢ", Options::EXACT), ["pemkab"]);
    }
}
