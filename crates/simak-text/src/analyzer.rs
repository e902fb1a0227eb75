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

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
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

/// Looked up for every word of every text, never iterated: a fast hash, not a DoS-resistant one
/// (the keys are the shipped lexicons', not the input's).
struct Lexicons {
    slang: rustc_hash::FxHashMap<&'static str, Vec<&'static str>>,
    stop: rustc_hash::FxHashSet<&'static str>,
    stemmer: frostem::Stemmer,
}

fn lexicons() -> &'static Lexicons {
    static L: OnceLock<Lexicons> = OnceLock::new();
    L.get_or_init(|| {
        let mut slang = rustc_hash::FxHashMap::default();
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

/// [`fold_repeats`], borrowing `word` when it has no run to fold.
fn fold_repeats_cow(word: &str) -> Cow<'_, str> {
    let b = word.as_bytes();
    if word.is_ascii()
        && !b
            .windows(3)
            .any(|w| w[0] == w[1] && w[1] == w[2] && w[0].is_ascii_alphabetic())
    {
        return Cow::Borrowed(word);
    }
    Cow::Owned(fold_repeats(word))
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
pub fn unleet(word: &str) -> Cow<'_, str> {
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

/// A raw token of normalized text: its kind, its text (`norm[text.0..text.1]`; a URL's host),
/// and its byte range in the normalized text.
#[derive(Debug, Clone, Copy)]
struct Raw {
    kind: TokenKind,
    text: (usize, usize),
    from: usize,
    to: usize,
}

/// Raw tokens of normalized text, appended to `out`.
fn scan(s: &str, out: &mut Vec<Raw>) {
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
                // `host` is a slice of `s`.
                let at = host.as_ptr() as usize - s.as_ptr() as usize;
                out.push(Raw {
                    kind: TokenKind::Url,
                    text: (at, at + host.len()),
                    from: i,
                    to: i + url.len(),
                });
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
                let to = i + 1 + name.len();
                out.push(Raw {
                    kind,
                    text: (i, to),
                    from: i,
                    to,
                });
                i = to;
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
            let (kind, end) = if tail.is_some_and(|t| t.is_alphabetic()) {
                let wend = rest
                    .find(|ch: char| !ch.is_alphanumeric())
                    .unwrap_or(rest.len());
                (TokenKind::Word, wend)
            } else {
                (TokenKind::Number, end)
            };
            out.push(Raw {
                kind,
                text: (i, i + end),
                from: i,
                to: i + end,
            });
            i += end;
            continue;
        }
        if c.is_alphabetic() {
            let end = rest
                .find(|ch: char| !(ch.is_alphanumeric() || is_mark(ch)))
                .unwrap_or(rest.len());
            out.push(Raw {
                kind: TokenKind::Word,
                text: (i, i + end),
                from: i,
                to: i + end,
            });
            i += end;
            continue;
        }
        if is_emoji(c) {
            let to = i + c.len_utf8();
            out.push(Raw {
                kind: TokenKind::Emoji,
                text: (i, to),
                from: i,
                to,
            });
        }
        i += c.len_utf8();
    }
}

fn is_mark(c: char) -> bool {
    // Combining marks that NFKC leaves attached to letters (rare in Indonesian, common in
    // Javanese script transliterations).
    matches!(c as u32, 0x0300..=0x036F)
}

/// Lowercased NFKC form of `text`.
pub fn normalize(text: &str) -> String {
    let mut out = String::new();
    normalize_into(text, &mut out);
    out
}

/// [`normalize`], appended to `out`.
fn normalize_into(text: &str, out: &mut String) {
    if text.is_ascii() {
        // NFKC is the identity on ASCII.
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
        return;
    }
    out.extend(text.nfkc().flat_map(char::to_lowercase));
}

/// Analyzes `text` with `opts`. Byte offsets refer to the normalized text, which has the same
/// length as the original for almost all input (NFKC rarely changes lengths); they are clamped.
pub fn analyze(text: &str, opts: Options) -> Vec<Token> {
    let norm = normalize(text);
    let mut raw = Vec::new();
    scan(&norm, &mut raw);
    tokens(text.len(), &norm, &raw, opts)
}

/// The tokens of a text of `len` bytes, normalized as `norm` and scanned as `raw`, with `opts`.
fn tokens(len: usize, norm: &str, raw: &[Raw], opts: Options) -> Vec<Token> {
    let lex = lexicons();
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 4);
    let mut pos = 0usize;
    let clamp = |o: usize| o.min(len);
    for r in raw {
        let (from, to) = (clamp(r.from), clamp(r.to));
        let kind = r.kind;
        let raw = &norm[r.text.0..r.text.1];
        match kind {
            TokenKind::Word => {
                let w: Cow<'_, str> = if opts.fold_repeats {
                    match unleet(raw) {
                        Cow::Borrowed(b) => fold_repeats_cow(b),
                        Cow::Owned(o) => Cow::Owned(fold_repeats(&o)),
                    }
                } else {
                    Cow::Borrowed(raw)
                };
                let mut word = |w: Cow<'_, str>, pos: &mut usize| {
                    if opts.stopwords && lex.stop.contains(w.as_ref()) {
                        *pos += 1;
                        return;
                    }
                    let text = if opts.stem {
                        stem_owned(&lex.stemmer, w)
                    } else {
                        w.into_owned()
                    };
                    out.push(Token {
                        text,
                        kind,
                        position: *pos,
                        offset_from: from,
                        offset_to: to,
                    });
                    *pos += 1;
                };
                match opts.slang.then(|| lex.slang.get(w.as_ref())).flatten() {
                    Some(formal) => {
                        for f in formal {
                            word(Cow::Borrowed(*f), &mut pos);
                        }
                    }
                    None => word(w, &mut pos),
                }
            }
            TokenKind::Hashtag => {
                out.push(Token {
                    text: raw.to_string(),
                    kind,
                    position: pos,
                    offset_from: from,
                    offset_to: to,
                });
                let bare = raw.trim_start_matches('#');
                let bare = if opts.fold_repeats {
                    fold_repeats_cow(bare)
                } else {
                    Cow::Borrowed(bare)
                };
                let bare = if opts.stem {
                    stem_owned(&lex.stemmer, bare)
                } else {
                    bare.into_owned()
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
                    text: raw.to_string(),
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

/// The stem of `w`, reusing `w` when it is its own stem.
fn stem_owned(stemmer: &frostem::Stemmer, w: Cow<'_, str>) -> String {
    if let Cow::Owned(s) = stemmer.stem(&w) {
        return s;
    }
    w.into_owned()
}

/// A text scanned once, and its tokens for each option set asked so far.
struct Scanned {
    text: String,
    norm: String,
    raw: Vec<Raw>,
    done: Vec<(Options, Rc<Vec<Token>>)>,
}

/// Texts kept per thread by [`analyzed`].
const KEPT: usize = 4;

/// [`analyze`], shared: the tokens of `text` with `opts`, kept with the last few texts this
/// thread analyzed. Every enricher of a mention reads the same text (sentiment, complaint,
/// profiles, hoax, and the indexer's two fields), some with the same options, so the text is
/// normalized and scanned once and each option set is built once; the tokens are those
/// [`analyze`] gives.
pub fn analyzed(text: &str, opts: Options) -> Rc<Vec<Token>> {
    thread_local! {
        static KEPT_TEXTS: RefCell<Vec<Scanned>> = const { RefCell::new(Vec::new()) };
    }
    KEPT_TEXTS.with(|cell| {
        let mut kept = cell.borrow_mut();
        let at = match kept.iter().position(|s| s.text == text) {
            Some(i) => i,
            None => {
                // The oldest entry's buffers are reused for the new text.
                let mut s = if kept.len() >= KEPT {
                    kept.remove(0)
                } else {
                    Scanned {
                        text: String::new(),
                        norm: String::new(),
                        raw: Vec::new(),
                        done: Vec::new(),
                    }
                };
                s.text.clear();
                s.text.push_str(text);
                s.norm.clear();
                normalize_into(text, &mut s.norm);
                s.raw.clear();
                scan(&s.norm, &mut s.raw);
                s.done.clear();
                kept.push(s);
                kept.len() - 1
            }
        };
        let s = &mut kept[at];
        if let Some((_, t)) = s.done.iter().find(|(o, _)| *o == opts) {
            return t.clone();
        }
        let t = Rc::new(tokens(text.len(), &s.norm, &s.raw, opts));
        s.done.push((opts, t.clone()));
        t
    })
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
    fn shared_analyses_are_the_analyses() {
        let texts = [
            "Pelayanan yg gak ramah bangeeet, J0K0WI PASR4H #BanjirSukamajuuu @Humas_Pemkab",
            "Cek https://www.Detik.com/berita/123?x=1, 2.500 warga 😡😡 covid19 hati2 k212",
            "ＰＥＭＫＡＢ Sukamaju: jalan yang tidak rusak... kerennn!!! #gakjelas",
            "",
            "yang dan di",
            "Ça va? Émile ééé naïve café",
        ];
        let all = [Options::SEARCH, Options::EXACT, Options::FEATURES];
        // Interleaved, more texts than are kept, each asked several times.
        for round in 0..3 {
            for (i, t) in texts.iter().enumerate() {
                for o in all.iter().cycle().skip(i + round).take(4) {
                    assert_eq!(*analyzed(t, *o), analyze(t, *o), "{t:?} {o:?}");
                }
            }
        }
        // The same text in another allocation, and a text that only shares a prefix.
        let owned = texts[0].to_string();
        assert_eq!(
            *analyzed(&owned, Options::SEARCH),
            analyze(&owned, Options::SEARCH)
        );
        let prefix = &texts[0][..20];
        assert_eq!(
            *analyzed(prefix, Options::SEARCH),
            analyze(prefix, Options::SEARCH)
        );
    }

    #[test]
    fn folding_borrows_only_what_has_nothing_to_fold() {
        for w in ["maaf", "bangeeet", "111", "aaa", "ééé", "kerennn", "x", ""] {
            assert_eq!(fold_repeats_cow(w), fold_repeats(w), "{w}");
        }
    }

    #[test]
    fn nfkc_folds_fullwidth() {
        assert_eq!(texts("ＰＥＭＫＡＢ", Options::EXACT), ["pemkab"]);
    }
}
