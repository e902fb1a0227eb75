//! Complaint cases: every complaint, request or question about the office opens exactly one case
//! for the OPD that owns it, and the case follows the office's answer.
//!
//! **Routing.** Each watch profile declares in `[complaints]` the categories and places it owns
//! and its response target ([`simak_core::config::ComplaintRouting`]). A complaint goes to, in
//! this order: a profile owning its category and its place; a profile owning its category
//! everywhere (no `places`); a profile owning its place whatever the category (no
//! `categories`); else the `fallback` profile (Humas). Among equals the first profile file (by
//! name) wins. The rule and its reason are the case's first event; an officer may re-route it,
//! with a reason, and that is recorded too.
//!
//! **Which mentions.** A mention the complaint analysis read as a complaint, request or question
//! that is about the office (it matched a watch profile, or names a place of the regency's
//! gazetteer), and was not written by one of the office's own accounts.
//!
//! **States.**
//!
//! ```text
//!  open ──answer(text, url)──▶ answered ──resolve──▶ resolved
//!   │  ╲                          │
//!   │   ╲─────── resolve ─────────┼──────────────▶ resolved
//!   └──────────── not_ours ───────┴──────────────▶ not_ours
//!  reroute (open / answered: to another OPD, with a reason; the state stays)
//!  reopen (resolved / not_ours ──▶ open, or answered if it was answered)
//! ```
//!
//! **Replies on the platform.** When one of the office's own accounts replies to the post (a
//! mention by an official account whose `in_reply_to` is the case's mention, where the source
//! gives it), the feeder marks the open case answered by that account, with the reply's text,
//! link and time.
//!
//! **The response clock** starts when the citizen posted (never later than when Simak opened
//! the case's clock, never in the future); `first_response_at` is the first answer; an open case
//! past its OPD's `target_hours` is overdue.
//!
//! Opening is idempotent on the mention id: a replayed batch opens nothing twice, so the feeder
//! can be at-least-once. The cases live in the review database (the same backups).

use super::{now, ts, ReviewError, ReviewStore};
use chrono::{DateTime, Duration as Hours, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use simak_analyze::complaint::Gazetteer;
use simak_analyze::profiles::WatchProfile;
use simak_core::{Complaint, ComplaintCategory, Mention};
use std::collections::HashSet;

/// Who opens and routes cases in their history.
pub const SYSTEM_ACTOR: &str = "simak";

/// The Indonesian name of a category, for what officers read.
pub fn category_label_id(c: ComplaintCategory) -> &'static str {
    match c {
        ComplaintCategory::Roads => "jalan dan jembatan",
        ComplaintCategory::Water => "air bersih",
        ComplaintCategory::Waste => "sampah",
        ComplaintCategory::Health => "kesehatan",
        ComplaintCategory::Education => "pendidikan",
        ComplaintCategory::PopulationRecords => "administrasi kependudukan",
        ComplaintCategory::Permits => "perizinan",
        ComplaintCategory::Disaster => "bencana",
        ComplaintCategory::Security => "ketertiban dan keamanan",
        ComplaintCategory::Other => "lainnya",
    }
}

/// A routing rule as officers read it.
pub fn rule_label_id(rule: &str) -> &'static str {
    match rule {
        "category_place" => "kategori dan wilayah",
        "category" => "kategori",
        "place" => "wilayah",
        _ => "cadangan",
    }
}

#[derive(Debug, Clone)]
struct Owner {
    id: String,
    categories: Vec<ComplaintCategory>,
    /// Lowercased names.
    places: Vec<String>,
    /// The names as the profile writes them.
    place_names: Vec<String>,
    target_hours: u32,
}

impl Owner {
    fn owns_place(&self, c: &Complaint) -> bool {
        c.place.as_ref().is_some_and(|p| {
            let (n, k) = (p.name.to_lowercase(), p.kecamatan.to_lowercase());
            self.places.iter().any(|o| *o == n || *o == k)
        })
    }
}

/// Where a complaint goes, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The owning profile (OPD).
    pub opd: String,
    /// Its response target in hours.
    pub target_hours: u32,
    /// The rule: `category_place`, `category`, `place` or `fallback`.
    pub rule: &'static str,
    /// Why, as officers read it (Bahasa Indonesia).
    pub reason: String,
}

/// The routing table of the watch profiles' `[complaints]` sections.
#[derive(Debug, Clone, Default)]
pub struct Router {
    owners: Vec<Owner>,
    fallback: Option<usize>,
    /// Lowercased handles of the office's own accounts, without `@`.
    official: HashSet<String>,
}

fn handle_key(h: &str) -> String {
    h.trim().trim_start_matches('@').to_lowercase()
}

impl Router {
    /// The table of `profiles` (in their order). At most one may be the fallback, and a target
    /// must be at least one hour.
    pub fn new<'a>(profiles: impl IntoIterator<Item = &'a WatchProfile>) -> Result<Router, String> {
        let mut r = Router::default();
        for p in profiles {
            let c = &p.complaints;
            if !(1..=8760).contains(&c.target_hours) {
                return Err(format!(
                    "watch profile {:?}: complaints.target_hours must be at least 1 and at most \
                     8760 (a year)",
                    p.id
                ));
            }
            if c.fallback {
                if let Some(f) = r.fallback {
                    return Err(format!(
                        "watch profiles {:?} and {:?} both say complaints.fallback = true; \
                         at most one may",
                        r.owners[f].id, p.id
                    ));
                }
                r.fallback = Some(r.owners.len());
            }
            r.official.extend(
                p.accounts
                    .iter()
                    .map(|a| handle_key(a))
                    .filter(|a| !a.is_empty()),
            );
            r.owners.push(Owner {
                id: p.id.clone(),
                categories: c.categories.clone(),
                places: c
                    .places
                    .iter()
                    .map(|s| s.trim().to_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect(),
                place_names: c.places.clone(),
                target_hours: c.target_hours,
            });
        }
        Ok(r)
    }

    /// An error naming the first place a profile owns that the gazetteer does not know (a typo
    /// there would silently route nothing).
    pub fn check_places(&self, g: &Gazetteer) -> Result<(), String> {
        for o in &self.owners {
            for p in &o.place_names {
                let known = g
                    .find(&format!("desa {p}"))
                    .into_iter()
                    .chain(g.find(&format!("kecamatan {p}")))
                    .any(|f| f.name.to_lowercase() == p.trim().to_lowercase());
                if !known {
                    return Err(format!(
                        "watch profile {:?}: complaints.places names {p:?}, which the gazetteer \
                         does not know",
                        o.id
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether `opd` is a profile of the table.
    pub fn knows(&self, opd: &str) -> bool {
        self.owners.iter().any(|o| o.id == opd)
    }

    /// The response target of `opd` (24 hours for a profile the table does not know).
    pub fn target_hours(&self, opd: &str) -> u32 {
        self.owners
            .iter()
            .find(|o| o.id == opd)
            .map_or(24, |o| o.target_hours)
    }

    /// Whether `m` should open a case: a complaint, request or question about the office, not
    /// written by one of its own accounts.
    pub fn opens_case(&self, m: &Mention) -> bool {
        let Some(c) = &m.complaint else {
            return false;
        };
        if !c.kind.has_category() || (m.profiles.is_empty() && c.place.is_none()) {
            return false;
        }
        self.official_author(m).is_none()
    }

    /// The handle of `m`'s author when it is one of the office's own accounts.
    pub fn official_author<'m>(&self, m: &'m Mention) -> Option<&'m str> {
        m.author
            .handle
            .as_deref()
            .filter(|h| self.official.contains(&handle_key(h)))
    }

    /// Where `c` goes (None: no profile owns it and none is the fallback).
    pub fn route(&self, c: &Complaint) -> Option<Route> {
        let place = c.place.as_ref().map(|p| p.name.as_str()).unwrap_or("");
        let pick = |o: &Owner, rule: &'static str, reason: String| Route {
            opd: o.id.clone(),
            target_hours: o.target_hours,
            rule,
            reason,
        };
        if let Some(cat) = c.category {
            let label = category_label_id(cat);
            let of_cat = || self.owners.iter().filter(|o| o.categories.contains(&cat));
            if let Some(o) = of_cat().find(|o| !o.places.is_empty() && o.owns_place(c)) {
                let why = format!("kategori {label} di wilayah {place} dipegang {}", o.id);
                return Some(pick(o, "category_place", why));
            }
            if let Some(o) = of_cat().find(|o| o.places.is_empty()) {
                let why = format!("kategori {label} dipegang {}", o.id);
                return Some(pick(o, "category", why));
            }
        }
        if let Some(o) = self
            .owners
            .iter()
            .find(|o| o.categories.is_empty() && o.owns_place(c))
        {
            let why = format!("wilayah {place} dipegang {}", o.id);
            return Some(pick(o, "place", why));
        }
        let o = &self.owners[self.fallback?];
        let why = match c.category {
            Some(cat) => format!(
                "tidak ada OPD yang memegang kategori {}{}: ke {} (cadangan)",
                category_label_id(cat),
                if place.is_empty() {
                    String::new()
                } else {
                    format!(" di wilayah {place}")
                },
                o.id
            ),
            None => format!("kategori tidak jelas: ke {} (cadangan)", o.id),
        };
        Some(pick(o, "fallback", why))
    }
}

/// The state of a complaint case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ComplaintStatus))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for the OPD's answer.
    Open,
    /// The OPD answered publicly.
    Answered,
    /// Settled.
    Resolved,
    /// Not the office's business (spam, another authority, not a complaint).
    NotOurs,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 4] = [
        Status::Open,
        Status::Answered,
        Status::Resolved,
        Status::NotOurs,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        ["open", "answered", "resolved", "not_ours"][self as usize]
    }

    /// As officers read it.
    pub fn label_id(self) -> &'static str {
        ["terbuka", "sudah dijawab", "selesai", "bukan wewenang kami"][self as usize]
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<Status, ReviewError> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                ReviewError::Invalid(format!(
                    "unknown status {s:?} (open, answered, resolved, not_ours)"
                ))
            })
    }
}

/// The longest answer, note or reason kept, in characters.
pub const MAX_TEXT: usize = 5000;

/// What an officer does to a complaint case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComplaintAction {
    /// Record the public answer: its text and, where there is one, the link to it.
    Answer {
        /// What the office answered.
        text: String,
        /// The public reply (http or https).
        url: Option<String>,
    },
    /// Settle it.
    Resolve,
    /// Not the office's business.
    NotOurs,
    /// Hand it to another OPD, saying why.
    Reroute {
        /// The profile that owns it.
        opd: String,
    },
    /// Open a settled case again.
    Reopen,
}

/// `v` trimmed, None when blank; more than [`MAX_TEXT`] characters is an error.
fn text_field(name: &str, v: Option<&str>) -> Result<Option<String>, ReviewError> {
    if v.is_some_and(|s| s.chars().count() > MAX_TEXT) {
        return Err(ReviewError::Invalid(format!(
            "{name} must be at most {MAX_TEXT} characters"
        )));
    }
    Ok(v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string))
}

impl ComplaintAction {
    /// Parses an action (`answer` needs `text`, and `url` if given must be an http(s) address
    /// without spaces;
    /// `reroute` needs `opd`; the reason of a re-route is the note, and required).
    pub fn parse(
        name: &str,
        text: Option<&str>,
        url: Option<&str>,
        opd: Option<&str>,
        note: Option<&str>,
    ) -> Result<ComplaintAction, ReviewError> {
        let bad = |m: String| Err(ReviewError::Invalid(m));
        Ok(match name {
            "answer" => {
                let Some(text) = text_field("text", text)? else {
                    return bad("answer needs the text of the office's answer".into());
                };
                let url = match url.filter(|u| !u.is_empty()) {
                    Some(u) if u.len() > 2000 => {
                        return bad("url must be at most 2000 characters".into())
                    }
                    Some(u)
                        if (u.starts_with("https://") || u.starts_with("http://"))
                            && !u.chars().any(char::is_whitespace) =>
                    {
                        Some(u.to_string())
                    }
                    Some(u) => {
                        return bad(format!(
                            "url must be the public reply's http(s) address, got {u:?}"
                        ))
                    }
                    None => None,
                };
                ComplaintAction::Answer { text, url }
            }
            "resolve" => ComplaintAction::Resolve,
            "not_ours" | "not-ours" => ComplaintAction::NotOurs,
            "reopen" => ComplaintAction::Reopen,
            "reroute" => {
                let Some(opd) = opd.map(str::trim).filter(|s| !s.is_empty()) else {
                    return bad("reroute needs opd, the watch profile that owns it".into());
                };
                if text_field("note", note)?.is_none() {
                    return bad("reroute needs a note saying why".into());
                }
                ComplaintAction::Reroute {
                    opd: opd.to_string(),
                }
            }
            _ => {
                return bad(format!(
                    "unknown action {name:?} (answer, resolve, not_ours, reroute, reopen)"
                ))
            }
        })
    }

    /// Its name in the history.
    pub fn name(&self) -> &'static str {
        match self {
            ComplaintAction::Answer { .. } => "answer",
            ComplaintAction::Resolve => "resolve",
            ComplaintAction::NotOurs => "not_ours",
            ComplaintAction::Reroute { .. } => "reroute",
            ComplaintAction::Reopen => "reopen",
        }
    }

    /// The status it leads to from `from` (`answered`: whether the case was ever answered).
    pub fn next(&self, from: Status, answered: bool) -> Option<Status> {
        use Status::*;
        match (self, from) {
            (ComplaintAction::Answer { .. }, Open | Answered) => Some(Answered),
            (ComplaintAction::Resolve, Open | Answered) => Some(Resolved),
            (ComplaintAction::NotOurs, Open | Answered) => Some(NotOurs),
            (ComplaintAction::Reroute { .. }, Open | Answered) => Some(from),
            (ComplaintAction::Reopen, Resolved | NotOurs) => {
                Some(if answered { Answered } else { Open })
            }
            _ => None,
        }
    }
}

/// A complaint case.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintCase {
    /// The case number.
    pub id: i64,
    /// The OPD (watch profile) that owns it.
    pub opd: String,
    /// Its status.
    pub status: Status,
    /// Complaint, request or question.
    pub kind: String,
    /// The service it is about.
    pub category: Option<String>,
    /// The kecamatan or desa it names.
    pub place: Option<String>,
    /// What the citizen wrote.
    pub text: String,
    /// Where (the post or comment).
    pub url: Option<String>,
    /// Who wrote it (handle or name).
    pub author: Option<String>,
    /// The source (`instagram`, `x`, `import`, ...).
    pub source: String,
    /// The mention it came from.
    pub mention_id: String,
    /// When the citizen posted it: the response clock starts here.
    pub posted_at: String,
    /// When Simak opened the case.
    pub opened_at: String,
    /// When the first answer is due (the OPD's target after `posted_at`).
    pub due_at: String,
    /// When the office first answered.
    pub first_response_at: Option<String>,
    /// Open past `due_at`.
    pub overdue: bool,
    /// The latest answer's text.
    pub answer_text: Option<String>,
    /// The latest answer's public link.
    pub answer_url: Option<String>,
    /// When it was resolved or found not ours.
    pub closed_at: Option<String>,
    /// When it last changed.
    pub updated_at: String,
}

/// One event of a complaint case's history.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintEvent {
    /// When.
    pub at: String,
    /// Who (an account, or `simak` for opening and routing).
    pub actor: String,
    /// `opened`, `routed`, `answer`, `resolve`, `not_ours`, `reroute`, `reopen`.
    pub action: String,
    /// Status before.
    pub from: String,
    /// Status after.
    pub to: String,
    /// The OPD after the event.
    pub opd: String,
    /// The OPD before a re-route.
    pub from_opd: Option<String>,
    /// The routing rule's reason, the re-route's reason, the answer's text or the officer's
    /// note.
    pub note: Option<String>,
    /// The public reply, for `answer`.
    pub url: Option<String>,
}

/// Which complaint cases to list.
#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter {
    /// Only these OPDs (all if empty).
    pub opds: Vec<String>,
    /// Only this status.
    pub status: Option<Status>,
    /// Only this category.
    pub category: Option<ComplaintCategory>,
    /// Only open cases past their target (true) or only the others (false).
    pub overdue: Option<bool>,
    /// Posted at or after.
    pub since: Option<DateTime<Utc>>,
    /// Posted before.
    pub until: Option<DateTime<Utc>>,
    /// At most this many (default 50, at most 1000).
    pub limit: Option<usize>,
    /// Skip this many.
    pub offset: usize,
}

/// An OPD's complaint figures over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintFigures {
    /// The OPD.
    pub opd: String,
    /// Cases posted in the period.
    pub opened: u64,
    /// Of them, answered (whatever their status now).
    pub answered: u64,
    /// Open past their target now.
    pub overdue: u64,
    /// The median time to the first answer of the answered ones, in minutes.
    pub median_response_minutes: Option<u64>,
}

const COLS: &str = "id, opd, status, kind, category, place, text, url, author, source, \
    mention_id, posted_at, opened_at, due_at, first_response_at, answer_text, answer_url, \
    closed_at, updated_at";

fn case_row(r: &rusqlite::Row<'_>, now: &str) -> rusqlite::Result<ComplaintCase> {
    let status = Status::parse(&r.get::<_, String>(2)?).unwrap_or(Status::Open);
    let due: String = r.get(13)?;
    Ok(ComplaintCase {
        id: r.get(0)?,
        opd: r.get(1)?,
        status,
        kind: r.get(3)?,
        category: r.get(4)?,
        place: r.get(5)?,
        text: r.get(6)?,
        url: r.get(7)?,
        author: r.get(8)?,
        source: r.get(9)?,
        mention_id: r.get(10)?,
        posted_at: r.get(11)?,
        opened_at: r.get(12)?,
        overdue: status == Status::Open && due.as_str() < now,
        due_at: due,
        first_response_at: r.get(14)?,
        answer_text: r.get(15)?,
        answer_url: r.get(16)?,
        closed_at: r.get(17)?,
        updated_at: r.get(18)?,
    })
}

#[allow(clippy::too_many_arguments)]
fn event(
    conn: &Connection,
    at: &str,
    id: i64,
    actor: &str,
    action: &str,
    (from, to): (Status, Status),
    (opd, from_opd): (&str, Option<&str>),
    (note, url): (Option<&str>, Option<&str>),
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO complaint_events \
         (complaint_id, at, actor, action, from_status, to_status, opd, from_opd, note, url) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            at,
            actor,
            action,
            from.as_str(),
            to.as_str(),
            opd,
            from_opd,
            note,
            url
        ],
    )?;
    Ok(())
}

impl ReviewStore {
    /// Opens a case for each mention of `mentions` that should have one ([`Router::opens_case`])
    /// and has none yet, routed by `router`, in one transaction; returns how many were opened.
    pub fn open_complaints(
        &self,
        mentions: &[Mention],
        router: &Router,
    ) -> Result<usize, ReviewError> {
        let mut conn = self.conn.lock().expect("review db lock");
        let tx = conn.transaction()?;
        let mut opened = 0;
        let t_now = Utc::now();
        for m in mentions {
            if !router.opens_case(m) {
                continue;
            }
            let c = m.complaint.as_ref().expect("opens_case checked it");
            let Some(route) = router.route(c) else {
                continue;
            };
            let posted = m.published_at.min(t_now);
            let due = posted + Hours::hours(i64::from(route.target_hours));
            let author = m.author.handle.clone().or_else(|| m.author.name.clone());
            let t = now();
            let n = tx.execute(
                "INSERT INTO complaints (mention_id, opd, kind, category, place, text, url, \
                 author, source, posted_at, opened_at, due_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11) \
                 ON CONFLICT(mention_id) DO NOTHING",
                params![
                    m.id,
                    route.opd,
                    c.kind.as_str(),
                    c.category.map(|x| x.as_str()),
                    c.place.as_ref().map(|p| p.name.clone()),
                    m.text,
                    m.url,
                    author,
                    m.source,
                    ts(&posted),
                    t,
                    ts(&due)
                ],
            )?;
            if n == 0 {
                continue;
            }
            let id = tx.last_insert_rowid();
            let open = (Status::Open, Status::Open);
            event(
                &tx,
                &t,
                id,
                SYSTEM_ACTOR,
                "opened",
                open,
                (&route.opd, None),
                (None, None),
            )?;
            let note = format!("{} · aturan {}", route.reason, rule_label_id(route.rule));
            event(
                &tx,
                &t,
                id,
                SYSTEM_ACTOR,
                "routed",
                open,
                (&route.opd, None),
                (Some(&note), None),
            )?;
            opened += 1;
        }
        tx.commit()?;
        Ok(opened)
    }

    /// Marks answered the open cases that one of the office's own accounts replied to on the
    /// platform (a mention by an official account whose `in_reply_to` is the case's mention),
    /// with the reply's text, link and time, the account as the actor. A case already answered,
    /// resolved or not ours is left alone, so a replay changes nothing. Returns how many.
    pub fn record_official_replies(
        &self,
        mentions: &[Mention],
        router: &Router,
    ) -> Result<usize, ReviewError> {
        let mut n = 0;
        for m in mentions {
            let (Some(handle), Some(parent)) = (router.official_author(m), &m.in_reply_to) else {
                continue;
            };
            let Some(case) = self.complaint_of_mention(parent)? else {
                continue;
            };
            if case.status != Status::Open {
                continue;
            }
            let text: String = m.text.trim().chars().take(MAX_TEXT).collect();
            let answer = ComplaintAction::Answer {
                text: if text.is_empty() {
                    "(balasan tanpa teks)".into()
                } else {
                    text
                },
                url: m
                    .url
                    .clone()
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            };
            let actor = format!("@{}", handle.trim_start_matches('@'));
            let at = m.published_at.min(Utc::now());
            match self.act_on_complaint_at(case.id, &actor, &answer, None, router, at) {
                Ok(_) => n += 1,
                // Answered in between by an officer: nothing to do.
                Err(ReviewError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Complaint cases: open ones first, the most urgent first; then answered, then the rest,
    /// newest first.
    pub fn complaints(&self, f: &ComplaintFilter) -> Result<Vec<ComplaintCase>, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        let t = now();
        let mut sql = format!("SELECT {COLS} FROM complaints WHERE 1=1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if !f.opds.is_empty() {
            sql.push_str(&format!(
                " AND opd IN ({})",
                vec!["?"; f.opds.len()].join(",")
            ));
            args.extend(f.opds.iter().map(|p| p.clone().into()));
        }
        if let Some(s) = f.status {
            sql.push_str(" AND status = ?");
            args.push(s.as_str().to_string().into());
        }
        if let Some(c) = f.category {
            sql.push_str(" AND category = ?");
            args.push(c.as_str().to_string().into());
        }
        match f.overdue {
            Some(true) => {
                sql.push_str(" AND status = 'open' AND due_at < ?");
                args.push(t.clone().into());
            }
            Some(false) => {
                sql.push_str(" AND NOT (status = 'open' AND due_at < ?)");
                args.push(t.clone().into());
            }
            None => {}
        }
        if let Some(s) = f.since {
            sql.push_str(" AND posted_at >= ?");
            args.push(ts(&s).into());
        }
        if let Some(u) = f.until {
            sql.push_str(" AND posted_at < ?");
            args.push(ts(&u).into());
        }
        sql.push_str(
            " ORDER BY CASE status WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END, \
             CASE status WHEN 'open' THEN due_at ELSE '' END, posted_at DESC, id \
             LIMIT ? OFFSET ?",
        );
        args.push((f.limit.unwrap_or(50).min(1000) as i64).into());
        args.push((f.offset.min(i64::MAX as usize) as i64).into());
        let mut st = conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args), |r| case_row(r, &t))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One complaint case.
    pub fn complaint(&self, id: i64) -> Result<ComplaintCase, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        complaint_in(&conn, id)
    }

    /// The complaint case `mention_id` opened, if any.
    pub fn complaint_of_mention(
        &self,
        mention_id: &str,
    ) -> Result<Option<ComplaintCase>, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        let t = now();
        Ok(conn
            .query_row(
                &format!("SELECT {COLS} FROM complaints WHERE mention_id = ?1"),
                [mention_id],
                |r| case_row(r, &t),
            )
            .optional()?)
    }

    /// The history of a complaint case, oldest first.
    pub fn complaint_events(&self, id: i64) -> Result<Vec<ComplaintEvent>, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        let mut st = conn.prepare(
            "SELECT at, actor, action, from_status, to_status, opd, from_opd, note, url \
             FROM complaint_events WHERE complaint_id = ?1 ORDER BY seq",
        )?;
        let rows = st.query_map([id], |r| {
            Ok(ComplaintEvent {
                at: r.get(0)?,
                actor: r.get(1)?,
                action: r.get(2)?,
                from: r.get(3)?,
                to: r.get(4)?,
                opd: r.get(5)?,
                from_opd: r.get(6)?,
                note: r.get(7)?,
                url: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Applies `action` by `actor` with an optional note (a re-route's reason), and records it in
    /// the history. A re-route must name a profile `router` knows, other than the current one;
    /// the case's due time follows the new OPD's target.
    pub fn act_on_complaint(
        &self,
        id: i64,
        actor: &str,
        action: &ComplaintAction,
        note: Option<&str>,
        router: &Router,
    ) -> Result<ComplaintCase, ReviewError> {
        self.act_on_complaint_at(id, actor, action, note, router, Utc::now())
    }

    /// [`ReviewStore::act_on_complaint`] as if done `at` (the demo's history of answers).
    pub fn act_on_complaint_at(
        &self,
        id: i64,
        actor: &str,
        action: &ComplaintAction,
        note: Option<&str>,
        router: &Router,
        at: DateTime<Utc>,
    ) -> Result<ComplaintCase, ReviewError> {
        if actor.trim().is_empty() {
            return Err(ReviewError::Invalid("who acts must be named".into()));
        }
        let note = text_field("note", note)?;
        let mut conn = self.conn.lock().expect("review db lock");
        let tx = conn.transaction()?;
        let case = complaint_in(&tx, id)?;
        let to = action
            .next(case.status, case.first_response_at.is_some())
            .ok_or_else(|| {
                ReviewError::Conflict(format!(
                    "cannot {} a complaint that is {}",
                    action.name(),
                    case.status.as_str()
                ))
            })?;
        let t = ts(&at);
        let mut opd = case.opd.clone();
        match action {
            ComplaintAction::Answer { text, url } => {
                tx.execute(
                    "UPDATE complaints SET status = ?2, answer_text = ?3, answer_url = ?4, \
                     first_response_at = COALESCE(first_response_at, ?5), updated_at = ?5 \
                     WHERE id = ?1",
                    params![id, to.as_str(), text, url, t],
                )?;
            }
            ComplaintAction::Resolve | ComplaintAction::NotOurs => {
                tx.execute(
                    "UPDATE complaints SET status = ?2, closed_at = ?3, updated_at = ?3 \
                     WHERE id = ?1",
                    params![id, to.as_str(), t],
                )?;
            }
            ComplaintAction::Reopen => {
                tx.execute(
                    "UPDATE complaints SET status = ?2, closed_at = NULL, updated_at = ?3 \
                     WHERE id = ?1",
                    params![id, to.as_str(), t],
                )?;
            }
            ComplaintAction::Reroute { opd: new } => {
                if !router.knows(new) {
                    return Err(ReviewError::Invalid(format!(
                        "no watch profile {new:?} to re-route to"
                    )));
                }
                if *new == case.opd {
                    return Err(ReviewError::Conflict(format!(
                        "the complaint is already {new:?}'s"
                    )));
                }
                let posted = DateTime::parse_from_rfc3339(&case.posted_at)
                    .map(|d| d.with_timezone(&Utc))
                    .unwrap_or_else(|_| Utc::now());
                let due = posted + Hours::hours(i64::from(router.target_hours(new)));
                tx.execute(
                    "UPDATE complaints SET opd = ?2, due_at = ?3, updated_at = ?4 WHERE id = ?1",
                    params![id, new, ts(&due), t],
                )?;
                opd = new.clone();
            }
        }
        let (ev_note, url) = match action {
            ComplaintAction::Answer { text, url } => (Some(text.as_str()), url.as_deref()),
            _ => (note.as_deref(), None),
        };
        let from_opd = (opd != case.opd).then_some(case.opd.as_str());
        event(
            &tx,
            &t,
            id,
            actor,
            action.name(),
            (case.status, to),
            (&opd, from_opd),
            (ev_note, url),
        )?;
        let after = complaint_in(&tx, id)?;
        tx.commit()?;
        Ok(after)
    }

    /// The open cases past their target at `at`, oldest due first.
    pub fn overdue_complaints(&self, at: DateTime<Utc>) -> Result<Vec<ComplaintCase>, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        let t = ts(&at);
        let mut st = conn.prepare(&format!(
            "SELECT {COLS} FROM complaints WHERE status = 'open' AND due_at < ?1 \
             ORDER BY due_at, id"
        ))?;
        let rows = st.query_map([&t], |r| case_row(r, &t))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// `opd`'s figures for the cases posted in `since..until`; `overdue` counts its cases open
    /// past their target now, whenever they were posted (what is late now is late).
    pub fn complaint_figures(
        &self,
        opd: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<ComplaintFigures, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        let mut st = conn.prepare(
            "SELECT posted_at, first_response_at FROM complaints \
             WHERE opd = ?1 AND posted_at >= ?2 AND posted_at < ?3",
        )?;
        let rows: Vec<(String, Option<String>)> = st
            .query_map(params![opd, ts(&since), ts(&until)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        let parse = |s: &str| DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc));
        let mut minutes: Vec<u64> = rows
            .iter()
            .filter_map(|(p, f)| {
                let (p, f) = (parse(p).ok()?, parse(f.as_deref()?).ok()?);
                Some((f - p).num_minutes().max(0) as u64)
            })
            .collect();
        minutes.sort_unstable();
        let median = match minutes.len() {
            0 => None,
            n if n % 2 == 1 => Some(minutes[n / 2]),
            n => Some((minutes[n / 2 - 1] + minutes[n / 2]) / 2),
        };
        let overdue: i64 = conn.query_row(
            "SELECT COUNT(*) FROM complaints WHERE opd = ?1 AND status = 'open' AND due_at < ?2",
            params![opd, now()],
            |r| r.get(0),
        )?;
        Ok(ComplaintFigures {
            opd: opd.to_string(),
            opened: rows.len() as u64,
            answered: minutes.len() as u64,
            overdue: overdue as u64,
            median_response_minutes: median,
        })
    }
}

/// When one complaint case was posted, due and first answered: what the OPD accounts' ranking
/// reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseTiming {
    /// The OPD that owns the case now.
    pub opd: String,
    /// Its status now.
    pub status: Status,
    /// When the citizen posted it.
    pub posted_at: DateTime<Utc>,
    /// When the first answer was due.
    pub due_at: DateTime<Utc>,
    /// When the office first answered.
    pub first_response_at: Option<DateTime<Utc>>,
}

impl ReviewStore {
    /// The timings of every case posted in `since..until`, of every OPD, oldest first.
    pub fn complaint_timings(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<CaseTiming>, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        let mut st = conn.prepare(
            "SELECT opd, status, posted_at, due_at, first_response_at FROM complaints \
             WHERE posted_at >= ?1 AND posted_at < ?2 ORDER BY posted_at, id",
        )?;
        let parse = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        0,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })
        };
        let rows = st.query_map(params![ts(&since), ts(&until)], |r| {
            let first: Option<String> = r.get(4)?;
            Ok(CaseTiming {
                opd: r.get(0)?,
                status: Status::parse(&r.get::<_, String>(1)?).unwrap_or(Status::Open),
                posted_at: parse(&r.get::<_, String>(2)?)?,
                due_at: parse(&r.get::<_, String>(3)?)?,
                first_response_at: first.as_deref().map(parse).transpose()?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn complaint_in(conn: &Connection, id: i64) -> Result<ComplaintCase, ReviewError> {
    let t = now();
    conn.query_row(
        &format!("SELECT {COLS} FROM complaints WHERE id = ?1"),
        [id],
        |r| case_row(r, &t),
    )
    .optional()?
    .ok_or_else(|| ReviewError::NotFound(format!("complaint {id}")))
}

/// The routing table the feeder and the server use: the watch profiles of `cfg`, with their
/// places checked against its gazetteer.
pub fn load_router(cfg: &simak_core::Config) -> Result<Router, String> {
    let profiles = simak_analyze::profiles::Profiles::load_dir(&cfg.analyzer.profiles_dir)
        .map_err(|e| e.to_string())?;
    let router = Router::new(profiles.iter())?;
    let g = Gazetteer::load(&cfg.analyzer.gazetteer)?;
    router.check_places(&g)?;
    Ok(router)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(toml_text: &str) -> WatchProfile {
        toml::from_str(toml_text).unwrap()
    }

    fn router() -> Router {
        let ps = [
            profile(
                "id = \"dinkes\"\nname = \"Dinkes\"\n[complaints]\ncategories = [\"health\"]\n",
            ),
            profile(
                "id = \"dpupr\"\nname = \"DPUPR\"\naccounts = [\"@dpupr_skm\"]\n\
                 [complaints]\ncategories = [\"roads\", \"water\"]\ntarget_hours = 48\n",
            ),
            profile(
                "id = \"kec-cibening\"\nname = \"Kecamatan Cibening\"\n\
                 [complaints]\nplaces = [\"Cibening\"]\n",
            ),
            profile(
                "id = \"puskesmas-kauman\"\nname = \"Puskesmas\"\n\
                 [complaints]\ncategories = [\"health\"]\nplaces = [\"Kauman\"]\n",
            ),
            profile("id = \"pemkab\"\nname = \"Pemkab\"\n[complaints]\nfallback = true\n"),
            profile("id = \"diskominfo\"\nname = \"Kominfo\"\n"),
        ];
        Router::new(ps.iter()).unwrap()
    }

    fn gazetteer() -> Gazetteer {
        Gazetteer::parse(include_str!("../../../config/gazetteer.toml")).unwrap()
    }

    fn complaint(cat: Option<&str>, text: &str) -> Complaint {
        Complaint {
            kind: simak_core::ComplaintKind::Complaint,
            category: cat.map(|c| ComplaintCategory::parse(c).unwrap()),
            place: gazetteer().find(text),
            confidence: 0.9,
        }
    }

    fn mention(id: &str, cat: Option<&str>, text: &str, hours_ago: i64) -> Mention {
        let at = Utc::now() - Hours::hours(hours_ago);
        let mut m: Mention = serde_json::from_value(serde_json::json!({
            "id": id, "source": "instagram", "text": text,
            "url": format!("https://instagram.example/p/{id}"),
            "author": {"handle": "@warga1"},
            "published_at": at, "fetched_at": at, "profiles": ["pemkab"],
        }))
        .unwrap();
        m.complaint = Some(complaint(cat, text));
        m
    }

    fn store() -> (tempfile::TempDir, ReviewStore) {
        let d = tempfile::tempdir().unwrap();
        let s = ReviewStore::open(&d.path().join("review.sqlite")).unwrap();
        (d, s)
    }

    #[test]
    fn routes_by_category_then_place_then_fallback() {
        let r = router();
        let go = |cat: Option<&str>, text: &str| {
            let route = r.route(&complaint(cat, text)).unwrap();
            (route.opd, route.rule)
        };
        assert_eq!(
            go(Some("roads"), "jalan rusak"),
            ("dpupr".into(), "category")
        );
        assert_eq!(
            go(Some("water"), "air mati di Cibening"),
            ("dpupr".into(), "category")
        );
        // The local health office owns its desa; elsewhere the health office does.
        assert_eq!(
            go(Some("health"), "puskesmas di desa Kauman tutup"),
            ("puskesmas-kauman".into(), "category_place")
        );
        assert_eq!(
            go(Some("health"), "puskesmas di Karanganyar tutup"),
            ("dinkes".into(), "category")
        );
        // No one owns waste: the kecamatan owns what happens in its desa, else Humas.
        assert_eq!(
            go(Some("waste"), "sampah numpuk di desa Sindangsari"),
            ("kec-cibening".into(), "place")
        );
        assert_eq!(
            go(Some("waste"), "sampah numpuk"),
            ("pemkab".into(), "fallback")
        );
        let why = r.route(&complaint(None, "tolong")).unwrap();
        assert_eq!((why.opd.as_str(), why.rule), ("pemkab", "fallback"));
        assert!(why.reason.contains("tidak jelas"), "{}", why.reason);
        assert_eq!(r.target_hours("dpupr"), 48);
        assert_eq!(r.target_hours("dinkes"), 24);
        r.check_places(&gazetteer()).unwrap();
    }

    #[test]
    fn a_routing_table_is_checked() {
        let two = [
            profile("id = \"a\"\nname = \"A\"\n[complaints]\nfallback = true\n"),
            profile("id = \"b\"\nname = \"B\"\n[complaints]\nfallback = true\n"),
        ];
        let e = Router::new(two.iter()).unwrap_err();
        assert!(e.contains("at most one"), "{e}");
        let zero = [profile(
            "id = \"a\"\nname = \"A\"\n[complaints]\ntarget_hours = 0\n",
        )];
        assert!(Router::new(zero.iter()).is_err());
        let typo = [profile(
            "id = \"a\"\nname = \"A\"\n[complaints]\nplaces = [\"Cibenign\"]\n",
        )];
        let e = Router::new(typo.iter())
            .unwrap()
            .check_places(&gazetteer())
            .unwrap_err();
        assert!(e.contains("Cibenign"), "{e}");
        let bad: Result<WatchProfile, _> =
            toml::from_str("id = \"a\"\nname = \"A\"\n[complaints]\ncategories = [\"roadz\"]\n");
        assert!(bad.is_err());
        // Without a fallback, what nobody owns opens no case.
        let none = [profile("id = \"a\"\nname = \"A\"\n")];
        assert!(Router::new(none.iter())
            .unwrap()
            .route(&complaint(Some("roads"), "x"))
            .is_none());
    }

    #[test]
    fn the_shipped_profiles_route_over_three_opds() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/profiles");
        let ps = simak_analyze::profiles::Profiles::load_dir(&dir).unwrap();
        let r = Router::new(ps.iter()).unwrap();
        r.check_places(&gazetteer()).unwrap();
        let opds: HashSet<String> = ["roads", "health", "waste"]
            .into_iter()
            .map(|c| r.route(&complaint(Some(c), "x")).unwrap().opd)
            .collect();
        assert_eq!(opds.len(), 3, "{opds:?}");
    }

    #[test]
    fn each_complaint_opens_one_case_and_replays_open_none() {
        let (_d, s) = store();
        let r = router();
        let mut praise = mention("m:4", Some("roads"), "terima kasih", 1);
        praise.complaint.as_mut().unwrap().kind = simak_core::ComplaintKind::Praise;
        let mut own = mention("m:5", Some("roads"), "jalan ditutup", 1);
        own.author.handle = Some("DPUPR_SKM".into());
        let mut elsewhere = mention("m:6", Some("roads"), "jalan rusak di kota lain", 1);
        elsewhere.profiles.clear();
        let batch = vec![
            mention("m:1", Some("roads"), "jalan rusak di desa Kauman", 1),
            mention("m:2", Some("health"), "antrean puskesmas", 30),
            mention("m:3", None, "tolong <b>pak</b>", 2),
            praise,
            own,
            elsewhere,
        ];
        assert_eq!(s.open_complaints(&batch, &r).unwrap(), 3);
        assert_eq!(s.open_complaints(&batch, &r).unwrap(), 0, "a replay");
        let all = s.complaints(&ComplaintFilter::default()).unwrap();
        assert_eq!(all.len(), 3);
        // The late one first.
        assert_eq!(all[0].mention_id, "m:2");
        assert!(all[0].overdue);
        assert!(!all[1].overdue);
        let c = s.complaint_of_mention("m:1").unwrap().unwrap();
        assert_eq!((c.opd.as_str(), c.status), ("dpupr", Status::Open));
        assert_eq!(c.place.as_deref(), Some("Kauman"));
        let h = s.complaint_events(c.id).unwrap();
        let actions: Vec<&str> = h.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["opened", "routed"]);
        assert!(
            h[1].note
                .as_deref()
                .unwrap()
                .ends_with(" · aturan kategori"),
            "{:?}",
            h[1].note
        );
        let f = |f: ComplaintFilter| -> Vec<String> {
            s.complaints(&f)
                .unwrap()
                .into_iter()
                .map(|c| c.mention_id)
                .collect()
        };
        assert_eq!(
            f(ComplaintFilter {
                opds: vec!["pemkab".into()],
                ..Default::default()
            }),
            ["m:3"]
        );
        assert_eq!(
            f(ComplaintFilter {
                category: Some(ComplaintCategory::Health),
                ..Default::default()
            }),
            ["m:2"]
        );
        assert_eq!(
            f(ComplaintFilter {
                overdue: Some(true),
                ..Default::default()
            }),
            ["m:2"]
        );
        assert_eq!(
            f(ComplaintFilter {
                since: Some(Utc::now() - Hours::hours(10)),
                ..Default::default()
            }),
            ["m:3", "m:1"]
        );
    }

    #[test]
    fn answer_reroute_resolve_and_history() {
        let (_d, s) = store();
        let r = router();
        s.open_complaints(&[mention("m:1", Some("waste"), "sampah", 3)], &r)
            .unwrap();
        let id = s.complaint_of_mention("m:1").unwrap().unwrap().id;
        let reroute = ComplaintAction::parse("reroute", None, None, Some("dpupr"), Some("x"));
        assert!(ComplaintAction::parse("reroute", None, None, Some("dpupr"), None).is_err());
        assert!(ComplaintAction::parse("answer", None, None, None, None).is_err());
        assert!(
            ComplaintAction::parse("answer", Some("ok"), Some("javascript:x"), None, None).is_err()
        );
        assert!(ComplaintAction::parse("close", None, None, None, None).is_err());
        let bad = ComplaintAction::Reroute { opd: "nope".into() };
        assert!(matches!(
            s.act_on_complaint(id, "admin", &bad, Some("x"), &r),
            Err(ReviewError::Invalid(_))
        ));
        let c = s
            .act_on_complaint(
                id,
                "humas",
                &reroute.unwrap(),
                Some("sampah di saluran"),
                &r,
            )
            .unwrap();
        assert_eq!((c.opd.as_str(), c.status), ("dpupr", Status::Open));
        // The due time follows the new OPD's target (48 h after the post).
        let posted = DateTime::parse_from_rfc3339(&c.posted_at).unwrap();
        let due = DateTime::parse_from_rfc3339(&c.due_at).unwrap();
        assert_eq!((due - posted).num_hours(), 48);
        let answer = ComplaintAction::parse(
            "answer",
            Some("Sudah kami angkut, terima kasih"),
            Some("https://instagram.example/p/m:1/c/9"),
            None,
            None,
        )
        .unwrap();
        let c = s.act_on_complaint(id, "pu-1", &answer, None, &r).unwrap();
        assert_eq!(c.status, Status::Answered);
        let first = c.first_response_at.clone().unwrap();
        let c = s.act_on_complaint(id, "pu-1", &answer, None, &r).unwrap();
        assert_eq!(c.first_response_at.as_deref(), Some(first.as_str()));
        let c = s
            .act_on_complaint(id, "pu-1", &ComplaintAction::Resolve, None, &r)
            .unwrap();
        assert_eq!(c.status, Status::Resolved);
        let e = s
            .act_on_complaint(id, "pu-1", &ComplaintAction::Resolve, None, &r)
            .unwrap_err();
        assert!(matches!(e, ReviewError::Conflict(_)), "{e}");
        let c = s
            .act_on_complaint(id, "pu-1", &ComplaintAction::Reopen, None, &r)
            .unwrap();
        assert_eq!(c.status, Status::Answered, "it was answered before");
        let h = s.complaint_events(id).unwrap();
        let seen: Vec<(&str, &str, &str, &str)> = h
            .iter()
            .map(|e| {
                (
                    e.actor.as_str(),
                    e.action.as_str(),
                    e.to.as_str(),
                    e.opd.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("simak", "opened", "open", "pemkab"),
                ("simak", "routed", "open", "pemkab"),
                ("humas", "reroute", "open", "dpupr"),
                ("pu-1", "answer", "answered", "dpupr"),
                ("pu-1", "answer", "answered", "dpupr"),
                ("pu-1", "resolve", "resolved", "dpupr"),
                ("pu-1", "reopen", "answered", "dpupr"),
            ]
        );
        assert_eq!(h[2].from_opd.as_deref(), Some("pemkab"));
        assert_eq!(h[2].note.as_deref(), Some("sampah di saluran"));
        assert_eq!(
            h[3].url.as_deref(),
            Some("https://instagram.example/p/m:1/c/9")
        );
        assert!(matches!(s.complaint(999), Err(ReviewError::NotFound(_))));
        let fig = s
            .complaint_figures("dpupr", Utc::now() - Hours::hours(24), Utc::now())
            .unwrap();
        assert_eq!((fig.opened, fig.answered, fig.overdue), (1, 1, 0));
        assert!(fig.median_response_minutes.unwrap() >= 179, "{fig:?}");
        // The timings the accounts' ranking reads: the case, its OPD now, its first answer.
        let t = s
            .complaint_timings(Utc::now() - Hours::hours(24), Utc::now())
            .unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(
            (t[0].opd.as_str(), t[0].status),
            ("dpupr", Status::Answered)
        );
        assert_eq!((t[0].due_at - t[0].posted_at).num_hours(), 48);
        assert_eq!(ts(&t[0].first_response_at.unwrap()), first);
        let none = s
            .complaint_timings(Utc::now(), Utc::now() + Hours::hours(1))
            .unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn an_official_reply_on_the_platform_answers_the_case() {
        let (_d, s) = store();
        let r = router();
        s.open_complaints(&[mention("m:1", Some("roads"), "jalan rusak", 5)], &r)
            .unwrap();
        let mut reply = mention(
            "m:r",
            None,
            "Sudah kami jadwalkan perbaikan, terima kasih",
            2,
        );
        reply.complaint = None;
        reply.author.handle = Some("@DPUPR_skm".into());
        reply.in_reply_to = Some("m:1".into());
        reply.url = Some("https://instagram.example/p/m:1/r".into());
        let mut stranger = reply.clone();
        stranger.author.handle = Some("@warga2".into());
        assert_eq!(s.record_official_replies(&[stranger], &r).unwrap(), 0);
        assert_eq!(
            s.record_official_replies(std::slice::from_ref(&reply), &r)
                .unwrap(),
            1
        );
        assert_eq!(
            s.record_official_replies(&[reply], &r).unwrap(),
            0,
            "a replay"
        );
        let c = s.complaint_of_mention("m:1").unwrap().unwrap();
        assert_eq!(c.status, Status::Answered);
        assert_eq!(
            c.answer_url.as_deref(),
            Some("https://instagram.example/p/m:1/r")
        );
        let posted = DateTime::parse_from_rfc3339(&c.posted_at).unwrap();
        let first = DateTime::parse_from_rfc3339(c.first_response_at.as_deref().unwrap()).unwrap();
        assert_eq!((first - posted).num_hours(), 3, "the reply's own time");
        let last = s.complaint_events(c.id).unwrap().pop().unwrap();
        assert_eq!(
            (last.actor.as_str(), last.action.as_str()),
            ("@DPUPR_skm", "answer")
        );
    }
}
