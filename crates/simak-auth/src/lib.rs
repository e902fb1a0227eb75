//! Accounts, sessions, API tokens, login rate limiting and the audit log.
//!
//! Accounts belong to the office, not to a person: an account is a post (`humas-sukamaju-1`)
//! with a role and the watch profiles (OPDs) it is scoped to. When staff rotate, an admin
//! disables the old account and names the one that takes its work over (`disable` with
//! `hand_over_to`); the account, its history and every audit entry stay.
//!
//! * **Roles**: `admin` (everything, every profile, accounts), `officer` (sees and acts on the
//!   review queue of its profiles), `viewer` (sees its profiles, acts on nothing).
//! * **Passwords**: argon2id (the `argon2` crate's defaults) with a random salt; at least
//!   [`MIN_PASSWORD`] characters.
//! * **Sessions**: a random 256-bit token for the cookie, stored only as its SHA-256; expires
//!   after [`SESSION_IDLE`] without use and at most [`SESSION_MAX`] after login; each has its
//!   own CSRF token for forms.
//! * **Login rate limiting**, within [`FAILURE_WINDOW`], in three parts so that no one can lock
//!   others out: [`MAX_FAILURES`] failures for one account name *from one client* refuse that
//!   name from that client until the window passes (a colleague at the next desk, or behind the
//!   same proxy, still logs in); [`MAX_CLIENT_FAILURES`] failures from one client over all names
//!   refuse that client (password spraying); and past [`BACKOFF_AFTER`] failures for one name
//!   from anywhere, each further attempt must wait a doubling delay of at most
//!   [`MAX_BACKOFF_SECS`] after the last failure (guessing from many addresses), which slows a
//!   guesser to about one try a minute but never locks the owner out for longer.
//!   The password check (argon2, tens of milliseconds) runs without holding the database.
//! * **API tokens** for scripts: random, shown once, stored as SHA-256, revocable.
//! * **Audit log**: every account change and every login, with who, when, what and on what;
//!   callers add their own entries (review state changes) with [`AuthStore::audit`].
//!
//! Stored in SQLite (WAL), so the server and `simak user` can use it at once.
#![warn(missing_docs)]

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use simak_core::schema::{self, Step};
use std::path::Path;
use std::sync::Mutex;

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
/// A session unused this long expires.
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// A session expires this long after login, used or not.
pub const SESSION_MAX: Duration = Duration::days(7);
/// Failed logins allowed for one account name from one client within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: u32 = 5;
/// Failed logins allowed from one client over all names within [`FAILURE_WINDOW`].
pub const MAX_CLIENT_FAILURES: u32 = 30;
/// Failed logins for one name (from any client) after which attempts are slowed.
pub const BACKOFF_AFTER: u32 = 10;
/// The longest wait between attempts on one name.
pub const MAX_BACKOFF_SECS: i64 = 60;
/// The window of the failure counts.
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong name or password (never says which).
    #[error("wrong account name or password")]
    BadCredentials,
    /// Too many failures: try again after the given number of seconds.
    #[error("too many failed logins; try again in {0} s")]
    RateLimited(i64),
    /// The account is disabled.
    #[error("account {0:?} is disabled")]
    Disabled(String),
    /// No such account.
    #[error("no account {0:?}")]
    NotFound(String),
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error("accounts database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The database's schema could not be brought forward.
    #[error(transparent)]
    Schema(#[from] schema::SchemaError),
}

/// A role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything.
    Admin,
    /// Sees and acts on its profiles' queue.
    Officer,
    /// Sees its profiles.
    Viewer,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer => "officer",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<Role, AuthError> {
        match s {
            "admin" => Ok(Role::Admin),
            "officer" => Ok(Role::Officer),
            "viewer" => Ok(Role::Viewer),
            other => Err(AuthError::Invalid(format!(
                "unknown role {other:?} (admin, officer or viewer)"
            ))),
        }
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    /// The account name (login).
    pub username: String,
    /// Shown in the UI and the audit log.
    pub display_name: String,
    /// Its role.
    pub role: Role,
    /// The watch profiles (OPDs) it is scoped to; ignored for admins.
    pub profiles: Vec<String>,
    /// Disabled accounts cannot log in; their history stays.
    pub disabled: bool,
    /// The account that took this one's work over.
    pub handed_over_to: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Account {
    /// Whether it may see `profile`'s mentions and queue.
    pub fn can_see(&self, profile: &str) -> bool {
        !self.disabled && (self.role == Role::Admin || self.profiles.iter().any(|p| p == profile))
    }

    /// Whether it may act on `profile`'s queue.
    pub fn can_act(&self, profile: &str) -> bool {
        self.role != Role::Viewer && self.can_see(profile)
    }
}

/// A logged-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The cookie value (only returned at login).
    pub token: String,
    /// The CSRF token for forms of this session.
    pub csrf: String,
    /// The account.
    pub account: Account,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (an account name, or `cli:<os user>`).
    pub actor: String,
    /// What (`login`, `account.add`, `review.confirm`, ...).
    pub action: String,
    /// On what.
    pub target: String,
    /// Details.
    pub detail: String,
}

/// The accounts database's schema, one step per version (see `simak_core::schema`). Version 1
/// is the first release's; never edit a released step, add one.
const SCHEMA: &[Step] = &[Step::Sql(
    "
CREATE TABLE IF NOT EXISTS accounts (
  username TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  profiles TEXT NOT NULL,
  password TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  handed_over_to TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  username TEXT NOT NULL REFERENCES accounts(username),
  csrf TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
  token_hash TEXT PRIMARY KEY,
  username TEXT NOT NULL REFERENCES accounts(username),
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS login_failures (
  key TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
);
",
)];

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn sha(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A random token: 32 bytes from the OS, hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the OS random source");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A random password for `reset`: 16 characters from an alphabet without look-alikes.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the OS random source");
    b.iter()
        .map(|x| ALPHABET[*x as usize % ALPHABET.len()] as char)
        .collect()
}

fn hash_password(pw: &str) -> Result<String, AuthError> {
    if pw.chars().count() < MIN_PASSWORD {
        return Err(AuthError::Invalid(format!(
            "the password must have at least {MIN_PASSWORD} characters"
        )));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS random source");
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| AuthError::Invalid(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Invalid(format!("hashing the password: {e}")))
}

fn verify_password(pw: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A valid account name: 3–64 of `a-z 0-9 . _ -`.
fn check_username(u: &str) -> Result<(), AuthError> {
    let ok = (3..=64).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!(
            "account name {u:?}: use 3–64 lowercase letters, digits, '.', '_' or '-'"
        )))
    }
}

/// Checks a password against a stored hash.
type PasswordCheck = dyn Fn(&str, &str) -> bool + Send + Sync;

/// The accounts database.
pub struct AuthStore {
    conn: Mutex<Connection>,
    /// Checks a password against its stored hash (replaced in tests).
    verify: Box<PasswordCheck>,
}

impl AuthStore {
    /// Opens (creating) the database at `path`.
    pub fn open(path: &Path) -> Result<AuthStore, AuthError> {
        simak_core::private::private_database(path)
            .map_err(|e| AuthError::Invalid(format!("cannot create {}: {e}", path.display())))?;
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn, "accounts", SCHEMA)?;
        Ok(AuthStore {
            conn: Mutex::new(conn),
            verify: Box::new(verify_password),
        })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().expect("accounts db lock")
    }

    /// Adds an audit entry.
    pub fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<(), AuthError> {
        audit_on(&self.db(), actor, action, target, detail)
    }

    /// The newest audit entry of `action` on `target`, if any.
    pub fn last_audit(&self, action: &str, target: &str) -> Result<Option<AuditEntry>, AuthError> {
        let db = self.db();
        Ok(db
            .query_row(
                "SELECT at, actor, action, target, detail FROM audit \
                 WHERE action = ?1 AND target = ?2 ORDER BY seq DESC LIMIT 1",
                params![action, target],
                |r| {
                    Ok(AuditEntry {
                        at: parse_ts(&r.get::<_, String>(0)?),
                        actor: r.get(1)?,
                        action: r.get(2)?,
                        target: r.get(3)?,
                        detail: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, AuthError> {
        let db = self.db();
        let mut st = db.prepare(
            "SELECT at, actor, action, target, detail FROM audit ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = st.query_map(params![limit as i64], |r| {
            Ok(AuditEntry {
                at: parse_ts(&r.get::<_, String>(0)?),
                actor: r.get(1)?,
                action: r.get(2)?,
                target: r.get(3)?,
                detail: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Creates an account.
    pub fn add(
        &self,
        actor: &str,
        username: &str,
        display_name: &str,
        role: Role,
        profiles: &[String],
        password: &str,
    ) -> Result<Account, AuthError> {
        check_username(username)?;
        if role != Role::Admin && profiles.is_empty() {
            return Err(AuthError::Invalid(format!(
                "{} accounts need at least one watch profile (their OPD)",
                role.as_str()
            )));
        }
        let hash = hash_password(password)?;
        let mut db = self.db();
        let tx = db.transaction()?;
        let exists: bool = tx
            .query_row(
                "SELECT 1 FROM accounts WHERE username = ?1",
                params![username],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if exists {
            return Err(AuthError::Invalid(format!(
                "account {username:?} already exists"
            )));
        }
        let now = Utc::now();
        tx.execute(
            "INSERT INTO accounts (username, display_name, role, profiles, password, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![username, display_name, role.as_str(), profiles.join(","), hash, ts(now)],
        )?;
        audit_on(
            &tx,
            actor,
            "account.add",
            username,
            &format!("role {}, profiles [{}]", role.as_str(), profiles.join(", ")),
        )?;
        tx.commit()?;
        drop(db);
        self.get(username)
    }

    /// The account `username`.
    pub fn get(&self, username: &str) -> Result<Account, AuthError> {
        get_on(&self.db(), username)?.ok_or_else(|| AuthError::NotFound(username.into()))
    }

    /// Every account, by name.
    pub fn list(&self) -> Result<Vec<Account>, AuthError> {
        let db = self.db();
        let mut st = db.prepare(&format!("{SELECT_ACCOUNT} ORDER BY username"))?;
        let rows = st.query_map([], row_account)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets a new password and ends the account's sessions.
    pub fn set_password(
        &self,
        actor: &str,
        username: &str,
        password: &str,
    ) -> Result<(), AuthError> {
        let hash = hash_password(password)?;
        let mut db = self.db();
        let tx = db.transaction()?;
        let n = tx.execute(
            "UPDATE accounts SET password = ?2 WHERE username = ?1",
            params![username, hash],
        )?;
        if n == 0 {
            return Err(AuthError::NotFound(username.into()));
        }
        tx.execute(
            "DELETE FROM sessions WHERE username = ?1",
            params![username],
        )?;
        audit_on(&tx, actor, "account.password", username, "sessions ended")?;
        tx.commit()?;
        Ok(())
    }

    /// Sets a random password, ends the account's sessions, and returns the password (to be
    /// shown once).
    pub fn reset(&self, actor: &str, username: &str) -> Result<String, AuthError> {
        let pw = random_password();
        self.set_password(actor, username, &pw)?;
        Ok(pw)
    }

    /// Disables an account: it can no longer log in, its sessions and API tokens end. With
    /// `hand_over_to`, that (enabled) account is recorded as taking its work over. The account
    /// and its history stay.
    pub fn disable(
        &self,
        actor: &str,
        username: &str,
        hand_over_to: Option<&str>,
    ) -> Result<(), AuthError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let acc = get_on(&tx, username)?.ok_or_else(|| AuthError::NotFound(username.into()))?;
        if let Some(to) = hand_over_to {
            let succ = get_on(&tx, to)?.ok_or_else(|| AuthError::NotFound(to.into()))?;
            if succ.disabled || to == username {
                return Err(AuthError::Invalid(format!(
                    "work can only be handed over to another enabled account, not {to:?}"
                )));
            }
            let missing: Vec<&String> = acc
                .profiles
                .iter()
                .filter(|p| succ.role != Role::Admin && !succ.profiles.contains(p))
                .collect();
            if !missing.is_empty() {
                return Err(AuthError::Invalid(format!(
                    "{to:?} is not scoped to {missing:?}: it could not see the work it takes over"
                )));
            }
        }
        tx.execute(
            "UPDATE accounts SET disabled = 1, handed_over_to = COALESCE(?2, handed_over_to) WHERE username = ?1",
            params![username, hand_over_to],
        )?;
        tx.execute(
            "DELETE FROM sessions WHERE username = ?1",
            params![username],
        )?;
        tx.execute(
            "UPDATE api_tokens SET revoked = 1 WHERE username = ?1",
            params![username],
        )?;
        audit_on(
            &tx,
            actor,
            "account.disable",
            username,
            &match hand_over_to {
                Some(to) => format!("work handed over to {to}"),
                None => String::new(),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Enables a disabled account again.
    pub fn enable(&self, actor: &str, username: &str) -> Result<(), AuthError> {
        let db = self.db();
        let n = db.execute(
            "UPDATE accounts SET disabled = 0 WHERE username = ?1",
            params![username],
        )?;
        if n == 0 {
            return Err(AuthError::NotFound(username.into()));
        }
        audit_on(&db, actor, "account.enable", username, "")
    }

    /// Logs in from `client` (an IP address): returns a new session, or why not.
    pub fn login(
        &self,
        username: &str,
        password: &str,
        client: &str,
    ) -> Result<Session, AuthError> {
        let now = Utc::now();
        let pair = format!("pair:{username}@{client}");
        let keys = [
            pair.clone(),
            format!("client:{client}"),
            format!("user:{username}"),
        ];
        let row: Option<(String, bool)> = {
            let db = self.db();
            let since = ts(now - FAILURE_WINDOW);
            db.execute("DELETE FROM login_failures WHERE at < ?1", params![since])?;
            let count = |k: &str| -> Result<(u32, Option<String>, Option<String>), AuthError> {
                Ok(db.query_row(
                    "SELECT COUNT(*), MIN(at), MAX(at) FROM login_failures WHERE key = ?1 AND at >= ?2",
                    params![k, since],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?)
            };
            let wait_until = |oldest: Option<String>| {
                let until = oldest.map(|o| parse_ts(&o) + FAILURE_WINDOW).unwrap_or(now);
                AuthError::RateLimited((until - now).num_seconds().max(1))
            };
            let (n, oldest, _) = count(&keys[0])?;
            if n >= MAX_FAILURES {
                return Err(wait_until(oldest));
            }
            let (n, oldest, _) = count(&keys[1])?;
            if n >= MAX_CLIENT_FAILURES {
                return Err(wait_until(oldest));
            }
            let (n, _, last) = count(&keys[2])?;
            if n >= BACKOFF_AFTER {
                let delay = 1i64
                    .checked_shl(n - BACKOFF_AFTER)
                    .unwrap_or(i64::MAX)
                    .min(MAX_BACKOFF_SECS);
                let next = last.map(|l| parse_ts(&l)).unwrap_or(now) + Duration::seconds(delay);
                if next > now {
                    return Err(AuthError::RateLimited((next - now).num_seconds().max(1)));
                }
            }
            db.query_row(
                "SELECT password, disabled FROM accounts WHERE username = ?1",
                params![username],
                |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)),
            )
            .optional()?
        };
        // The slow part, with the database free for every other request.
        let ok = match &row {
            Some((hash, _)) => (self.verify)(password, hash),
            None => {
                // Same work for unknown names, so timing does not tell which names exist.
                let _ = (self.verify)(password, dummy_hash());
                false
            }
        };
        let mut db = self.db();
        let tx = db.transaction()?;
        if !ok {
            for k in &keys {
                tx.execute(
                    "INSERT INTO login_failures (key, at) VALUES (?1, ?2)",
                    params![k, ts(now)],
                )?;
            }
            audit_on(
                &tx,
                username,
                "login.failed",
                username,
                &format!("from {client}"),
            )?;
            tx.commit()?;
            return Err(AuthError::BadCredentials);
        }
        if row.is_some_and(|(_, disabled)| disabled) {
            audit_on(&tx, username, "login.refused", username, "account disabled")?;
            tx.commit()?;
            return Err(AuthError::Disabled(username.into()));
        }
        let token = random_token();
        let csrf = random_token();
        tx.execute(
            "INSERT INTO sessions (token_hash, username, csrf, created_at, last_used) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![sha(&token), username, csrf, ts(now)],
        )?;
        tx.execute("DELETE FROM login_failures WHERE key = ?1", params![pair])?;
        audit_on(&tx, username, "login", username, &format!("from {client}"))?;
        tx.commit()?;
        let account = get_on(&db, username)?.ok_or_else(|| AuthError::NotFound(username.into()))?;
        Ok(Session {
            token,
            csrf,
            account,
        })
    }

    /// The session of a cookie value, if valid; touches its last use.
    pub fn session(&self, token: &str) -> Result<Option<Session>, AuthError> {
        let now = Utc::now();
        let db = self.db();
        let row: Option<(String, String, String, String)> = db
            .query_row(
                "SELECT username, csrf, created_at, last_used FROM sessions WHERE token_hash = ?1",
                params![sha(token)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((username, csrf, created, used)) = row else {
            return Ok(None);
        };
        if now - parse_ts(&created) > SESSION_MAX || now - parse_ts(&used) > SESSION_IDLE {
            db.execute(
                "DELETE FROM sessions WHERE token_hash = ?1",
                params![sha(token)],
            )?;
            return Ok(None);
        }
        let Some(account) = get_on(&db, &username)?.filter(|a| !a.disabled) else {
            return Ok(None);
        };
        // Every request reads the session; writing its last use once a minute is enough for
        // an idle limit counted in hours.
        if now - parse_ts(&used) > Duration::minutes(1) {
            db.execute(
                "UPDATE sessions SET last_used = ?2 WHERE token_hash = ?1",
                params![sha(token), ts(now)],
            )?;
        }
        Ok(Some(Session {
            token: String::new(),
            csrf,
            account,
        }))
    }

    /// Ends a session.
    pub fn logout(&self, token: &str) -> Result<(), AuthError> {
        let db = self.db();
        let user: Option<String> = db
            .query_row(
                "SELECT username FROM sessions WHERE token_hash = ?1",
                params![sha(token)],
                |r| r.get(0),
            )
            .optional()?;
        db.execute(
            "DELETE FROM sessions WHERE token_hash = ?1",
            params![sha(token)],
        )?;
        if let Some(u) = user {
            audit_on(&db, &u, "logout", &u, "")?;
        }
        Ok(())
    }

    /// Creates an API token for `username` (returned once).
    pub fn create_token(
        &self,
        actor: &str,
        username: &str,
        name: &str,
    ) -> Result<String, AuthError> {
        let db = self.db();
        get_on(&db, username)?.ok_or_else(|| AuthError::NotFound(username.into()))?;
        let token = format!("smk_{}", random_token());
        db.execute(
            "INSERT INTO api_tokens (token_hash, username, name, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![sha(&token), username, name, ts(Utc::now())],
        )?;
        audit_on(&db, actor, "token.create", username, name)?;
        Ok(token)
    }

    /// The account of an API token, if valid.
    pub fn token_account(&self, token: &str) -> Result<Option<Account>, AuthError> {
        let db = self.db();
        let user: Option<String> = db
            .query_row(
                "SELECT username FROM api_tokens WHERE token_hash = ?1 AND revoked = 0",
                params![sha(token)],
                |r| r.get(0),
            )
            .optional()?;
        match user {
            Some(u) => Ok(get_on(&db, &u)?.filter(|a| !a.disabled)),
            None => Ok(None),
        }
    }
}

/// An argon2 hash of a random string, verified against for unknown account names.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

const SELECT_ACCOUNT: &str =
    "SELECT username, display_name, role, profiles, disabled, handed_over_to, created_at FROM accounts";

fn row_account(r: &rusqlite::Row) -> rusqlite::Result<Account> {
    let role: String = r.get(2)?;
    let profiles: String = r.get(3)?;
    Ok(Account {
        username: r.get(0)?,
        display_name: r.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        profiles: profiles
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        disabled: r.get::<_, i64>(4)? != 0,
        handed_over_to: r.get(5)?,
        created_at: parse_ts(&r.get::<_, String>(6)?),
    })
}

fn get_on(db: &Connection, username: &str) -> Result<Option<Account>, AuthError> {
    Ok(db
        .query_row(
            &format!("{SELECT_ACCOUNT} WHERE username = ?1"),
            params![username],
            row_account,
        )
        .optional()?)
}

fn audit_on(
    db: &Connection,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), AuthError> {
    db.execute(
        "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![ts(Utc::now()), actor, action, target, detail],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, AuthStore) {
        let d = tempfile::tempdir().unwrap();
        let s = AuthStore::open(&d.path().join("accounts.sqlite")).unwrap();
        (d, s)
    }

    #[test]
    fn a_database_from_before_schema_versions_keeps_its_accounts() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("accounts.sqlite");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(include_str!("../tests/fixtures/accounts-unversioned.sql"))
            .unwrap();
        drop(old);
        let s = AuthStore::open(&path).unwrap();
        assert_eq!(schema::version(&s.db()).unwrap(), SCHEMA.len() as u32);
        let a = s.get("humas-1").unwrap();
        assert_eq!(
            (a.role, a.profiles.clone()),
            (Role::Officer, p(&["pemkab"]))
        );
        s.login("humas-1", "kata-sandi-lama", "10.0.0.1").unwrap();
        let log = s.audit_log(10).unwrap();
        assert!(log
            .iter()
            .any(|e| e.action == "account.add" && e.actor == "cli:root"));
        drop(s);
        // Opening it again changes nothing.
        let s = AuthStore::open(&path).unwrap();
        assert_eq!(s.list().unwrap().len(), 1);
    }

    #[test]
    fn a_database_from_a_newer_simak_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("accounts.sqlite");
        drop(AuthStore::open(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", SCHEMA.len() as i64 + 1)
            .unwrap();
        drop(c);
        let e = AuthStore::open(&path).err().expect("refused");
        assert!(matches!(e, AuthError::Schema(_)), "{e}");
        assert!(e.to_string().contains("newer Simak"), "{e}");
    }

    fn p(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn passwords_are_hashed_and_logins_make_sessions() {
        let (_d, s) = store();
        s.add(
            "cli:root",
            "humas-1",
            "Humas 1",
            Role::Officer,
            &p(&["pemkab-sukamaju"]),
            "rahasia-panjang",
        )
        .unwrap();
        let db = s.db();
        let stored: String = db
            .query_row("SELECT password FROM accounts", [], |r| r.get(0))
            .unwrap();
        drop(db);
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains("rahasia"));
        assert!(matches!(
            s.login("humas-1", "salah-sekali!", "10.0.0.1"),
            Err(AuthError::BadCredentials)
        ));
        let sess = s.login("humas-1", "rahasia-panjang", "10.0.0.1").unwrap();
        assert_eq!(sess.token.len(), 64);
        let back = s.session(&sess.token).unwrap().unwrap();
        assert_eq!(back.account.username, "humas-1");
        assert_eq!(back.csrf, sess.csrf);
        assert!(s.session("forged").unwrap().is_none());
        s.logout(&sess.token).unwrap();
        assert!(s.session(&sess.token).unwrap().is_none());
        let actions: Vec<String> = s
            .audit_log(10)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["logout", "login", "login.failed", "account.add"]);
    }

    #[test]
    fn bad_input_is_refused_clearly() {
        let (_d, s) = store();
        let e = s
            .add("a", "Bad Name", "x", Role::Admin, &[], "rahasia-panjang")
            .unwrap_err();
        assert!(e.to_string().contains("lowercase"), "{e}");
        let e = s
            .add("a", "pendek", "x", Role::Admin, &[], "pendek")
            .unwrap_err();
        assert!(e.to_string().contains("at least 10"), "{e}");
        let e = s
            .add("a", "officer1", "x", Role::Officer, &[], "rahasia-panjang")
            .unwrap_err();
        assert!(e.to_string().contains("watch profile"), "{e}");
        s.add("a", "admin", "Admin", Role::Admin, &[], "rahasia-panjang")
            .unwrap();
        assert!(s
            .add("a", "admin", "Admin", Role::Admin, &[], "rahasia-panjang")
            .is_err());
    }

    /// Adds officer `name` of profile `x` with the password `rahasia-panjang`.
    fn officer(s: &AuthStore, name: &str) {
        s.add("a", name, "H", Role::Officer, &p(&["x"]), "rahasia-panjang")
            .unwrap();
    }

    #[test]
    fn the_database_is_private() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("data");
        let path = dir.join("accounts.sqlite");
        let s = AuthStore::open(&path).unwrap();
        officer(&s, "humas-1");
        if cfg!(unix) {
            assert_eq!(simak_core::private::mode(&dir).unwrap(), 0o700);
            for f in [
                "accounts.sqlite",
                "accounts.sqlite-wal",
                "accounts.sqlite-shm",
            ] {
                assert_eq!(
                    simak_core::private::mode(&dir.join(f)).unwrap(),
                    0o600,
                    "{f}"
                );
            }
        }
    }

    #[test]
    fn failed_logins_lock_out_only_the_guesser() {
        let (_d, s) = store();
        for name in ["humas-1", "humas-2"] {
            officer(&s, name);
        }
        for _ in 0..MAX_FAILURES {
            assert!(matches!(
                s.login("humas-1", "tebakan-salah", "10.0.0.9"),
                Err(AuthError::BadCredentials)
            ));
        }
        // That name from that client is refused now, even with the right password...
        assert!(matches!(
            s.login("humas-1", "rahasia-panjang", "10.0.0.9"),
            Err(AuthError::RateLimited(secs)) if secs > 0 && secs <= 900
        ));
        // ...but its owner logs in from another client,
        s.login("humas-1", "rahasia-panjang", "10.0.0.10").unwrap();
        // and a colleague behind the same address logs in too.
        s.login("humas-2", "rahasia-panjang", "10.0.0.9").unwrap();
    }

    #[test]
    fn one_client_spraying_names_is_refused() {
        let (_d, s) = store();
        officer(&s, "humas-1");
        for i in 0..MAX_CLIENT_FAILURES {
            assert!(matches!(
                s.login(&format!("nama-{i}"), "tebakan-salah", "10.0.0.9"),
                Err(AuthError::BadCredentials)
            ));
        }
        assert!(matches!(
            s.login("humas-1", "rahasia-panjang", "10.0.0.9"),
            Err(AuthError::RateLimited(_))
        ));
        s.login("humas-1", "rahasia-panjang", "10.0.0.10").unwrap();
    }

    #[test]
    fn guessing_one_name_from_many_clients_backs_off_but_does_not_lock() {
        let (_d, s) = store();
        officer(&s, "humas-1");
        for i in 0..BACKOFF_AFTER {
            assert!(matches!(
                s.login("humas-1", "tebakan-salah", &format!("10.0.1.{i}")),
                Err(AuthError::BadCredentials)
            ));
        }
        // The next try, from anywhere, must wait (at most MAX_BACKOFF_SECS)...
        assert!(matches!(
            s.login("humas-1", "rahasia-panjang", "10.0.2.1"),
            Err(AuthError::RateLimited(secs)) if (1..=MAX_BACKOFF_SECS).contains(&secs)
        ));
        // ...and once the delay after the last failure has passed, the owner gets in.
        s.db()
            .execute(
                "UPDATE login_failures SET at = ?1",
                params![ts(Utc::now() - Duration::seconds(2))],
            )
            .unwrap();
        s.login("humas-1", "rahasia-panjang", "10.0.2.1").unwrap();
    }

    #[test]
    fn the_password_check_does_not_hold_the_database() {
        let (_d, mut s) = store();
        officer(&s, "humas-1");
        // A password check that waits until the test lets it go.
        let (entered_tx, entered) = std::sync::mpsc::channel::<()>();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Mutex::new(released);
        s.verify = Box::new(move |_, _| {
            entered_tx.send(()).unwrap();
            released.lock().unwrap().recv().unwrap();
            false
        });
        let s = std::sync::Arc::new(s);
        let login = {
            let s = s.clone();
            std::thread::spawn(move || s.login("humas-1", "tebakan-salah", "10.0.0.9"))
        };
        entered.recv().unwrap();
        // While that login is in its password check, another request uses the database.
        let (done_tx, done) = std::sync::mpsc::channel();
        let other = {
            let s = s.clone();
            std::thread::spawn(move || done_tx.send(s.session("bukan-token").map(|x| x.is_none())))
        };
        let answered = done.recv_timeout(std::time::Duration::from_secs(20));
        release.send(()).unwrap();
        assert!(
            matches!(answered, Ok(Ok(true))),
            "a session lookup waited for another login's password check"
        );
        other.join().unwrap().unwrap();
        assert!(matches!(
            login.join().unwrap(),
            Err(AuthError::BadCredentials)
        ));
    }

    #[test]
    fn scopes_follow_roles_and_profiles() {
        let (_d, s) = store();
        let o = s
            .add(
                "a",
                "off1",
                "O",
                Role::Officer,
                &p(&["dinkes"]),
                "rahasia-panjang",
            )
            .unwrap();
        let v = s
            .add(
                "a",
                "view1",
                "V",
                Role::Viewer,
                &p(&["dinkes"]),
                "rahasia-panjang",
            )
            .unwrap();
        let a = s
            .add("a", "adm", "A", Role::Admin, &[], "rahasia-panjang")
            .unwrap();
        assert!(o.can_see("dinkes") && o.can_act("dinkes"));
        assert!(!o.can_see("dishub") && !o.can_act("dishub"));
        assert!(v.can_see("dinkes") && !v.can_act("dinkes"));
        assert!(a.can_see("dishub") && a.can_act("dishub"));
    }

    #[test]
    fn accounts_hand_over_and_keep_their_history() {
        let (_d, s) = store();
        s.add(
            "adm",
            "humas-1",
            "Humas 1",
            Role::Officer,
            &p(&["dinkes"]),
            "rahasia-panjang",
        )
        .unwrap();
        s.add(
            "adm",
            "humas-2",
            "Humas 2",
            Role::Officer,
            &p(&["dishub"]),
            "rahasia-panjang",
        )
        .unwrap();
        s.add(
            "adm",
            "humas-3",
            "Humas 3",
            Role::Officer,
            &p(&["dinkes", "dishub"]),
            "rahasia-panjang",
        )
        .unwrap();
        let sess = s.login("humas-1", "rahasia-panjang", "c").unwrap();
        let tok = s.create_token("adm", "humas-1", "script").unwrap();
        assert_eq!(s.token_account(&tok).unwrap().unwrap().username, "humas-1");
        // Not to an account that could not see the work.
        assert!(s.disable("adm", "humas-1", Some("humas-2")).is_err());
        s.disable("adm", "humas-1", Some("humas-3")).unwrap();
        let acc = s.get("humas-1").unwrap();
        assert!(acc.disabled);
        assert_eq!(acc.handed_over_to.as_deref(), Some("humas-3"));
        assert!(s.session(&sess.token).unwrap().is_none(), "sessions end");
        assert!(s.token_account(&tok).unwrap().is_none(), "tokens end");
        assert!(matches!(
            s.login("humas-1", "rahasia-panjang", "c"),
            Err(AuthError::Disabled(_))
        ));
        // The history stays.
        let log = s.audit_log(100).unwrap();
        assert!(log
            .iter()
            .any(|e| e.action == "login" && e.actor == "humas-1"));
        assert!(log
            .iter()
            .any(|e| e.action == "account.disable" && e.detail.contains("humas-3")));
        let pw = s.reset("adm", "humas-3").unwrap();
        assert_eq!(pw.len(), 16);
        assert!(s.login("humas-3", &pw, "c").is_ok());
    }
}
