//! HTML to plain text, for feed summaries and scraped pages.

use scraper::Html;

/// The visible text of an HTML fragment, whitespace collapsed. Scripts and styles are dropped;
/// entities are decoded. Plain text passes through unchanged (apart from whitespace).
pub fn to_text(fragment: &str) -> String {
    if !fragment.contains('<') && !fragment.contains('&') {
        return collapse(fragment);
    }
    let doc = Html::parse_fragment(fragment);
    let mut out = String::with_capacity(fragment.len());
    for node in doc.root_element().descendants() {
        if let Some(text) = node.value().as_text() {
            let hidden = node.ancestors().any(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|e| matches!(e.name(), "script" | "style" | "template"))
            });
            if !hidden {
                // Inline markup adds no space: Mastodon writes hashtags as `#<span>tag</span>`.
                out.push_str(text);
            }
        } else if let Some(e) = node.value().as_element() {
            if matches!(
                e.name(),
                "br" | "p" | "div" | "li" | "h1" | "h2" | "h3" | "tr"
            ) {
                out.push(' ');
            }
        }
    }
    collapse(&out)
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_scripts_and_entities() {
        assert_eq!(
            to_text("<p>Banjir&nbsp;di <b>Sukamaju</b></p><script>alert(1)</script><p>Warga &amp; relawan</p>"),
            "Banjir di Sukamaju Warga & relawan"
        );
        assert_eq!(to_text("  teks   biasa "), "teks biasa");
        assert_eq!(
            to_text("<p>di <a href=\"#\">#<span>sukamaju</span></a></p><p>baru</p>"),
            "di #sukamaju baru"
        );
    }
}
