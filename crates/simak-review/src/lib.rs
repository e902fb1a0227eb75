//! The hoax review queue: flagged mentions that matched a watch profile, grouped into cases,
//! each with a state that officers change, and the history of who changed it when.
//!
//! A case is one narrative for one profile: all posts matched to the same debunked claim
//! (`<profile>:fc:<fact-check id>`), or else all posts of one near-duplicate cluster
//! (`<profile>:cl:<cluster id>`). Its states:
//!
//! ```text
//!  new ──take──▶ in_review ──confirm──▶ confirmed ──clarify(url)──▶ clarified
//!   │              │   ▲                   │
//!   └──────────────┴───┼──── not_hoax ─────┴──▶ not_hoax
//!                      └──── reopen ◀── confirmed / not_hoax / clarified
//! ```
//!
//! `confirm`, `not_hoax` and `clarify` may also be done straight from `new`. A clarified case
//! becomes a fact-check entry (the office's own clarification), which the caller publishes on
//! the fact-check stream so every analyzer matches later posts against it.
//!
//! The same database holds the complaint cases ([`complaints`]), which the same feeder opens.
//!
//! The queue lives in SQLite (WAL mode), so the web server and the command line can use it at
//! once. Feeding it is idempotent: a mention already in a case is not added twice, so the feeder
//! can be at-least-once.
#![warn(missing_docs)]

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use simak_analyze::factcheck::FactCheck;
use simak_bus::Bus;
use simak_core::schema::{self, Step};
use simak_core::{Config, HoaxLabel, HoaxVerdict, Mention};
use simak_runtime::{Attempt, Done, Input, Stage, StageError};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

pub mod complaints;
pub mod routing;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// No such case.
    #[error("no review case {0:?}")]
    NotFound(String),
    /// The action's input is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The action does not apply to the case in its current state (`confirm` on a confirmed
    /// case: someone else decided first).
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error("review database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The database's schema could not be brought forward.
    #[error(transparent)]
    Schema(#[from] schema::SchemaError),
}

/// The state of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CaseState))]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Flagged, nobody has looked yet.
    New,
    /// An officer took it.
    InReview,
    /// Confirmed as a hoax.
    Confirmed,
    /// Not a hoax.
    NotHoax,
    /// Confirmed and clarified publicly (with the clarification's URL).
    Clarified,
}

impl State {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::InReview => "in_review",
            State::Confirmed => "confirmed",
            State::NotHoax => "not_hoax",
            State::Clarified => "clarified",
        }
    }

    /// The state as officers read it (Bahasa Indonesia).
    pub fn label_id(self) -> &'static str {
        match self {
            State::New => "baru",
            State::InReview => "ditinjau",
            State::Confirmed => "terkonfirmasi hoaks",
            State::NotHoax => "bukan hoaks",
            State::Clarified => "sudah diklarifikasi",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<State, ReviewError> {
        Ok(match s {
            "new" => State::New,
            "in_review" => State::InReview,
            "confirmed" => State::Confirmed,
            "not_hoax" => State::NotHoax,
            "clarified" => State::Clarified,
            _ => {
                return Err(ReviewError::Invalid(format!(
                    "unknown state {s:?} (new, in_review, confirmed, not_hoax, clarified)"
                )))
            }
        })
    }
}

/// What an officer does to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Take it for review.
    Take,
    /// Confirm it is a hoax.
    Confirm,
    /// Decide it is not a hoax.
    NotHoax,
    /// Record the public clarification (http or https URL).
    Clarify(String),
    /// Open a decided case again.
    Reopen,
}

impl Action {
    /// Parses an action name (`take`, `confirm`, `not_hoax`, `clarify`, `reopen`); `clarify`
    /// needs `url`.
    pub fn parse(name: &str, url: Option<&str>) -> Result<Action, ReviewError> {
        Ok(match name {
            "take" => Action::Take,
            "confirm" => Action::Confirm,
            "not_hoax" | "not-hoax" => Action::NotHoax,
            "reopen" => Action::Reopen,
            "clarify" => match url.map(str::trim) {
                Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
                    Action::Clarify(u.to_string())
                }
                Some(u) => {
                    return Err(ReviewError::Invalid(format!(
                        "clarify needs the clarification's http(s) URL, got {u:?}"
                    )))
                }
                None => {
                    return Err(ReviewError::Invalid(
                        "clarify needs the clarification's URL".into(),
                    ))
                }
            },
            _ => {
                return Err(ReviewError::Invalid(format!(
                    "unknown action {name:?} (take, confirm, not_hoax, clarify, reopen)"
                )))
            }
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Action::Take => "take",
            Action::Confirm => "confirm",
            Action::NotHoax => "not_hoax",
            Action::Clarify(_) => "clarify",
            Action::Reopen => "reopen",
        }
    }

    /// The state the action leads to from `from`, if allowed.
    pub fn next(&self, from: State) -> Option<State> {
        use State::*;
        match (self, from) {
            (Action::Take, New | InReview) => Some(InReview),
            (Action::Confirm, New | InReview) => Some(Confirmed),
            (Action::NotHoax, New | InReview | Confirmed) => Some(NotHoax),
            (Action::Clarify(_), New | InReview | Confirmed | Clarified) => Some(Clarified),
            (Action::Reopen, Confirmed | NotHoax | Clarified) => Some(InReview),
            _ => None,
        }
    }
}

/// A case of the queue.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Case {
    /// `<profile>:fc:<fact-check id>` or `<profile>:cl:<cluster id>`.
    pub id: String,
    /// The watch profile.
    pub profile: String,
    /// Current state.
    pub state: State,
    /// The strongest label seen (`known_hoax` or `suspected`).
    pub label: String,
    /// The highest hoax score seen.
    pub score: f64,
    /// Mentions in the case.
    pub mentions: u64,
    /// The first mention's id.
    pub first_mention: String,
    /// The first mention's text.
    pub text: String,
    /// The first mention's URL.
    pub url: Option<String>,
    /// The matched fact-checks of the strongest mention.
    pub matches: serde_json::Value,
    /// The reasons of the strongest mention.
    pub reasons: serde_json::Value,
    /// The public clarification, once clarified.
    pub clarification_url: Option<String>,
    /// Who took it.
    pub assignee: Option<String>,
    /// When it was flagged first.
    pub created_at: String,
    /// When its state last changed (or it was created).
    pub updated_at: String,
    /// When its latest mention was published.
    pub last_seen_at: String,
}

/// One change of state.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// When.
    pub at: String,
    /// Who (the account name).
    pub actor: String,
    /// The action.
    pub action: String,
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
    /// The officer's note.
    pub note: Option<String>,
    /// The clarification URL, for `clarify`.
    pub url: Option<String>,
}

/// A mention of a case.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseMention {
    /// Mention id.
    pub id: String,
    /// Its text.
    pub text: String,
    /// Its URL.
    pub url: Option<String>,
    /// When it was published.
    pub published_at: String,
    /// Its hoax score.
    pub score: f64,
    /// Its hoax label.
    pub label: String,
}

/// A decision exported as a training label.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    /// The mention.
    pub mention_id: String,
    /// Its case.
    pub case_id: String,
    /// The profile.
    pub profile: String,
    /// The text.
    pub text: String,
    /// `hoax` (confirmed or clarified) or `not_hoax`.
    pub label: &'static str,
    /// The case's state.
    pub state: String,
    /// Who decided.
    pub decided_by: String,
    /// When.
    pub decided_at: String,
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these profiles (all if empty).
    pub profiles: Vec<String>,
    /// Only this state.
    pub state: Option<State>,
    /// Only cases scored at least this.
    pub min_score: Option<f64>,
    /// At most this many (default 50).
    pub limit: Option<usize>,
    /// Skip this many.
    pub offset: usize,
}

/// The result of an action.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The case after the action.
    pub case: Case,
    /// For `clarify`: the fact-check entry to publish.
    pub factcheck: Option<FactCheck>,
}

/// The review queue.
pub struct ReviewStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for ReviewStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReviewStore")
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The review database's schema, one step per version (see `simak_core::schema`). Version 1 is
/// the first release's; never edit a released step, add one.
const SCHEMA: &[Step] = &[
    Step::Sql(
        "
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'new',
    label TEXT NOT NULL,
    score REAL NOT NULL,
    first_mention TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT,
    matches TEXT NOT NULL,
    reasons TEXT NOT NULL,
    clarification_url TEXT,
    assignee TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_profile_state ON cases(profile, state);
CREATE TABLE IF NOT EXISTS case_mentions (
    case_id TEXT NOT NULL REFERENCES cases(id),
    mention_id TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT,
    published_at TEXT NOT NULL,
    score REAL NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (case_id, mention_id)
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL REFERENCES cases(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    note TEXT,
    url TEXT
);
CREATE INDEX IF NOT EXISTS events_case ON events(case_id, seq);
",
    ),
    // Version 2: complaint cases (`complaints`).
    Step::Sql(
        "
CREATE TABLE IF NOT EXISTS complaints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mention_id TEXT NOT NULL UNIQUE,
    opd TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    kind TEXT NOT NULL,
    category TEXT,
    place TEXT,
    text TEXT NOT NULL,
    url TEXT,
    author TEXT,
    source TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    first_response_at TEXT,
    answer_text TEXT,
    answer_url TEXT,
    closed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS complaints_opd_status ON complaints(opd, status, due_at);
CREATE INDEX IF NOT EXISTS complaints_posted ON complaints(posted_at);
CREATE TABLE IF NOT EXISTS complaint_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    opd TEXT NOT NULL,
    from_opd TEXT,
    note TEXT,
    url TEXT
);
CREATE INDEX IF NOT EXISTS complaint_events_case ON complaint_events(complaint_id, seq);
",
    ),
];

const CASE_COLS: &str = "id, profile, state, label, score, \
    (SELECT COUNT(*) FROM case_mentions m WHERE m.case_id = cases.id), first_mention, text, url, \
    matches, reasons, clarification_url, assignee, created_at, updated_at, last_seen_at";

fn case_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Case> {
    let state: String = r.get(2)?;
    Ok(Case {
        id: r.get(0)?,
        profile: r.get(1)?,
        state: State::parse(&state).unwrap_or(State::New),
        label: r.get(3)?,
        score: r.get(4)?,
        mentions: r.get::<_, i64>(5)? as u64,
        first_mention: r.get(6)?,
        text: r.get(7)?,
        url: r.get(8)?,
        matches: serde_json::from_str(&r.get::<_, String>(9)?).unwrap_or_default(),
        reasons: serde_json::from_str(&r.get::<_, String>(10)?).unwrap_or_default(),
        clarification_url: r.get(11)?,
        assignee: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
        last_seen_at: r.get(15)?,
    })
}

/// The case key of a flagged mention for one profile, or `None` if it is not flagged: a known
/// hoax joins the case of its best-matching fact-check, anything else flagged the case of its
/// near-duplicate cluster.
pub fn case_id(profile: &str, hoax: &HoaxVerdict) -> Option<String> {
    match (hoax.label, hoax.matches.first()) {
        (HoaxLabel::None, _) => None,
        (HoaxLabel::KnownHoax, Some(fc)) => Some(format!("{profile}:fc:{}", fc.id)),
        _ => {
            let cl = &hoax.cluster.as_ref()?.id;
            Some(format!("{profile}:cl:{cl}"))
        }
    }
}

impl ReviewStore {
    /// Opens or creates the queue at `path`.
    pub fn open(path: &Path) -> Result<ReviewStore, ReviewError> {
        simak_core::private::private_database(path)
            .map_err(|e| ReviewError::Invalid(format!("cannot create {}: {e}", path.display())))?;
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn, "review", SCHEMA)?;
        Ok(ReviewStore {
            conn: Mutex::new(conn),
        })
    }

    /// Adds the flagged mentions that matched a profile, in one transaction; returns how many
    /// (mention, profile) pairs were new. A mention already in its case is left alone.
    pub fn add_flagged(&self, mentions: &[Mention]) -> Result<usize, ReviewError> {
        let mut conn = self.conn.lock().expect("review db lock");
        let tx = conn.transaction()?;
        let mut added = 0;
        for m in mentions {
            let Some(hoax) = m.hoax() else {
                continue;
            };
            let label = hoax.label.as_str();
            let score = hoax.score_f64();
            // Stored as JSON text, as before (a `Value` map sorts its keys: the same text).
            let matches = serde_json::to_value(&hoax.matches).expect("matches serialize");
            let reasons = serde_json::to_value(&hoax.reasons).expect("reasons serialize");
            let published = ts(&m.published_at);
            for profile in &m.profiles {
                let Some(id) = case_id(profile, &hoax) else {
                    continue;
                };
                let t = now();
                tx.execute(
                    "INSERT INTO cases (id, profile, label, score, first_mention, text, url, \
                     matches, reasons, created_at, updated_at, last_seen_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11) \
                     ON CONFLICT(id) DO NOTHING",
                    params![
                        id,
                        profile,
                        label,
                        score,
                        m.id,
                        m.text,
                        m.url,
                        matches.to_string(),
                        reasons.to_string(),
                        t,
                        published
                    ],
                )?;
                let n = tx.execute(
                    "INSERT OR IGNORE INTO case_mentions \
                     (case_id, mention_id, text, url, published_at, score, label) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![id, m.id, m.text, m.url, published, score, label],
                )?;
                if n == 0 {
                    continue;
                }
                added += 1;
                // A stronger post becomes the case's evidence.
                tx.execute(
                    "UPDATE cases SET \
                       label = CASE WHEN ?2 = 'known_hoax' THEN 'known_hoax' ELSE label END, \
                       matches = CASE WHEN ?3 > score THEN ?4 ELSE matches END, \
                       reasons = CASE WHEN ?3 > score THEN ?5 ELSE reasons END, \
                       score = MAX(score, ?3), \
                       last_seen_at = MAX(last_seen_at, ?6) \
                     WHERE id = ?1",
                    params![
                        id,
                        label,
                        score,
                        matches.to_string(),
                        reasons.to_string(),
                        published
                    ],
                )?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Cases, open ones first (new, then in review), then by score and recency.
    pub fn list(&self, f: &Filter) -> Result<Vec<Case>, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        let mut sql = format!("SELECT {CASE_COLS} FROM cases WHERE 1=1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if !f.profiles.is_empty() {
            sql.push_str(&format!(
                " AND profile IN ({})",
                vec!["?"; f.profiles.len()].join(",")
            ));
            args.extend(f.profiles.iter().map(|p| p.clone().into()));
        }
        if let Some(s) = f.state {
            sql.push_str(" AND state = ?");
            args.push(s.as_str().to_string().into());
        }
        if let Some(m) = f.min_score {
            sql.push_str(" AND score >= ?");
            args.push(m.into());
        }
        sql.push_str(
            " ORDER BY CASE state WHEN 'new' THEN 0 WHEN 'in_review' THEN 1 ELSE 2 END, \
             score DESC, last_seen_at DESC, id LIMIT ? OFFSET ?",
        );
        args.push((f.limit.unwrap_or(50).min(1000) as i64).into());
        args.push((f.offset as i64).into());
        let mut st = conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args), case_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One case.
    pub fn case(&self, id: &str) -> Result<Case, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        Self::case_in(&conn, id)
    }

    fn case_in(conn: &Connection, id: &str) -> Result<Case, ReviewError> {
        conn.query_row(
            &format!("SELECT {CASE_COLS} FROM cases WHERE id = ?1"),
            [id],
            case_row,
        )
        .optional()?
        .ok_or_else(|| ReviewError::NotFound(id.to_string()))
    }

    /// The history of a case, oldest first.
    pub fn events(&self, id: &str) -> Result<Vec<Event>, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        let mut st = conn.prepare(
            "SELECT at, actor, action, from_state, to_state, note, url FROM events \
             WHERE case_id = ?1 ORDER BY seq",
        )?;
        let rows = st.query_map([id], |r| {
            Ok(Event {
                at: r.get(0)?,
                actor: r.get(1)?,
                action: r.get(2)?,
                from: r.get(3)?,
                to: r.get(4)?,
                note: r.get(5)?,
                url: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The mentions of a case, oldest first.
    pub fn mentions(&self, id: &str) -> Result<Vec<CaseMention>, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        let mut st = conn.prepare(
            "SELECT mention_id, text, url, published_at, score, label FROM case_mentions \
             WHERE case_id = ?1 ORDER BY published_at, mention_id",
        )?;
        let rows = st.query_map([id], |r| {
            Ok(CaseMention {
                id: r.get(0)?,
                text: r.get(1)?,
                url: r.get(2)?,
                published_at: r.get(3)?,
                score: r.get(4)?,
                label: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Applies an action by `actor`, with an optional note, and records it in the history.
    pub fn act(
        &self,
        id: &str,
        actor: &str,
        action: &Action,
        note: Option<&str>,
    ) -> Result<Outcome, ReviewError> {
        if actor.trim().is_empty() {
            return Err(ReviewError::Invalid("who acts must be named".into()));
        }
        let mut conn = self.conn.lock().expect("review db lock");
        let tx = conn.transaction()?;
        let case = Self::case_in(&tx, id)?;
        let to = action.next(case.state).ok_or_else(|| {
            ReviewError::Conflict(format!(
                "cannot {} a case that is {}",
                action.name(),
                case.state.as_str()
            ))
        })?;
        let t = now();
        let url = match action {
            Action::Clarify(u) => Some(u.clone()),
            _ => None,
        };
        tx.execute(
            "UPDATE cases SET state = ?2, updated_at = ?3, \
               assignee = CASE WHEN ?4 = 'take' THEN ?5 ELSE assignee END, \
               clarification_url = COALESCE(?6, clarification_url) WHERE id = ?1",
            params![id, to.as_str(), t, action.name(), actor, url],
        )?;
        tx.execute(
            "INSERT INTO events (case_id, at, actor, action, from_state, to_state, note, url) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                t,
                actor,
                action.name(),
                case.state.as_str(),
                to.as_str(),
                note,
                url
            ],
        )?;
        let case = Self::case_in(&tx, id)?;
        tx.commit()?;
        let factcheck = url.map(|u| FactCheck {
            id: format!("klarifikasi:{id}"),
            claim: case.text.clone(),
            verdict: "hoaks".into(),
            explanation: note.unwrap_or_default().to_string(),
            url: Some(u),
            published_at: Some(Utc::now()),
            source: case.profile.clone(),
        });
        Ok(Outcome { case, factcheck })
    }

    /// Hands the open cases (`new`, `in_review`) assigned to `from` over to `to`, recording a
    /// `hand_over` event on each (the state does not change). Returns how many.
    pub fn reassign(&self, from: &str, to: &str, actor: &str) -> Result<usize, ReviewError> {
        if from == to || to.trim().is_empty() {
            return Err(ReviewError::Invalid(format!(
                "cases can only be handed over to another account, not {to:?}"
            )));
        }
        let mut conn = self.conn.lock().expect("review db lock");
        let tx = conn.transaction()?;
        let open: Vec<(String, String)> = {
            let mut st = tx.prepare(
                "SELECT id, state FROM cases WHERE assignee = ?1 AND state IN ('new', 'in_review') ORDER BY id",
            )?;
            let rows = st.query_map(params![from], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let t = now();
        let note = format!("handed over from {from} to {to}");
        for (id, state) in &open {
            tx.execute(
                "UPDATE cases SET assignee = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, to, t],
            )?;
            tx.execute(
                "INSERT INTO events (case_id, at, actor, action, from_state, to_state, note, url) \
                 VALUES (?1, ?2, ?3, 'hand_over', ?4, ?4, ?5, NULL)",
                params![id, t, actor, state, note],
            )?;
        }
        tx.commit()?;
        Ok(open.len())
    }

    /// Every decided mention as a training label: `hoax` for confirmed and clarified cases,
    /// `not_hoax` for cases decided not to be; with the last decision's author and time.
    pub fn labels(&self) -> Result<Vec<Label>, ReviewError> {
        let conn = self.conn.lock().expect("review db lock");
        let mut st = conn.prepare(
            "SELECT m.mention_id, c.id, c.profile, m.text, c.state, \
               (SELECT actor FROM events e WHERE e.case_id = c.id ORDER BY seq DESC LIMIT 1), \
               (SELECT at FROM events e WHERE e.case_id = c.id ORDER BY seq DESC LIMIT 1) \
             FROM cases c JOIN case_mentions m ON m.case_id = c.id \
             WHERE c.state IN ('confirmed', 'clarified', 'not_hoax') \
             ORDER BY c.id, m.mention_id",
        )?;
        let rows = st.query_map([], |r| {
            let state: String = r.get(4)?;
            Ok(Label {
                mention_id: r.get(0)?,
                case_id: r.get(1)?,
                profile: r.get(2)?,
                text: r.get(3)?,
                label: if state == "not_hoax" {
                    "not_hoax"
                } else {
                    "hoax"
                },
                state,
                decided_by: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                decided_at: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The review queue feeder as a stage of the runtime: flagged mentions of the enriched stream
/// that matched a profile become (or join) cases. The runtime commits once the batch is in the
/// database; a crash re-reads the batch, which adds nothing twice.
pub struct FeederStage {
    store: std::sync::Arc<ReviewStore>,
    topic: String,
    group: String,
    complaints: Option<Routing>,
}

/// The feeder's routing table: fixed, or following the profile files.
enum Routing {
    Fixed(std::sync::Arc<complaints::Router>),
    Live(Box<routing::LiveRouter>),
}

impl FeederStage {
    /// The feeder of `store`.
    pub fn new(cfg: &Config, store: std::sync::Arc<ReviewStore>) -> FeederStage {
        FeederStage {
            store,
            topic: cfg.bus.topics.enriched.clone(),
            group: cfg.bus.groups.review.clone(),
            complaints: None,
        }
    }

    /// Also opens complaint cases, routed by `router` ([`complaints`]).
    pub fn with_complaints(mut self, router: complaints::Router) -> FeederStage {
        self.complaints = Some(Routing::Fixed(std::sync::Arc::new(router)));
        self
    }

    /// Also opens complaint cases, routed by the profile files as they are when each batch
    /// comes ([`routing::LiveRouter`]): a routing edit applies to the next batch.
    pub fn with_live_complaints(mut self, router: routing::LiveRouter) -> FeederStage {
        self.complaints = Some(Routing::Live(Box::new(router)));
        self
    }
}

#[async_trait::async_trait]
impl Stage for FeederStage {
    fn name(&self) -> &'static str {
        "review feeder"
    }

    fn input(&self) -> Input {
        Input::from_group(&self.topic, &self.group)
    }

    async fn apply(&mut self, batch: Vec<simak_bus::Consumed>) -> Result<Done, StageError> {
        let store = self.store.clone();
        let router = match &mut self.complaints {
            Some(Routing::Fixed(r)) => Some(r.clone()),
            Some(Routing::Live(l)) => Some(l.current()),
            None => None,
        };
        let (added, complaints) = tokio::task::spawn_blocking(move || {
            let (mentions, _rejected) = simak_bus::decode_mentions(&batch, "review feeder");
            let added = store.add_flagged(&mentions)?;
            let complaints = match &router {
                Some(r) => {
                    store.open_complaints(&mentions, r)?
                        + store.record_official_replies(&mentions, r)?
                }
                None => 0,
            };
            Ok::<_, ReviewError>((added, complaints))
        })
        .await
        .expect("review task")?;
        if added > 0 {
            tracing::info!(added, "review queue: flagged mentions added");
        }
        if complaints > 0 {
            tracing::info!(
                complaints,
                "complaint cases opened or answered on the platform"
            );
        }
        Ok(Done::Commit)
    }
}

/// For the supervisor: a database error may pass, a schema that cannot be brought forward does
/// not.
impl From<ReviewError> for StageError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::Db(_) => StageError::transient(e),
            ReviewError::NotFound(_)
            | ReviewError::Invalid(_)
            | ReviewError::Conflict(_)
            | ReviewError::Schema(_) => StageError::fatal(e),
        }
    }
}

/// Feeds the queue from the enriched stream for one attempt ([`FeederStage`]): until the
/// attempt's token is cancelled, or a failure the supervisor restarts it after.
pub async fn run_feeder(
    cfg: &Config,
    bus: &Bus,
    store: std::sync::Arc<ReviewStore>,
    attempt: &Attempt,
) -> Result<(), StageError> {
    // The routing table as the profiles say now, re-read when a profile file changes.
    let router = routing::LiveRouter::load(cfg)
        .map_err(|e| StageError::fatal(ReviewError::Invalid(format!("complaint routing: {e}"))))?;
    let mut stage = FeederStage::new(cfg, store).with_live_complaints(router);
    tracing::info!(topic = %stage.topic, db = %cfg.review_db_path().display(), "review queue feeder started");
    attempt.run(&mut stage, bus).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flagged(id: &str, profile: &str, label: &str, fc: Option<&str>, cluster: &str) -> Mention {
        let matches = match fc {
            Some(f) => {
                serde_json::json!([{"id": f, "claim": "klaim", "url": null, "verdict": "hoaks", "similarity": 0.8}])
            }
            None => serde_json::json!([]),
        };
        serde_json::from_value(serde_json::json!({
            "id": id, "source": "import", "text": format!("teks {id} <script>alert(1)</script>"),
            "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z",
            "profiles": [profile],
            "hoax": {"score": 0.9, "label": label, "reasons": ["r"], "matches": matches,
                     "cluster": {"id": cluster, "size": 1, "last_hour": 1}}
        }))
        .unwrap()
    }

    fn store() -> (tempfile::TempDir, ReviewStore) {
        let d = tempfile::tempdir().unwrap();
        let s = ReviewStore::open(&d.path().join("review.sqlite")).unwrap();
        (d, s)
    }

    #[test]
    fn a_queue_from_before_schema_versions_keeps_its_cases() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("review.sqlite");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(include_str!("../tests/fixtures/review-unversioned.sql"))
            .unwrap();
        drop(old);
        let s = ReviewStore::open(&path).unwrap();
        let v = schema::version(&s.conn.lock().unwrap()).unwrap();
        assert_eq!(v, SCHEMA.len() as u32);
        let c = s.case("pemkab:fc:fc-1").unwrap();
        assert_eq!((c.state, c.mentions), (State::InReview, 1));
        assert_eq!(c.assignee.as_deref(), Some("humas-1"));
        assert_eq!(s.events("pemkab:fc:fc-1").unwrap().len(), 1);
        // The old case goes on through the workflow, and new flags join the queue.
        let out = s
            .act(
                "pemkab:fc:fc-1",
                "humas-1",
                &Action::parse("confirm", None).unwrap(),
                None,
            )
            .unwrap();
        assert_eq!(out.case.state, State::Confirmed);
        assert_eq!(s.events("pemkab:fc:fc-1").unwrap().len(), 2);
        let added = s
            .add_flagged(&[flagged("m-2", "pemkab", "known_hoax", Some("fc-2"), "c2")])
            .unwrap();
        assert_eq!(added, 1);
        assert_eq!(s.list(&Filter::default()).unwrap().len(), 2);
    }

    #[test]
    fn the_queue_is_private() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("data/review.sqlite");
        let _s = ReviewStore::open(&path).unwrap();
        if cfg!(unix) {
            assert_eq!(simak_core::private::mode(&path).unwrap(), 0o600);
            assert_eq!(
                simak_core::private::mode(path.parent().unwrap()).unwrap(),
                0o700
            );
        }
    }

    #[test]
    fn flagged_mentions_group_into_cases_once() {
        let (_d, s) = store();
        let batch = vec![
            flagged(
                "x:1",
                "pemkab",
                "known_hoax",
                Some("fc-1"),
                "00000000000000aa",
            ),
            flagged(
                "x:2",
                "pemkab",
                "known_hoax",
                Some("fc-1"),
                "00000000000000bb",
            ),
            flagged("x:3", "pemkab", "suspected", None, "00000000000000cc"),
            flagged("x:4", "pemkab", "none", None, "00000000000000dd"),
        ];
        assert_eq!(s.add_flagged(&batch).unwrap(), 3);
        // Delivered again (at-least-once): nothing new.
        assert_eq!(s.add_flagged(&batch).unwrap(), 0);
        let cases = s.list(&Filter::default()).unwrap();
        assert_eq!(cases.len(), 2);
        let fc = s.case("pemkab:fc:fc-1").unwrap();
        assert_eq!((fc.mentions, fc.state), (2, State::New));
        assert_eq!(s.mentions("pemkab:fc:fc-1").unwrap().len(), 2);
        assert!(s.case("pemkab:cl:00000000000000cc").is_ok());
    }

    #[test]
    fn open_cases_are_handed_over_with_their_history() {
        let (_d, s) = store();
        s.add_flagged(&[flagged("x:1", "pemkab", "known_hoax", Some("fc-1"), "aa")])
            .unwrap();
        let o = s
            .act("pemkab:fc:fc-1", "operator-humas", &Action::Take, None)
            .unwrap();
        // Staff rotate: the open case goes to the successor, with the history kept.
        assert_eq!(s.reassign("operator-humas", "humas-2", "admin").unwrap(), 1);
        assert_eq!(s.reassign("operator-humas", "humas-2", "admin").unwrap(), 0);
        let c = s.case(&o.case.id).unwrap();
        assert_eq!(c.assignee.as_deref(), Some("humas-2"));
        assert_eq!(c.state, o.case.state);
        let ev = s.events(&o.case.id).unwrap();
        assert_eq!(
            ev.last().unwrap().note.as_deref(),
            Some("handed over from operator-humas to humas-2")
        );
        assert!(s.reassign("humas-2", "humas-2", "admin").is_err());
    }

    #[test]
    fn actions_follow_the_states_and_leave_a_history() {
        let (_d, s) = store();
        s.add_flagged(&[flagged("x:1", "pemkab", "known_hoax", Some("fc-1"), "aa")])
            .unwrap();
        let id = "pemkab:fc:fc-1";
        let o = s.act(id, "operator-humas", &Action::Take, None).unwrap();
        assert_eq!(o.case.state, State::InReview);
        assert_eq!(o.case.assignee.as_deref(), Some("operator-humas"));
        let e = s
            .act(id, "operator-humas", &Action::Reopen, None)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("cannot reopen a case that is in_review"),
            "{e}"
        );
        s.act(id, "kabid", &Action::Confirm, Some("cek ke dinas"))
            .unwrap();
        let o = s
            .act(
                id,
                "kabid",
                &Action::Clarify("https://sukamajukab.go.id/klarifikasi/9".into()),
                Some("Pemkab tidak membuka pendaftaran lewat WA"),
            )
            .unwrap();
        assert_eq!(o.case.state, State::Clarified);
        let fc = o.factcheck.unwrap();
        assert_eq!(fc.id, "klarifikasi:pemkab:fc:fc-1");
        assert_eq!(
            fc.url.as_deref(),
            Some("https://sukamajukab.go.id/klarifikasi/9")
        );
        assert!(fc.is_debunk());
        let h = s.events(id).unwrap();
        let seen: Vec<(&str, &str, &str)> = h
            .iter()
            .map(|e| (e.actor.as_str(), e.from.as_str(), e.to.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("operator-humas", "new", "in_review"),
                ("kabid", "in_review", "confirmed"),
                ("kabid", "confirmed", "clarified")
            ]
        );
        let labels = s.labels().unwrap();
        assert_eq!(labels.len(), 1);
        assert_eq!(
            (labels[0].label, labels[0].decided_by.as_str()),
            ("hoax", "kabid")
        );
        assert!(matches!(
            s.act("nope", "kabid", &Action::Take, None),
            Err(ReviewError::NotFound(_))
        ));
        assert!(Action::parse("clarify", Some("javascript:alert(1)")).is_err());
        assert!(Action::parse("clarify", None).is_err());
    }

    #[test]
    fn lists_filter_by_profile_state_and_score() {
        let (_d, s) = store();
        s.add_flagged(&[
            flagged("x:1", "pemkab", "known_hoax", Some("fc-1"), "aa"),
            flagged("x:2", "diskominfo", "suspected", None, "bb"),
        ])
        .unwrap();
        s.act("pemkab:fc:fc-1", "a", &Action::NotHoax, None)
            .unwrap();
        let only =
            |f: Filter| -> Vec<String> { s.list(&f).unwrap().into_iter().map(|c| c.id).collect() };
        assert_eq!(
            only(Filter {
                profiles: vec!["diskominfo".into()],
                ..Default::default()
            }),
            vec!["diskominfo:cl:bb"]
        );
        assert_eq!(
            only(Filter {
                state: Some(State::NotHoax),
                ..Default::default()
            }),
            vec!["pemkab:fc:fc-1"]
        );
        // Open cases come first.
        assert_eq!(
            only(Filter::default()),
            vec!["diskominfo:cl:bb", "pemkab:fc:fc-1"]
        );
    }
}
