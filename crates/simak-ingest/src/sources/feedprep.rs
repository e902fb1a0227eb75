//! Getting real-world feeds into a shape feed-rs accepts, without losing any.
//!
//! feed-rs parses well-formed RSS 0.9x/1.0/2.0, Atom and JSON Feed, but rejects several kinds
//! of feeds that are well-formed and common in the wild (feedparser's corpus has them all):
//!
//! * text in another charset than UTF-8: decoded here by the HTTP charset, else the byte-order
//!   mark, else the XML declaration (RFC 3023 precedence), with encoding_rs;
//! * `<rss>` with no `version`, or a version it does not list (0.93, 0.94, 2.01, 2.1): read as
//!   RSS 2.0, which is what every later version is compatible with;
//! * `<rss>` with no `<channel>`: a feed with nothing in it;
//! * Microsoft CDF (`<CHANNEL>` with `<ITEM HREF=...>`): read here;
//! * an Atom text construct with a media type it does not know (`application/octet-stream`):
//!   read as plain text instead of failing the whole feed.

use quick_xml::events::Event;
use std::borrow::Cow;

/// What the body turned out to be.
#[derive(Debug)]
pub enum Prepared {
    /// A feed to hand to feed-rs (UTF-8).
    Feed(Vec<u8>),
    /// An RSS document without a channel: nothing in it.
    Empty,
    /// A CDF channel, read here.
    Cdf(Vec<CdfItem>),
}

/// One item of a CDF channel.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CdfItem {
    /// `HREF`.
    pub href: Option<String>,
    /// `LASTMOD`.
    pub lastmod: Option<String>,
    /// `<TITLE>`.
    pub title: Option<String>,
    /// `<ABSTRACT>`.
    pub abstract_: Option<String>,
}

/// Decodes `body` to UTF-8 and repairs what feed-rs would reject (see the module docs).
pub fn prepare(body: &[u8], http_charset: Option<&str>) -> Result<Prepared, String> {
    let first = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| body[i]);
    if first == Some(b'{') {
        return Ok(Prepared::Feed(body.to_vec()));
    }
    let text = decode(body, http_charset);
    let text = strip_xml_declaration(&text);
    let text = &*drop_stray_declarations(text);
    let Some((root_at, root)) = root_element(text) else {
        return Err("no XML root element".into());
    };
    let local = root.rsplit(':').next().unwrap_or(root);
    if local.eq_ignore_ascii_case("channel") {
        return Ok(Prepared::Cdf(parse_cdf(text)?));
    }
    if local == "rss" {
        if !text.contains("<channel") {
            return Ok(Prepared::Empty);
        }
        return Ok(Prepared::Feed(fix_rss_version(text, root_at).into_bytes()));
    }
    Ok(Prepared::Feed(text.as_bytes().to_vec()))
}

fn decode(body: &[u8], http_charset: Option<&str>) -> String {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(body) {
        return enc
            .decode_without_bom_handling(&body[bom_len..])
            .0
            .into_owned();
    }
    let declared = || {
        let head = &body[..body.len().min(200)];
        let head = String::from_utf8_lossy(head);
        let decl_end = head.find("?>")?;
        let decl = &head[..decl_end];
        let at = decl.find("encoding")?;
        let rest = decl[at + 8..].trim_start().strip_prefix('=')?.trim_start();
        let quote = rest.chars().next()?;
        let rest = &rest[quote.len_utf8()..];
        Some(rest[..rest.find(quote)?].to_string())
    };
    let enc = http_charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
        .or_else(|| declared().and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes())))
        .unwrap_or(encoding_rs::UTF_8);
    // us-ascii maps to windows-1252 in encoding_rs, a superset: fine for decoding.
    enc.decode_without_bom_handling(body).0.into_owned()
}

fn strip_xml_declaration(text: &str) -> &str {
    let t = text.trim_start();
    if t.starts_with("<?xml") {
        if let Some(end) = t.find("?>") {
            return &t[end + 2..];
        }
    }
    text
}

/// Removes XML declarations (`<?xml ...?>`) after the start of the document. The text is
/// UTF-8 by now, so no declared encoding applies; and the XML reader under feed-rs panics when a
/// later declaration names another encoding. Removed everywhere, CDATA included: in a broken
/// feed what is CDATA and what is markup is the reader's guess, not ours (escaped text,
/// `&lt;?xml`, is untouched).
fn drop_stray_declarations(text: &str) -> Cow<'_, str> {
    if !text.contains("<?xml") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("<?xml") {
        let after = &rest[at + 5..];
        let decl = after.starts_with(|c: char| c.is_whitespace() || c == '?');
        match after.find("?>").filter(|_| decl) {
            Some(end) => {
                out.push_str(&rest[..at]);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[..at + 5]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Finds the root element's start tag: its byte offset and name.
fn root_element(text: &str) -> Option<(usize, &str)> {
    let mut i = 0;
    let b = text.as_bytes();
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b[i] != b'<' {
            return None;
        }
        let rest = &text[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->")? + 3;
        } else if rest.starts_with("<?") {
            i += rest.find("?>")? + 2;
        } else if rest.starts_with("<!") {
            // DOCTYPE, possibly with an internal subset in brackets.
            let mut depth = 0i32;
            let mut end = None;
            for (k, c) in rest.char_indices() {
                match c {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    '>' if depth <= 0 => {
                        end = Some(k);
                        break;
                    }
                    _ => {}
                }
            }
            i += end? + 1;
        } else {
            let name_end = rest[1..]
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .map(|k| k + 1)?;
            return Some((i, &rest[1..name_end]));
        }
    }
    None
}

/// Gives the `<rss>` start tag at `at` a version feed-rs knows.
fn fix_rss_version(text: &str, at: usize) -> String {
    let Some(tag_len) = text[at..].find('>') else {
        return text.to_string();
    };
    let tag = &text[at..at + tag_len];
    let version = tag.find("version").and_then(|v| {
        let rest = tag[v + 7..].trim_start().strip_prefix('=')?.trim_start();
        let q = rest.chars().next()?;
        let val = &rest[q.len_utf8()..];
        Some(val[..val.find(q)?].to_string())
    });
    if matches!(version.as_deref(), Some("2.0" | "0.91" | "0.92")) {
        return text.to_string();
    }
    let new_tag = match version {
        Some(v) => {
            tag.replacen(&format!("\"{v}\""), "\"2.0\"", 1)
                .replacen(&format!("'{v}'"), "'2.0'", 1)
        }
        None => {
            // After the element's name (`rss`, or `x:rss` with a prefix).
            let name_end = tag
                .find(|c: char| c.is_whitespace() || c == '/')
                .unwrap_or(tag.len());
            format!("{} version=\"2.0\"{}", &tag[..name_end], &tag[name_end..])
        }
    };
    format!("{}{}{}", &text[..at], new_tag, &text[at + tag_len..])
}

fn parse_cdf(text: &str) -> Result<Vec<CdfItem>, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut items = Vec::new();
    let mut current: Option<CdfItem> = None;
    let mut field: Option<&'static str> = None;
    loop {
        match reader.read_event() {
            Err(e) => return Err(format!("CDF at byte {}: {e}", reader.buffer_position())),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_uppercase();
                match name.as_str() {
                    "ITEM" => {
                        let mut item = CdfItem::default();
                        for a in e.attributes().flatten() {
                            let k = String::from_utf8_lossy(a.key.as_ref()).to_ascii_uppercase();
                            let v = a
                                .unescape_value()
                                .map(Cow::into_owned)
                                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
                            match k.as_str() {
                                "HREF" => item.href = Some(v),
                                "LASTMOD" => item.lastmod = Some(v),
                                _ => {}
                            }
                        }
                        if let Some(done) = current.replace(item) {
                            items.push(done);
                        }
                    }
                    "TITLE" if current.is_some() => field = Some("title"),
                    "ABSTRACT" if current.is_some() => field = Some("abstract"),
                    _ => {}
                }
            }
            Ok(Event::End(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_uppercase();
                if name == "ITEM" {
                    if let Some(done) = current.take() {
                        items.push(done);
                    }
                }
                field = None;
            }
            Ok(Event::Text(t)) => {
                if let (Some(f), Some(item)) = (field, current.as_mut()) {
                    let s = t.decode().map(Cow::into_owned).unwrap_or_default();
                    let s = crate::html::to_text(&s);
                    match f {
                        "title" => item.title = Some(s),
                        _ => item.abstract_ = Some(s),
                    }
                }
            }
            Ok(_) => {}
        }
    }
    if let Some(done) = current.take() {
        items.push(done);
    }
    Ok(items)
}

/// Rewrites the `type` attribute whose value is `mime`, nearest to byte `position`, to `text`,
/// so feed-rs reads that text construct as plain text. Returns false if there is none.
pub fn neutralize_mime(body: &mut Vec<u8>, position: usize, mime: &str) -> bool {
    let text = String::from_utf8_lossy(body).into_owned();
    let mut best: Option<(usize, usize)> = None;
    for q in ['"', '\''] {
        let needle = format!("type={q}{mime}{q}");
        for (at, _) in text.match_indices(&needle) {
            let d = at.abs_diff(position);
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((at, d));
            }
        }
    }
    let Some((at, _)) = best else { return false };
    let len = "type=\"\"".len() + mime.len();
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..at]);
    out.push_str("type=\"text\"");
    out.push_str(&text[at + len..]);
    *body = out.into_bytes();
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(p: Prepared) -> String {
        match p {
            Prepared::Feed(b) => String::from_utf8(b).unwrap(),
            other => panic!("expected a feed, got {other:?}"),
        }
    }

    #[test]
    fn versionless_rss_becomes_2_0() {
        let out = feed(prepare(b"<!-- c --><rss><channel/></rss>", None).unwrap());
        assert!(out.contains("<rss version=\"2.0\"><channel/>"), "{out}");
        let out = feed(prepare(b"<rss version=\"0.94\"><channel/></rss>", None).unwrap());
        assert!(out.contains("<rss version=\"2.0\">"), "{out}");
    }

    #[test]
    fn channel_less_rss_is_empty() {
        assert!(matches!(
            prepare(
                b"<?xml version=\"1.0\"?><rss version=\"2.0\">\n</rss>",
                None
            )
            .unwrap(),
            Prepared::Empty
        ));
    }

    #[test]
    fn declared_charset_is_decoded() {
        let mut body = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss version=\"2.0\"><channel><title>caf".to_vec();
        body.push(0xE9);
        body.extend_from_slice(b"</title></channel></rss>");
        let out = feed(prepare(&body, None).unwrap());
        assert!(out.contains("café"), "{out}");
        assert!(
            !out.contains("encoding="),
            "declaration removed after decoding"
        );
    }

    #[test]
    fn cdf_items_are_read() {
        let cdf = br#"<CHANNEL HREF="http://x.org/"><TITLE>c</TITLE>
            <ITEM HREF="http://x.org/1" LASTMOD="2004-04-06T23:05:43-05:00"><TITLE>Judul</TITLE><ABSTRACT>Isi</ABSTRACT></ITEM></CHANNEL>"#;
        match prepare(cdf, None).unwrap() {
            Prepared::Cdf(items) => {
                assert_eq!(items.len(), 1);
                assert_eq!(items[0].href.as_deref(), Some("http://x.org/1"));
                assert_eq!(items[0].title.as_deref(), Some("Judul"));
                assert_eq!(items[0].abstract_.as_deref(), Some("Isi"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_declared_encoding_opened_by_a_non_ascii_byte_is_no_panic() {
        // Found by fuzzing (rss_feed): the byte after `encoding=` was taken as a one-byte
        // quote, and slicing after it split U+FFFD.
        let body = b"<?xml version=\"1.0\" encoding=\xa2UTF-8\"?><rss version=\"2.0\"><channel>\
                     <item><title>t</title></item></channel></rss>";
        assert!(matches!(prepare(body, None), Ok(Prepared::Feed(_))));
        let body = "<?xml version=\"1.0\" encoding=\u{e9}utf-8\u{e9}?><rss/>".as_bytes();
        assert!(prepare(body, None).is_ok());
    }

    #[test]
    fn an_rss_version_opened_by_a_non_ascii_byte_is_no_panic() {
        // Found by fuzzing (factcheck_feed): the same one-byte quote in the version attribute.
        let body = "<rss version=\u{fc}?.0\" x=\"1\"><channel></channel></rss>".as_bytes();
        assert!(matches!(prepare(body, None), Ok(Prepared::Feed(_))));
        // A prefixed root with a wide character in its prefix, and no version.
        let p = prepare("<\u{20ac}:rss><channel/></\u{20ac}:rss>".as_bytes(), None).unwrap();
        assert_eq!(
            feed(p),
            "<\u{20ac}:rss version=\"2.0\"><channel/></\u{20ac}:rss>"
        );
    }

    #[test]
    fn stray_xml_declarations_are_dropped() {
        // Found by fuzzing (rss_feed): a second declaration naming another encoding made the
        // XML reader under feed-rs panic.
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
                    <item><title>a</title></item><?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\
                    <item><title><![CDATA[b<?xml x?>]]></title></item><?xml-stylesheet?>\
                    </channel></rss>";
        let p = prepare(body.as_bytes(), None).unwrap();
        assert_eq!(
            feed(p),
            "<rss version=\"2.0\"><channel><item><title>a</title></item>\
             <item><title><![CDATA[b]]></title></item><?xml-stylesheet?></channel></rss>"
        );
        let ms = crate::rss::parse_feed(body.as_bytes(), "https://e.example.id/", "e").unwrap();
        assert_eq!(ms[0].title.as_deref(), Some("a"));
        // One inside what looks like CDATA but is not (inside a start tag): an error, no panic.
        let broken = "<rss version=\"2.0\"><channel><item><i<![CDATA[e><title>t</title>\
                      <?xml version=\"1.0\" encoding=\"windows-1252\"?></item></channel></rss>";
        let err = crate::rss::parse_feed(broken.as_bytes(), "https://e.example.id/", "e");
        assert!(err.unwrap_err().starts_with("not a valid"));
    }

    #[test]
    fn unknown_mime_is_neutralized() {
        let mut b = br#"<feed><title type="application/octet-stream">x</title></feed>"#.to_vec();
        assert!(neutralize_mime(&mut b, 10, "application/octet-stream"));
        assert_eq!(
            String::from_utf8(b).unwrap(),
            r#"<feed><title type="text">x</title></feed>"#
        );
    }
}
