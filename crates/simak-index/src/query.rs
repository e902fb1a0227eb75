//! What officers type, turned into what the index answers.
//!
//! * Unquoted words search the analyzed fields (`title`, `text`): slang-normalized and stemmed,
//!   so `gak` finds `tidak` and `pelayanan` finds `layanan`.
//! * A phrase in double quotes means exactly that phrase: it searches the exact fields
//!   (`title_exact`, `text_exact`: lowercased tokens, no slang, no stemming). `"..."~N`
//!   allows N words of slack. `text:"..."` and `title:"..."` are exact too.
//! * Synonyms, loaded from a file at query time (so changing them needs no reindexing), widen a
//!   bare word to its group: with `pemkab, pemerintah kabupaten`, `pemkab` searches
//!   `(pemkab OR "pemerintah kabupaten")`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

/// Groups of equivalent words or phrases.
#[derive(Debug, Default, Clone)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
    by_word: HashMap<String, usize>,
}

impl Synonyms {
    /// Parses `a, b, c` lines; `#` starts a comment.
    pub fn parse(text: &str) -> Synonyms {
        let mut s = Synonyms::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let group: Vec<String> = line
                .split(',')
                .map(|w| {
                    w.split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase()
                })
                .filter(|w| !w.is_empty())
                .collect();
            if group.len() < 2 {
                continue;
            }
            let id = s.groups.len();
            for w in &group {
                s.by_word.entry(w.clone()).or_insert(id);
            }
            s.groups.push(group);
        }
        s
    }

    /// The group of `word`, if any.
    pub fn group(&self, word: &str) -> Option<&[String]> {
        self.by_word
            .get(&word.to_lowercase())
            .map(|&i| self.groups[i].as_slice())
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// A synonyms file, re-read when it changes.
#[derive(Debug)]
pub struct SynonymsFile {
    path: Option<PathBuf>,
    state: RwLock<(Option<SystemTime>, Synonyms)>,
}

impl SynonymsFile {
    /// Watches `path` (None: no synonyms). A missing file means no synonyms.
    pub fn new(path: Option<&Path>) -> SynonymsFile {
        let f = SynonymsFile {
            path: path.map(Path::to_path_buf),
            state: RwLock::new((None, Synonyms::default())),
        };
        f.refresh();
        f
    }

    fn refresh(&self) {
        let Some(path) = &self.path else { return };
        let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if self.state.read().expect("synonyms lock").0 == mtime {
            return;
        }
        let syn = match std::fs::read_to_string(path) {
            Ok(t) => Synonyms::parse(&t),
            Err(_) => Synonyms::default(),
        };
        tracing::info!(path = %path.display(), groups = syn.len(), "synonyms loaded");
        *self.state.write().expect("synonyms lock") = (mtime, syn);
    }

    /// The current synonyms (re-reading the file if it changed).
    pub fn get(&self) -> Synonyms {
        self.refresh();
        self.state.read().expect("synonyms lock").1.clone()
    }
}

fn quote(phrase: &str) -> String {
    format!("\"{}\"", phrase.replace('"', ""))
}

/// Rewrites a query: quoted phrases to the exact fields, bare words widened by synonyms.
/// Anything it does not recognise is left for the query parser to judge.
pub fn rewrite(q: &str, syn: &Synonyms) -> String {
    let chars: Vec<char> = q.chars().collect();
    let mut out = String::with_capacity(q.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            // Find the closing quote; without one, leave the rest to the parser's error.
            let Some(close) =
                (i + 1..chars.len()).find(|&k| chars[k] == '"' && chars[k - 1] != '\\')
            else {
                out.extend(&chars[i..]);
                break;
            };
            let phrase: String = chars[i + 1..close].iter().collect();
            let mut j = close + 1;
            let mut slop = String::new();
            if j < chars.len() && chars[j] == '~' {
                let mut k = j + 1;
                while k < chars.len() && chars[k].is_ascii_digit() {
                    k += 1;
                }
                if k > j + 1 {
                    slop = chars[j..k].iter().collect();
                    j = k;
                }
            }
            let field_end = out.trim_end().len();
            let lead = &out[..field_end];
            if lead.ends_with(':') {
                // field:"..." — exact if the field is a text field, else as written.
                let start = lead[..field_end - 1]
                    .char_indices()
                    .rev()
                    .find(|&(_, ch)| ch.is_whitespace() || ch == '(' || ch == '+' || ch == '-')
                    .map_or(0, |(p, ch)| p + ch.len_utf8());
                let field = lead[start..field_end - 1].to_string();
                if field == "text" || field == "title" {
                    out.truncate(start);
                    out.push_str(&format!("{field}_exact:"));
                }
                out.push_str(&format!("\"{phrase}\"{slop}"));
            } else {
                out.push_str(&format!(
                    "(text_exact:\"{phrase}\"{slop} OR title_exact:\"{phrase}\"{slop})"
                ));
            }
            i = j;
            continue;
        }
        if c.is_whitespace() || c == '(' || c == ')' {
            out.push(c);
            i += 1;
            continue;
        }
        // A bare token up to whitespace, a parenthesis or a quote.
        let start = i;
        while i < chars.len()
            && !(chars[i].is_whitespace() || chars[i] == '(' || chars[i] == ')' || chars[i] == '"')
        {
            i += 1;
        }
        let tok: String = chars[start..i].iter().collect();
        let (prefix, word) = match tok.strip_prefix(['+', '-']) {
            Some(w) => (&tok[..1], w),
            None => ("", tok.as_str()),
        };
        let plain = !word.is_empty()
            && !word.contains([':', '*', '^', '~', '[', ']', '{', '}'])
            && !matches!(word, "AND" | "OR" | "NOT" | "IN");
        match syn.group(word).filter(|_| plain) {
            Some(group) => {
                let alts: Vec<String> = group
                    .iter()
                    .map(|w| if w.contains(' ') { quote(w) } else { w.clone() })
                    .collect();
                out.push_str(&format!("{prefix}({})", alts.join(" OR ")));
            }
            None => out.push_str(&tok),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_go_to_exact_fields() {
        let s = Synonyms::default();
        assert_eq!(
            rewrite("\"jalan rusak\" banjir", &s),
            "(text_exact:\"jalan rusak\" OR title_exact:\"jalan rusak\") banjir"
        );
        assert_eq!(
            rewrite("\"bupati banjir\"~3", &s),
            "(text_exact:\"bupati banjir\"~3 OR title_exact:\"bupati banjir\"~3)"
        );
        assert_eq!(rewrite("title:\"Banjir\"", &s), "title_exact:\"Banjir\"");
        assert_eq!(rewrite("source:\"rss\"", &s), "source:\"rss\"");
        assert_eq!(rewrite("\"unclosed phrase", &s), "\"unclosed phrase");
    }

    #[test]
    fn a_field_after_a_wide_space_is_no_panic() {
        // Found by fuzzing (search_query): U+0085 (two bytes in UTF-8) is whitespace, and the
        // field name was taken to start one byte after it.
        let s = Synonyms::default();
        assert_eq!(
            rewrite("bupati\u{85}title:\"Banjir\"", &s),
            "bupati\u{85}title_exact:\"Banjir\""
        );
        assert_eq!(
            rewrite("a\u{3000}source:\"rss\"", &s),
            "a\u{3000}source:\"rss\""
        );
    }

    #[test]
    fn synonyms_widen_bare_words() {
        let s = Synonyms::parse("# comment\npemkab, pemerintah kabupaten\nbpjs, jkn\n");
        assert_eq!(
            rewrite("pemkab AND -bpjs", &s),
            "(pemkab OR \"pemerintah kabupaten\") AND -(bpjs OR jkn)"
        );
        assert_eq!(rewrite("source:pemkab", &s), "source:pemkab");
    }
}
