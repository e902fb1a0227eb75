//! Who is calling: a session cookie from `POST /api/login`, or an API token
//! (`Authorization: Bearer smk_…`). Every `/api` endpoint but login needs one (401 otherwise);
//! an account sees only its watch profiles (403 for another OPD's). A write with a session
//! cookie must carry the session's CSRF token in `X-CSRF-Token`; API tokens are not cookies and
//! need none.

use crate::{ApiError, AppState, ErrorCode};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;
use simak_auth::{Account, AuthError, Role};
use std::net::{IpAddr, SocketAddr};

/// The session cookie.
pub const COOKIE: &str = "simak_session";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account.
    pub account: Account,
    /// The session's CSRF token (None for API tokens).
    pub csrf: Option<String>,
}

impl Caller {
    /// The profiles the caller may see; None: all (admin).
    pub fn scope(&self) -> Option<Vec<String>> {
        (self.account.role != Role::Admin).then(|| self.account.profiles.clone())
    }

    /// 403 unless the caller may see `profile`.
    pub fn must_see(&self, profile: &str) -> Result<(), ApiError> {
        if self.account.can_see(profile) {
            Ok(())
        } else {
            Err(forbidden(profile))
        }
    }

    /// For an item that belongs to `profile` (a case, a mention): `missing` (the item's 404)
    /// unless the caller may see that profile, so that another OPD's ids answer exactly as
    /// ids that do not exist and cannot be probed.
    pub fn must_see_item(
        &self,
        profile: &str,
        missing: impl FnOnce() -> ApiError,
    ) -> Result<(), ApiError> {
        if self.account.can_see(profile) {
            Ok(())
        } else {
            Err(missing())
        }
    }

    /// Removes from `m` the watch profiles the caller may not see: that another OPD's profile
    /// matched one of the caller's mentions too is that OPD's business, not the caller's.
    pub fn redact(&self, m: &mut simak_core::Mention) {
        if self.account.role != Role::Admin {
            m.profiles.retain(|p| self.account.can_see(p));
        }
    }

    /// [`Caller::redact`] on every hit, and the profile facet cut to the caller's profiles.
    pub fn redact_response(&self, r: &mut simak_index::SearchResponse) {
        if self.account.role == Role::Admin {
            return;
        }
        for h in &mut r.hits {
            self.redact(&mut h.mention);
        }
        if let Some(f) = r.facets.get_mut("profile") {
            f.retain(|p, _| self.account.can_see(p));
        }
    }

    /// 403 unless the caller is an admin.
    pub fn must_be_admin(&self) -> Result<(), ApiError> {
        if self.account.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::Forbidden,
                "only an admin may do this",
            ))
        }
    }
}

fn forbidden(profile: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        format!("this account is not scoped to the watch profile {profile:?}"),
    )
}

fn unauthorized() -> ApiError {
    ApiError::new(
        ErrorCode::Unauthorized,
        "log in first (POST /api/login) or send an API token (Authorization: Bearer …)",
    )
}

fn internal(e: AuthError) -> ApiError {
    ApiError::internal("the accounts database", e)
}

/// The session cookie's value, if any.
pub fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Resolves the caller of `headers`, if authenticated.
pub async fn caller(st: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let session = cookie(headers);
    let auth = st.auth.clone();
    tokio::task::spawn_blocking(move || -> Result<Option<Caller>, AuthError> {
        if let Some(t) = bearer {
            return Ok(auth.token_account(&t)?.map(|account| Caller {
                account,
                csrf: None,
            }));
        }
        if let Some(t) = session {
            return Ok(auth.session(&t)?.map(|s| Caller {
                account: s.account,
                csrf: Some(s.csrf),
            }));
        }
        Ok(None)
    })
    .await
    .expect("auth task")
    .map_err(internal)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Caller, ApiError> {
        let c = caller(st, &parts.headers).await?.ok_or_else(unauthorized)?;
        let write = !matches!(parts.method.as_str(), "GET" | "HEAD" | "OPTIONS");
        if write {
            if let Some(expected) = &c.csrf {
                let given = parts
                    .headers
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok());
                if given != Some(expected.as_str()) {
                    return Err(ApiError::new(
                        ErrorCode::Csrf,
                        "missing or wrong X-CSRF-Token for this session",
                    ));
                }
            }
        }
        Ok(c)
    }
}

/// A page's caller: like [`Caller`], but an anonymous visitor is sent to the login page.
pub struct PageCaller(pub Caller);

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<PageCaller, Response> {
        match caller(st, &parts.headers).await {
            Ok(Some(c)) => Ok(PageCaller(c)),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The address a request comes from: the peer's, or, when the peer is a trusted reverse
/// proxy, the last address in `X-Forwarded-For` that is not itself a trusted proxy (each proxy
/// appends the address it was reached from, so the ones before that are the client's to
/// write and are never believed). A malformed header counts as the peer's own request.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut hops = Vec::new();
    for v in headers.get_all("x-forwarded-for") {
        let Ok(v) = v.to_str() else { return peer };
        for hop in v.split(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => hops.push(ip),
                Err(_) => return peer,
            }
        }
    }
    hops.into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// `POST /api/login` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The account name.
    username: String,
    /// Its password.
    password: String,
}

/// `POST /api/login` and `GET /api/me`: the account and, for a session, its CSRF token.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The account.
    pub account: Account,
    /// The session's CSRF token, for `X-CSRF-Token` (null for an API token).
    pub csrf: Option<String>,
}

/// `POST /api/logout`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LoggedOut {
    /// Always true.
    pub ok: bool,
}

/// Log in: sets the session cookie (`simak_session`, HttpOnly, SameSite=Strict) and returns
/// the account and the session's CSRF token.
#[utoipa::path(post, path = "/api/login", security(()), request_body = Login, responses(
    (status = 200, description = "Logged in", body = Me),
    (status = 400), (status = 401), (status = 429), (status = 500),
))]
pub async fn login(
    State(st): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(l) = body.map_err(crate::params::body_error)?;
    let auth = st.auth.clone();
    let client = client_ip(addr.ip(), &headers, &st.trusted_proxies).to_string();
    let res = tokio::task::spawn_blocking(move || auth.login(&l.username, &l.password, &client))
        .await
        .expect("auth task");
    let s = match res {
        Ok(s) => s,
        Err(AuthError::RateLimited(secs)) => {
            return Err(ApiError::new(
                ErrorCode::RateLimited,
                format!("terlalu banyak percobaan masuk yang gagal; coba lagi dalam {secs} detik"),
            )
            .retry_after(secs));
        }
        Err(AuthError::BadCredentials) | Err(AuthError::Disabled(_)) => {
            return Err(ApiError::new(
                ErrorCode::BadCredentials,
                "nama akun atau kata sandi salah",
            ))
        }
        Err(e) => return Err(internal(e)),
    };
    let secure = if st.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        s.token,
        simak_auth::SESSION_MAX.num_seconds()
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(Me {
            account: s.account,
            csrf: Some(s.csrf),
        }),
    )
        .into_response())
}

/// End the session (with a session cookie, the X-CSRF-Token header is needed).
#[utoipa::path(post, path = "/api/logout", responses(
    (status = 200, description = "Logged out", body = LoggedOut),
    (status = 401), (status = 403), (status = 500),
))]
pub async fn logout(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(t) = cookie(&headers) {
        let auth = st.auth.clone();
        tokio::task::spawn_blocking(move || auth.logout(&t))
            .await
            .expect("auth task")
            .map_err(internal)?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
        )],
        Json(LoggedOut { ok: true }),
    )
        .into_response())
}

/// The caller's account and, for a session, its CSRF token.
#[utoipa::path(get, path = "/api/me", responses(
    (status = 200, description = "The account", body = Me),
    (status = 401), (status = 500),
))]
pub async fn me(c: Caller) -> Json<Me> {
    Json(Me {
        account: c.account,
        csrf: c.csrf,
    })
}

/// `GET /login`.
pub async fn login_page() -> Html<&'static str> {
    Html(include_str!("../static/login.html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(v: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in v {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_client_is_the_proxys_last_untrusted_hop() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = [ip("127.0.0.1"), ip("10.0.0.5")];
        // No proxy configured, or not from one: the header is the client's own word.
        assert_eq!(
            client_ip(ip("192.0.2.7"), &xff(&["198.51.100.1"]), &[]),
            ip("192.0.2.7")
        );
        assert_eq!(
            client_ip(ip("192.0.2.7"), &xff(&["198.51.100.1"]), &proxy),
            ip("192.0.2.7")
        );
        // From a proxy: the last hop that is not a proxy; a forged first hop is ignored.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &xff(&["6.6.6.6, 198.51.100.1"]), &proxy),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &xff(&["198.51.100.1", "10.0.0.5"]), &proxy),
            ip("198.51.100.1")
        );
        // Nothing usable: the proxy's own address.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &xff(&[]), &proxy),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &xff(&["bukan-ip"]), &proxy),
            ip("127.0.0.1")
        );
    }
    #[test]
    fn a_caller_is_not_told_which_other_opds_matched_its_mentions() {
        let account = |role: Role| Account {
            username: "petugas".into(),
            display_name: String::new(),
            role,
            profiles: vec!["bpbd".into()],
            disabled: false,
            handed_over_to: None,
            created_at: chrono::Utc::now(),
        };
        let mention: simak_core::Mention = serde_json::from_value(serde_json::json!({
            "id": "x:1", "source": "x", "text": "banjir",
            "published_at": "2026-11-20T01:00:00Z", "fetched_at": "2026-11-20T01:00:00Z",
            "profiles": ["pemkab", "bpbd", "dinkes"]
        }))
        .unwrap();
        let response = || simak_index::SearchResponse {
            total: 1,
            hits: vec![simak_index::search::Hit {
                score: None,
                highlight: String::new(),
                mention: mention.clone(),
            }],
            facets: [(
                "profile".to_string(),
                [("pemkab".to_string(), 1), ("bpbd".to_string(), 1)].into(),
            )]
            .into(),
            timeline: None,
            next_cursor: None,
        };
        let officer = Caller {
            account: account(Role::Officer),
            csrf: None,
        };
        let mut r = response();
        officer.redact_response(&mut r);
        assert_eq!(r.hits[0].mention.profiles, ["bpbd"]);
        assert_eq!(r.facets["profile"].keys().collect::<Vec<_>>(), ["bpbd"]);
        let admin = Caller {
            account: account(Role::Admin),
            csrf: None,
        };
        let mut r = response();
        admin.redact_response(&mut r);
        assert_eq!(r.hits[0].mention.profiles.len(), 3);
        assert_eq!(r.facets["profile"].len(), 2);
    }
}
