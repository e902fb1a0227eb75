//! The newest-first order of hits, which depends only on the mentions.
//!
//! Hits sorted newest first are ordered by the `order` fast field, descending: the publication
//! second in the high bits and a hash of the mention id in the low bits ([`order_key`]), then by
//! the id itself, descending, where two keys are equal (two ids of one second whose hashes
//! agree in those bits). Every replica holding the same mentions therefore lists them in the
//! same order, whatever its segments and whatever order it indexed them in, and a cursor names
//! a place in that order (the key and the id of the last hit handed out): a cursor taken from
//! one replica continues on another without repeating or skipping a hit.
//!
//! (Before, ties within one second followed each index's own segment layout, and a cursor
//! counted hits within a second: followed on another replica, it could repeat or skip hits.)

use crate::search::SearchError;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, SegmentReader};

/// The fast field holding [`order_key`].
pub const ORDER_FIELD: &str = "order";

/// The widest publication time, in seconds either side of 1970, that the index's dates
/// (nanoseconds in an i64, about the years 1677 to 2262) hold.
pub const MAX_INDEX_SECS: i64 = i64::MAX / 1_000_000_000;

/// Low bits of the key taken by the id hash; the 35 bits above hold the second.
const HASH_BITS: u32 = 29;
/// Added to a second so that every second the index holds is positive (`MAX_INDEX_SECS` is
/// below 2^34), keeping the key's order the seconds' order.
const SECS_BIAS: i64 = 1 << 34;

/// The order key of a mention published at second `secs` (clamped to what the index holds)
/// with id `id`: larger is newer; within a second, the id hash decides.
pub fn order_key(secs: i64, id: &str) -> u64 {
    second_floor(secs) | (id_hash(id) >> (64 - HASH_BITS))
}

/// The smallest key of second `secs`.
fn second_floor(secs: i64) -> u64 {
    ((secs.clamp(-MAX_INDEX_SECS, MAX_INDEX_SECS) + SECS_BIAS) as u64) << HASH_BITS
}

/// A hash of the id that never changes between versions, machines or processes (FNV-1a, then
/// the splitmix64 finalizer to spread it over the high bits).
pub fn id_hash(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// A place in the newest-first order: hits after it have a smaller key, or the same key and a
/// smaller id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct After {
    pub key: u64,
    pub id: String,
}

/// Where a page sorted newest first ended, as its `next_cursor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// Written as `<key, 16 hex digits>.<id in hex>`.
    At(After),
    /// A cursor of an earlier version, `<secs>_<seen>`: the publication second of the last
    /// hit and how many hits of that second were handed out. Still taken: the page continues
    /// past the first `seen` hits of that second in today's order (the hits of that one second
    /// may repeat or be skipped once, as they could before).
    Seconds { secs: i64, seen: usize },
}

/// The longest id a cursor carries, in bytes.
const MAX_CURSOR_ID: usize = 4096;

impl Cursor {
    pub(crate) fn parse(s: &str) -> Result<Cursor, SearchError> {
        let bad = || {
            SearchError::BadQuery(format!(
                "cursor {s:?} is not one this server handed out (next_cursor of a search)"
            ))
        };
        if let Some((key, id)) = s.split_once('.') {
            if key.len() != 16 || id.is_empty() || id.len() > 2 * MAX_CURSOR_ID {
                return Err(bad());
            }
            let key = u64::from_str_radix(key, 16).map_err(|_| bad())?;
            let id = unhex(id).ok_or_else(bad)?;
            return Ok(Cursor::At(After { key, id }));
        }
        let (a, b) = s.split_once('_').ok_or_else(bad)?;
        let secs = a.parse::<i64>().map_err(|_| bad())?;
        let seen = b.parse::<usize>().map_err(|_| bad())?;
        if seen == 0
            || seen > crate::search::MAX_WINDOW
            || secs.unsigned_abs() > MAX_INDEX_SECS as u64
        {
            return Err(bad());
        }
        Ok(Cursor::Seconds { secs, seen })
    }

    pub(crate) fn render(&self) -> String {
        match self {
            Cursor::At(a) => {
                let mut s = format!("{:016x}.", a.key);
                for b in a.id.as_bytes() {
                    s.push_str(&format!("{b:02x}"));
                }
                s
            }
            Cursor::Seconds { secs, seen } => format!("{secs}_{seen}"),
        }
    }

    /// Where the page starts: after this place, skipping this many hits.
    pub(crate) fn start(&self) -> (After, usize) {
        match self {
            Cursor::At(a) => (a.clone(), 0),
            // Everything up to the end of second `secs`: keys below the next second's first.
            Cursor::Seconds { secs, seen } => (
                After {
                    key: second_floor(secs + 1),
                    id: String::new(),
                },
                *seen,
            ),
        }
    }
}

fn unhex(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// The id of a collected hit, read from the segment's `id` column only when a tie needs it.
#[derive(Clone)]
pub(crate) struct IdRef {
    ids: Option<StrColumn>,
    ord: Option<u64>,
}

impl IdRef {
    pub(crate) fn resolve(&self) -> String {
        let mut out = String::new();
        if let (Some(ids), Some(ord)) = (&self.ids, self.ord) {
            let _ = ids.ord_to_str(ord, &mut out);
        }
        out
    }
}

/// One hit in the newest-first order.
#[derive(Clone)]
pub(crate) struct Ranked {
    pub key: u64,
    pub id: IdRef,
    pub addr: DocAddress,
}

impl std::fmt::Debug for Ranked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ranked({:x}, {:?})", self.key, self.addr)
    }
}

impl Ranked {
    /// `Less` when `self` comes first (newer).
    fn cmp_order(&self, other: &Ranked) -> std::cmp::Ordering {
        other.key.cmp(&self.key).then_with(|| {
            if self.addr.segment_ord == other.addr.segment_ord {
                // One segment, one dictionary: term ordinals are in the ids' order.
                other.id.ord.cmp(&self.id.ord)
            } else {
                other.id.resolve().cmp(&self.id.resolve())
            }
        })
    }
}

/// Collects the first `k` hits newest first (after `after`, when given), in the order the
/// module describes.
pub(crate) struct NewestFirst {
    pub k: usize,
    pub after: Option<After>,
}

impl Collector for NewestFirst {
    type Fruit = Vec<Ranked>;
    type Child = NewestSegment;

    fn for_segment(
        &self,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<NewestSegment> {
        let keys: Column<u64> = reader.fast_fields().u64(ORDER_FIELD)?;
        Ok(NewestSegment {
            keys: keys.first_or_default_col(0),
            ids: reader.fast_fields().str("id")?,
            segment_ord,
            k: self.k,
            after: self.after.clone(),
            buf: Vec::new(),
            threshold: None,
            scratch: String::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Ranked>>) -> tantivy::Result<Vec<Ranked>> {
        let mut all: Vec<Ranked> = fruits.into_iter().flatten().collect();
        all.sort_by(Ranked::cmp_order);
        all.truncate(self.k);
        Ok(all)
    }
}

/// [`NewestFirst`] within one segment: keeps the best `k` by (key, id ordinal), descending.
/// The id ordinal is read only where two keys are equal.
pub(crate) struct NewestSegment {
    keys: std::sync::Arc<dyn tantivy::columnar::ColumnValues<u64>>,
    ids: Option<StrColumn>,
    segment_ord: u32,
    k: usize,
    after: Option<After>,
    /// Up to 2k candidates (key, doc), cut back to the best k when full.
    buf: Vec<(u64, DocId)>,
    /// The worst candidate kept at the last cut: nothing below it can enter.
    threshold: Option<(u64, DocId)>,
    scratch: String,
}

fn ord_of(ids: &Option<StrColumn>, doc: DocId) -> u64 {
    ids.as_ref().and_then(|c| c.ords().first(doc)).unwrap_or(0)
}

/// `Less` when `a` comes first: the larger key, then the larger id.
fn first_of(ids: &Option<StrColumn>, a: &(u64, DocId), b: &(u64, DocId)) -> std::cmp::Ordering {
    b.0.cmp(&a.0)
        .then_with(|| ord_of(ids, b.1).cmp(&ord_of(ids, a.1)))
}

impl NewestSegment {
    fn cut(&mut self) {
        let k = self.k.max(1);
        let ids = &self.ids;
        if self.buf.len() > k {
            self.buf
                .select_nth_unstable_by(k - 1, |a, b| first_of(ids, a, b));
            self.buf.truncate(k);
        }
        if self.buf.len() == k {
            self.threshold = self.buf.iter().copied().max_by(|a, b| first_of(ids, a, b));
        }
    }
}

impl SegmentCollector for NewestSegment {
    type Fruit = Vec<Ranked>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let key = self.keys.get_val(doc);
        if let Some((tk, tdoc)) = self.threshold {
            if key < tk || (key == tk && ord_of(&self.ids, doc) < ord_of(&self.ids, tdoc)) {
                return;
            }
        }
        if let Some(a) = &self.after {
            if key > a.key {
                return;
            }
            if key == a.key {
                // Rare: the hit at the cursor itself, or another of its key.
                let Some(ids) = self.ids.as_ref() else {
                    return;
                };
                let _ = ids.ord_to_str(ord_of(&self.ids, doc), &mut self.scratch);
                if self.scratch.as_str() >= a.id.as_str() {
                    return;
                }
            }
        }
        self.buf.push((key, doc));
        if self.buf.len() >= 2 * self.k.max(1) {
            self.cut();
        }
    }

    fn harvest(mut self) -> Vec<Ranked> {
        self.cut();
        let (ids, segment_ord) = (self.ids, self.segment_ord);
        self.buf
            .into_iter()
            .map(|(key, doc_id)| Ranked {
                key,
                id: IdRef {
                    ord: Some(ord_of(&ids, doc_id)),
                    ids: ids.clone(),
                },
                addr: DocAddress {
                    segment_ord,
                    doc_id,
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_seconds_then_the_hash() {
        let (a, b) = (
            order_key(1_790_000_000, "x:1"),
            order_key(1_790_000_001, "x:1"),
        );
        assert!(a < b);
        // Every key of a second lies below every key of the next.
        assert!(order_key(1_790_000_000, "anything") < second_floor(1_790_000_001));
        assert!(order_key(1_790_000_000, "anything") >= second_floor(1_790_000_000));
        // The ends of what the index holds, and beyond them, do not overflow.
        assert!(order_key(-MAX_INDEX_SECS, "a") < order_key(MAX_INDEX_SECS, "a"));
        assert_eq!(order_key(i64::MAX, "a"), order_key(MAX_INDEX_SECS, "a"));
        assert_eq!(order_key(i64::MIN, "a"), order_key(-MAX_INDEX_SECS, "a"));
        // Fixed forever: a change would reorder every index built before.
        assert_eq!(id_hash(""), 0xf52a_15e9_a9b5_e89b);
        assert_eq!(id_hash("rss:1"), 0x6ee7_b698_3da0_25e9);
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let c = Cursor::At(After {
            key: 0x0123_4567_89ab_cdef,
            id: "rss:https://contoh.go.id/berita?id=1&x=ü".into(),
        });
        assert_eq!(Cursor::parse(&c.render()).unwrap(), c);
        for bad in [
            "",
            ".",
            "0123456789abcdef.",
            "0123456789abcde.61",
            "0123456789abcdefg.61",
            "0123456789abcdef.6",
            "0123456789abcdef.zz",
            "0123456789abcdef.ff",
            "12_0",
            "_3",
            "7000000000000032968_2",
        ] {
            assert!(
                matches!(Cursor::parse(bad), Err(SearchError::BadQuery(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            Cursor::parse("1790000000_2").unwrap(),
            Cursor::Seconds {
                secs: 1_790_000_000,
                seen: 2
            }
        );
    }
}
