//! The OpenAPI document of the `/api` endpoints, generated from the handlers' own types
//! (`utoipa`: each handler's `#[utoipa::path]`, its query struct's `IntoParams`, the
//! `ToSchema` of what it sends), served at `GET /api/openapi.json`.
//!
//! What the derives cannot say is added here from the same sources the server checks with:
//! the error responses from the error table ([`crate::error::TABLE`]: each error status of an
//! operation lists its codes), the configured page size (`server.max_limit`) as the maximum of
//! every `limit`, and the hoax verdict that a mention carries among its extra fields.

use crate::error::TABLE;
use serde_json::{json, Value};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::OpenApi;

/// The sentiment labels a mention can carry (the `sentiment` filter's values).
pub const SENTIMENTS: [&str; 3] = ["negative", "neutral", "positive"];
/// The language codes the analyzer gives (the `lang` filter's values).
pub const LANGUAGES: [&str; 5] = ["id", "en", "jv", "su", "other"];
/// The hoax labels (the `hoax` filter's values).
pub const HOAX_LABELS: [&str; 3] = ["known_hoax", "suspected", "none"];
/// The export formats.
pub const EXPORT_FORMATS: [&str; 2] = ["csv", "jsonl"];
/// The review case states (the review queue's `state` filter).
pub const CASE_STATES: [&str; 5] = ["new", "in_review", "confirmed", "not_hoax", "clarified"];
/// The actions on a review case.
pub const ACTIONS: [&str; 5] = ["take", "confirm", "not_hoax", "clarify", "reopen"];
/// The largest `offset` the review queue takes (SQLite's OFFSET is a 64-bit integer; no
/// office has a million cases).
pub const MAX_REVIEW_OFFSET: usize = 1_000_000;

/// A string schema allowing only `values`.
pub(crate) fn one_of(values: &[&str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
}

pub(crate) fn sentiment_schema() -> impl Into<RefOr<Schema>> {
    one_of(&SENTIMENTS).build()
}
pub(crate) fn lang_schema() -> impl Into<RefOr<Schema>> {
    one_of(&LANGUAGES).build()
}
pub(crate) fn hoax_schema() -> impl Into<RefOr<Schema>> {
    one_of(&HOAX_LABELS).build()
}
pub(crate) fn format_schema() -> impl Into<RefOr<Schema>> {
    one_of(&EXPORT_FORMATS).default(Some(json!("csv"))).build()
}
pub(crate) fn state_schema() -> impl Into<RefOr<Schema>> {
    one_of(&CASE_STATES).build()
}
/// `since`/`until`: RFC 3339, a date (midnight WIB) or an age before now.
pub(crate) fn time_schema() -> impl Into<RefOr<Schema>> {
    let alt = |b: ObjectBuilder| RefOr::T(Schema::Object(b.build()));
    // anyOf: a string may satisfy more than one (formats are annotations to a validator).
    let any_of = utoipa::openapi::schema::AnyOfBuilder::new()
        .item(alt(ObjectBuilder::new().schema_type(Type::String).format(
            Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )),
        )))
        .item(alt(ObjectBuilder::new().schema_type(Type::String).format(
            Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )),
        )))
        .item(alt(ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9]{1,6}[mhd]$"))))
        .build();
    RefOr::T(Schema::AnyOf(any_of))
}
/// `[term, count]` pairs.
pub(crate) fn term_counts_schema() -> impl Into<RefOr<Schema>> {
    let pair = utoipa::openapi::schema::ArrayBuilder::new()
        .prefix_items([
            ObjectBuilder::new().schema_type(Type::String).build(),
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .build(),
        ])
        .items(utoipa::openapi::schema::ArrayItems::False)
        .min_items(Some(2));
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(pair)
        .build()
}

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder};
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            utoipa::openapi::security::SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::COOKIE,
            ))),
        );
        c.add_security_scheme(
            "token",
            utoipa::openapi::security::SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Simak API",
        description = "Social listening and hoax monitoring for Indonesian government PR offices. \
Every endpoint but /api/login and /api/openapi.json needs a session cookie (from POST /api/login; \
writes then need the X-CSRF-Token header) or an API token (Authorization: Bearer smk_…). Officers \
and viewers see only their watch profiles. Errors are JSON {\"error\": {\"code\", \"message\"}} \
with a stable code (see each error response and the README's table). Query parameters and body \
fields an endpoint does not take answer 400 unknown_parameter."
    ),
    paths(
        crate::auth::login,
        crate::auth::logout,
        crate::auth::me,
        crate::openapi,
        crate::search,
        crate::stats,
        crate::export::export,
        crate::review_list,
        crate::review_case,
        crate::review_act,
        crate::complaints::list,
        crate::complaints::detail,
        crate::complaints::act,
        crate::accounts::ranking,
        crate::alerts_list,
        crate::views::mention,
        crate::views::summary,
        crate::views::profiles,
        crate::views::set_complaint_routing,
        crate::views::factchecks,
        crate::views::add_factcheck,
        crate::sources::sources,
    ),
    components(schemas(
        simak_core::verdict::HoaxVerdict,
        simak_index::Interval,
        simak_index::Sort
    )),
    modifiers(&Security),
    security(("session" = []), ("token" = [])),
)]
struct ApiDoc;

/// The document as served: generated, then completed from the error table and `max_limit`.
pub fn document(max_limit: usize) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document serializes");
    doc["info"]["version"] = json!(env!("CARGO_PKG_VERSION"));
    let codes: Vec<&str> = TABLE.iter().map(|r| r.name).collect();
    let schemas = &mut doc["components"]["schemas"];
    schemas["Error"] = error_schema(&codes);
    // A mention's extra fields: the hoax verdict (the analyzer sets it), and whatever newer
    // stages add.
    if let Some(m) = schemas.get_mut("Mention") {
        m["properties"]["hoax"] = json!({"$ref": "#/components/schemas/HoaxVerdict"});
        m["additionalProperties"] = json!(true);
    }
    // A profile file takes no unknown keys; the API sends `recipients` beside them.
    if let Some(Value::Object(p)) = schemas.get_mut("WatchProfile") {
        p.remove("additionalProperties");
    }
    // The one rule between two fields the derive cannot say: clarify needs the URL.
    if let Some(b) = schemas.get_mut("ActionBody") {
        b["if"] = json!({"properties": {"action": {"const": "clarify"}}, "required": ["action"]});
        b["then"] = json!({"required": ["url"], "properties": {"url": {"type": "string", "pattern": "^https?://"}}});
    }
    // The rules between a complaint action and its fields.
    if let Some(b) = schemas.get_mut("ComplaintActionBody") {
        let nonblank = json!({"type": "string", "pattern": "\\S"});
        b["allOf"] = json!([
            {"if": {"properties": {"action": {"const": "answer"}}, "required": ["action"]},
             "then": {"required": ["text"], "properties": {
                 "text": nonblank,
                 "url": {"type": ["string", "null"], "pattern": "^(https?://\\S*)?$", "maxLength": 2000}}}},
            {"if": {"properties": {"action": {"const": "reroute"}}, "required": ["action"]},
             "then": {"required": ["opd", "note"], "properties": {"opd": nonblank, "note": nonblank}}},
        ]);
    }
    // Links from a list to its items, so that clients (and schemathesis's stateful phase) can
    // follow real ids rather than guess them.
    let link = |op: &str, param: &str, from: &str| json!({"operationId": op, "parameters": {param: format!("$response.body#{from}")}});
    let links = [
        (
            "/api/review",
            "get",
            "GetCase",
            link("review_case", "id", "/cases/0/id"),
        ),
        (
            "/api/review",
            "get",
            "ActOnCase",
            link("review_act", "id", "/cases/0/id"),
        ),
        (
            "/api/complaints",
            "get",
            "GetComplaint",
            link("complaint_detail", "id", "/complaints/0/id"),
        ),
        (
            "/api/search",
            "get",
            "GetMention",
            link("mention", "id", "/hits/0/id"),
        ),
        (
            "/api/review/{id}",
            "get",
            "GetFirstMention",
            link("mention", "id", "/mentions/0/id"),
        ),
    ];
    for (path, method, name, l) in links {
        let ok = &mut doc["paths"][path][method]["responses"]["200"];
        assert!(ok.is_object(), "{method} {path} has no 200");
        ok["links"][name] = l;
    }
    let mut statuses = std::collections::BTreeSet::new();
    for r in TABLE {
        statuses.insert(r.status);
    }
    let responses = doc["components"]
        .as_object_mut()
        .unwrap()
        .entry("responses")
        .or_insert_with(|| json!({}));
    for s in &statuses {
        let rows: Vec<_> = TABLE.iter().filter(|r| r.status == *s).collect();
        let desc = rows
            .iter()
            .map(|r| format!("`{}`: {}", r.name, r.meaning))
            .collect::<Vec<_>>()
            .join("; ");
        let names: Vec<&str> = rows.iter().map(|r| r.name).collect();
        responses[format!("Error{s}")] = json!({
            "description": desc,
            "content": {"application/json": {"schema": error_schema(&names)}},
        });
    }
    for (path, item) in doc["paths"].as_object_mut().unwrap().iter_mut() {
        let search_like = path == "/api/search" || path == "/api/export";
        for (_, op) in item.as_object_mut().unwrap().iter_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            if let Some(rs) = op.get_mut("responses").and_then(Value::as_object_mut) {
                for (status, r) in rs.iter_mut() {
                    if let Ok(s) = status.parse::<u16>() {
                        if s >= 400 {
                            assert!(statuses.contains(&s), "no error code answers {s}");
                            *r = json!({"$ref": format!("#/components/responses/Error{s}")});
                        }
                    }
                }
            }
            for p in op
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                // A query string has no null: an absent parameter is left out.
                if let Some(t) = p["schema"]["type"].as_array() {
                    let t: Vec<Value> = t.iter().filter(|t| *t != "null").cloned().collect();
                    p["schema"]["type"] = if t.len() == 1 { t[0].clone() } else { json!(t) };
                }
                if p["in"] == "query" && p["name"] == "limit" {
                    p["schema"]["maximum"] = json!(max_limit);
                }
                if p["in"] == "query" && p["name"] == "offset" && search_like {
                    p["schema"]["maximum"] = json!(crate::max_search_offset(max_limit));
                }
            }
        }
    }
    doc
}

/// `doc` with the watch profiles a complaint can be re-routed to as the only values of the
/// action's `opd` (another id is a 400).
pub fn with_opds(mut doc: Value, ids: &[String]) -> Value {
    if let Some(p) = doc
        .pointer_mut("/components/schemas/ComplaintActionBody/properties/opd")
        .and_then(Value::as_object_mut)
    {
        let mut values: Vec<Value> = ids.iter().map(|i| json!(i)).collect();
        values.push(Value::Null);
        p.insert("enum".into(), Value::Array(values));
    }
    doc
}

/// `doc` with the gazetteer's names as the only values of a complaint routing's `places` (another
/// name is a 400).
pub fn with_places(mut doc: Value, names: &[String]) -> Value {
    if let Some(p) = doc
        .pointer_mut("/components/schemas/ComplaintRouting/properties/places/items")
        .and_then(Value::as_object_mut)
    {
        p.insert(
            "enum".into(),
            Value::Array(names.iter().map(|n| json!(n)).collect()),
        );
    }
    doc
}

fn error_schema(codes: &[&str]) -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "additionalProperties": false,
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": false,
            "properties": {
                "code": {"type": "string", "enum": codes},
                "message": {"type": "string"},
            },
        }},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The `/api` routes of the router and their methods, read from `lib.rs`'s `router()`.
    fn routed() -> BTreeSet<(String, String)> {
        let src = include_str!("lib.rs");
        let body = &src[src.find("pub fn router(").unwrap()..];
        let body = &body[..body.find(".fallback(").unwrap()];
        let mut out = BTreeSet::new();
        for (i, _) in body.match_indices(".route(") {
            let rest = body[i + 7..].trim_start().strip_prefix('"').unwrap();
            let path = &rest[..rest.find('"').unwrap()];
            // The route's handlers: up to the next `.route(` (or the end).
            let call = &rest[..rest[1..].find(".route(").map_or(rest.len(), |j| j + 1)];
            if !path.starts_with("/api/") {
                continue;
            }
            for m in ["get", "post", "put", "patch", "delete"] {
                let calls = call.contains(&format!("{m}(")) || call.contains(&format!("::{m}("));
                if calls {
                    out.insert((path.to_string(), m.to_string()));
                }
            }
        }
        out
    }

    fn documented(doc: &Value) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for m in item.as_object().unwrap().keys() {
                out.insert((path.clone(), m.clone()));
            }
        }
        out
    }

    #[test]
    #[ignore = "writes the document for reading: cargo test -p simak-server dump -- --ignored"]
    fn dump() {
        let path = std::env::temp_dir().join("simak-openapi.json");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&document(1000)).unwrap(),
        )
        .unwrap();
        eprintln!("{}", path.display());
    }

    #[test]
    fn every_routed_endpoint_is_documented_and_nothing_else() {
        let doc = document(1000);
        let routed = routed();
        assert!(routed.len() >= 17, "{routed:?}");
        assert_eq!(documented(&doc), routed);
    }

    /// Every `$ref` in `v`.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => refs(x, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn the_document_is_whole() {
        let doc = document(1000);
        assert_eq!(doc["openapi"], "3.1.0");
        // Every reference resolves.
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 30);
        for r in all {
            let ptr = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("{r} is not local"));
            assert!(doc.pointer(ptr).is_some(), "{r} does not resolve");
        }
        let ids: BTreeSet<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|i| i.as_object().unwrap().values())
            .map(|op| op["operationId"].as_str().unwrap())
            .collect();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let what = format!("{method} {path}");
                for l in op["responses"]["200"]["links"]
                    .as_object()
                    .into_iter()
                    .flatten()
                {
                    let target = l.1["operationId"].as_str().unwrap();
                    assert!(ids.contains(target), "{what}: link to {target}");
                }
                let rs = op["responses"].as_object().unwrap();
                assert!(rs.keys().any(|s| s.starts_with('2')), "{what}: no success");
                // Every path parameter of the template is declared, and nothing else.
                let in_path: BTreeSet<&str> = path
                    .split('/')
                    .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                    .collect();
                let declared: BTreeSet<&str> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap())
                    .collect();
                assert_eq!(in_path, declared, "{what}");
                // Every endpoint but login and this document needs a caller: 401 is listed.
                let open = op["security"] == json!([{}]);
                assert_eq!(
                    open,
                    path == "/api/login" || path == "/api/openapi.json",
                    "{what}"
                );
                if !open {
                    assert!(rs.contains_key("401"), "{what} lacks 401");
                }
                // Every endpoint taking parameters or a body documents its 400.
                let takes_input = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["in"] != "path")
                    || op.get("requestBody").is_some();
                if takes_input {
                    assert!(rs.contains_key("400"), "{what} lacks 400");
                }
                for p in op["parameters"].as_array().into_iter().flatten() {
                    assert!(p["schema"]["type"] != json!(["null"]));
                    assert!(
                        !p["schema"]["type"]
                            .as_array()
                            .is_some_and(|t| t.contains(&json!("null"))),
                        "{what}: {p}"
                    );
                }
            }
        }
    }

    #[test]
    fn error_responses_come_from_the_table() {
        let doc = document(1000);
        let codes: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]
            ["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let table: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes, table);
        let r400 = &doc["components"]["responses"]["Error400"];
        let listed = &r400["content"]["application/json"]["schema"]["properties"]["error"]
            ["properties"]["code"]["enum"];
        assert_eq!(
            listed,
            &json!(["bad_request", "unknown_parameter", "bad_query"])
        );
        assert!(r400["description"]
            .as_str()
            .unwrap()
            .contains("`unknown_parameter`"));
        let search = &doc["paths"]["/api/search"]["get"]["responses"];
        assert_eq!(search["400"]["$ref"], "#/components/responses/Error400");
        assert_eq!(search["403"]["$ref"], "#/components/responses/Error403");
    }

    use crate::error::ErrorCode;

    fn param<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
        let op = doc["paths"][path]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap();
        op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has no {name}"))
    }

    #[test]
    fn bounds_formats_and_enums_are_the_servers() {
        let doc = document(250);
        for path in [
            "/api/search",
            "/api/review",
            "/api/factchecks",
            "/api/export",
        ] {
            let limit = &param(&doc, path, "limit")["schema"];
            assert_eq!(
                (limit["minimum"].as_u64(), limit["maximum"].as_u64()),
                (Some(1), Some(250)),
                "{path}"
            );
            assert_eq!(limit["type"], "integer");
        }
        for path in ["/api/search", "/api/export"] {
            let offset = &param(&doc, path, "offset")["schema"];
            assert_eq!(
                offset["maximum"].as_u64(),
                Some(simak_index::search::MAX_WINDOW as u64 - 250)
            );
        }
        let offset = &param(&doc, "/api/review", "offset")["schema"];
        assert_eq!(offset["maximum"].as_u64(), Some(MAX_REVIEW_OFFSET as u64));
        assert_eq!(
            param(&doc, "/api/search", "sentiment")["schema"]["enum"],
            json!(SENTIMENTS)
        );
        assert_eq!(
            param(&doc, "/api/search", "lang")["schema"]["enum"],
            json!(LANGUAGES)
        );
        assert_eq!(
            param(&doc, "/api/search", "hoax")["schema"]["enum"],
            json!(HOAX_LABELS)
        );
        assert_eq!(
            param(&doc, "/api/review", "state")["schema"]["enum"],
            json!(CASE_STATES)
        );
        let since = param(&doc, "/api/search", "since")["schema"].to_string();
        assert!(
            since.contains("date-time") && since.contains("\"date\""),
            "{since}"
        );
        let s = &doc["components"]["schemas"];
        assert_eq!(
            s["Mention"]["properties"]["published_at"]["format"],
            "date-time"
        );
        assert_eq!(
            s["Case"]["properties"]["state"]["$ref"],
            "#/components/schemas/CaseState"
        );
        // The review states the spec names are the ones the queue knows.
        for st in CASE_STATES {
            assert!(simak_review::State::parse(st).is_ok(), "{st}");
        }
        // The parameters a query may carry are the documented ones.
        assert_eq!(
            crate::params::names::<crate::SearchParams>().len(),
            doc["paths"]["/api/search"]["get"]["parameters"]
                .as_array()
                .unwrap()
                .len()
        );
    }
}
