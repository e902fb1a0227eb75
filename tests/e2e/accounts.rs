//! The OPDs' own accounts ranked on a running `simak run`: citizens' comments and the OPDs'
//! own posts (one a reply on the platform that answers a complaint) are imported, analyzed and
//! indexed; `GET /api/accounts/ranking` counts each OPD's posts, reach, comments and answers
//! and ranks them by the documented score, for every role; bad input is a 400; and the page
//! "Peringkat Akun OPD" shows the ranking in a real browser.

use crate::complaints::{comments, wait_for_complaints};
use crate::harness::*;
use serde_json::{json, Value};
use std::time::Duration;

async fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let r = match token {
        Some(t) => reqwest::Client::new().get(url).bearer_auth(t).send().await,
        None => http_get(url).await,
    };
    let r = r.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn row<'a>(v: &'a Value, opd: &str) -> &'a Value {
    v["opds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["opd"] == opd)
        .unwrap_or_else(|| panic!("no {opd} in {v}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_opds_accounts_are_ranked_by_their_posts_and_answers() {
    use crate::browser::{browser, click, start_driver, type_into, until};
    let app = App::new(None, "");
    app.add_user("pu-1", "officer", "dpupr-sukamaju", None, "sandi-kantor-pu");
    let _run = app.spawn(&["run"]);
    let base = app.base_url();
    // Road (DPUPR, 2 h ago), health (Dinkes, 30 h ago: overdue), waste (Humas), a praise, and a
    // post by @PemkabSukamaju (1 h ago).
    assert_ok(&app.import(&comments(&[2, 30, 3, 1, 1])));
    wait_for_complaints(&app, 3).await;
    let ago = |h: i64| (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc3339();
    let now = chrono::Utc::now().to_rfc3339();
    let posts = [
        // DPUPR answers the road complaint under it, on the platform, which counts views.
        json!({"id": "ig:pu1", "source": "instagram", "in_reply_to": "ig:c1",
               "url": "https://instagram.example/p/1/c/1/r/1", "author": {"handle": "dpupr_sukamaju"},
               "text": "Terima kasih, jalan di Jatisari kami tambal besok pagi.",
               "metrics": {"views": 120, "likes": 7, "replies": 3}, "published_at": now}),
        // Dinkes posts twice; the platform counts likes only.
        json!({"id": "x:dk1", "source": "x", "author": {"handle": "@Dinkes_Sukamaju"},
               "text": "Dinkes Sukamaju: imunisasi gratis di puskesmas Cibening hari Sabtu",
               "metrics": {"likes": 10}, "published_at": ago(5)}),
        json!({"id": "x:dk2", "source": "x", "author": {"handle": "dinkes_sukamaju"},
               "text": "Waspada DBD, Dinkes Sukamaju ajak warga 3M plus", "published_at": ago(6)}),
        // DPUPR 40 days ago: outside the default period of 30 days.
        json!({"id": "x:pu0", "source": "x", "author": {"handle": "dpupr_sukamaju"},
               "text": "DPUPR Sukamaju memperbaiki jembatan Cikaret", "published_at": ago(40 * 24)}),
    ];
    let lines: String = posts.iter().map(|p| format!("{p}\n")).collect();
    assert_ok(&app.import(&lines));
    // The reply answered the road complaint, and all four posts are searchable (the review
    // feeder and the indexer read the analyzed stream each at its own pace).
    let q = "id:%22ig:pu1%22%20OR%20id:%22x:dk1%22%20OR%20id:%22x:dk2%22%20OR%20id:%22x:pu0%22";
    let mut ready = false;
    for _ in 0..600 {
        let (_, v) = get(&format!("{base}/api/complaints?status=answered"), None).await;
        let (_, s) = get(&format!("{base}/api/search?q={q}"), None).await;
        if v["complaints"].as_array().is_some_and(|a| a.len() == 1) && s["total"] == 4 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the reply and the posts in time\n{}", app.logs());

    let (s, v) = get(&format!("{base}/api/accounts/ranking"), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["weights"],
        json!({"answered": 50.0, "on_time": 30.0, "activity": 20.0})
    );
    let pu = row(&v, "dpupr-sukamaju");
    assert_eq!(pu["accounts"], json!(["@dpupr_sukamaju"]));
    assert_eq!(
        [
            &pu["posts"],
            &pu["replies"],
            &pu["posts_with_reach"],
            &pu["reach"],
            &pu["comments"]
        ],
        [1, 1, 1, 120, 3].map(|n| json!(n)).each_ref(),
        "{pu}"
    );
    assert_eq!(
        [
            &pu["complaints"],
            &pu["answered"],
            &pu["answered_on_time"],
            &pu["overdue"]
        ],
        [1, 1, 1, 0].map(|n| json!(n)).each_ref(),
        "{pu}"
    );
    assert_eq!(pu["share_answered"], 1.0);
    // Posted 2 h ago, answered now.
    let median = pu["median_response_minutes"].as_u64().unwrap();
    assert!((115..=125).contains(&median), "{pu}");
    // (50 + 30 + 20 · 1/30) / 100.
    assert_eq!(pu["score"], 80.7, "{pu}");
    let dk = row(&v, "dinkes-sukamaju");
    assert_eq!(
        [
            &dk["posts"],
            &dk["reach"],
            &dk["comments"],
            &dk["complaints"],
            &dk["answered"],
            &dk["overdue"]
        ],
        [
            json!(2),
            json!(10),
            Value::Null,
            json!(1),
            json!(0),
            json!(1)
        ]
        .each_ref(),
        "{dk}"
    );
    assert_eq!(dk["median_response_minutes"], Value::Null);
    assert_eq!(dk["score"], 1.3, "{dk}");
    let humas = row(&v, "pemkab-sukamaju");
    assert_eq!(
        (&humas["posts"], &humas["complaints"]),
        (&json!(1), &json!(1)),
        "{humas}"
    );
    let order: Vec<(&str, Option<u64>)> = v["opds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["opd"].as_str().unwrap(), o["rank"].as_u64()))
        .collect();
    assert_eq!(
        order,
        [
            ("dpupr-sukamaju", Some(1)),
            ("dinkes-sukamaju", Some(2)),
            ("pemkab-sukamaju", Some(3)),
            ("diskominfo-sukamaju", Some(4)),
        ],
        "{v}"
    );

    // A period: the last 50 days count DPUPR's old post too; one before the comments counts no
    // complaint; a period ending before it starts is empty.
    let (_, v) = get(&format!("{base}/api/accounts/ranking?since=50d"), None).await;
    assert_eq!(row(&v, "dpupr-sukamaju")["posts"], 2, "{v}");
    let (_, v) = get(
        &format!("{base}/api/accounts/ranking?since=50d&until=20d"),
        None,
    )
    .await;
    let pu = row(&v, "dpupr-sukamaju");
    assert_eq!(
        (&pu["posts"], &pu["complaints"]),
        (&json!(1), &json!(0)),
        "{v}"
    );
    let (s, v) = get(
        &format!("{base}/api/accounts/ranking?since=1d&until=2d"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(v["opds"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["posts"] == 0 && o["complaints"] == 0));

    // Bad input: a stable code, and the server keeps answering.
    for (q, code) in [
        ("since=kemarin", "bad_request"),
        ("until=2026-13-45", "bad_request"),
        ("opd=dpupr-sukamaju", "unknown_parameter"),
    ] {
        let (s, v) = get(&format!("{base}/api/accounts/ranking?{q}"), None).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (400, Some(code)),
            "{q}: {v}"
        );
    }
    let anon = reqwest::get(format!("{base}/api/accounts/ranking"))
        .await
        .unwrap();
    assert_eq!(anon.status().as_u16(), 401);

    // An officer and a viewer of one OPD see the whole ranking: the regency's own, counts only.
    let pu_token = app.token("pu-1");
    app.add_user(
        "dinkes-pimpinan",
        "viewer",
        "dinkes-sukamaju",
        None,
        "sandi-pimpinan",
    );
    let viewer = app.token("dinkes-pimpinan");
    for t in [&pu_token, &viewer] {
        let (s, v) = get(&format!("{base}/api/accounts/ranking"), Some(t)).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["opds"].as_array().unwrap().len(), 4, "{v}");
        assert_eq!(row(&v, "dinkes-sukamaju")["complaints"], 1);
    }

    // The page, in a browser, as the officer.
    let (_driver, dport) = start_driver();
    let c = browser(dport).await;
    c.goto(&format!("{base}/login")).await.unwrap();
    until(&c, "the login form", "return document.querySelector('#u')").await;
    type_into(&c, "#u", "pu-1").await;
    type_into(&c, "#p", "sandi-kantor-pu").await;
    click(&c, "#f button").await;
    until(
        &c,
        "the logged-in page",
        "return location.pathname === '/' && document.querySelector('#who').textContent",
    )
    .await;
    click(&c, "nav a[data-page=peringkat]").await;
    let rows = until(
        &c,
        "the ranking",
        "const t = document.querySelectorAll('#ranking tr[data-opd]'); \
         return t.length === 4 && [...t].map((r) => [r.dataset.opd, r.querySelector('.rank').textContent, r.querySelector('.score').textContent])",
    )
    .await;
    // The page asks from midnight WIB 30 days ago: the scores are the API's for that period,
    // written the Indonesian way.
    let since =
        (chrono::Utc::now() + chrono::Duration::hours(7) - chrono::Duration::days(30)).date_naive();
    let (_, v) = get(&format!("{base}/api/accounts/ranking?since={since}"), None).await;
    let expected: Vec<Value> = v["opds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let score = o["score"].as_f64().unwrap().to_string().replace('.', ",");
            json!([o["opd"], o["rank"].to_string(), score])
        })
        .collect();
    assert_eq!(rows, json!(expected));
    let ranked: Vec<&str> = expected.iter().map(|r| r[0].as_str().unwrap()).collect();
    assert_eq!(
        ranked,
        [
            "dpupr-sukamaju",
            "dinkes-sukamaju",
            "pemkab-sukamaju",
            "diskominfo-sukamaju"
        ]
    );
    let heading = until(
        &c,
        "the heading",
        "return document.querySelector('main h1').textContent",
    )
    .await;
    assert_eq!(heading, "Peringkat Akun OPD");
    c.close().await.unwrap();

    // The server recorded each OPD's official accounts in the audit log as it read them.
    let audit = String::from_utf8_lossy(&app.run(&["user", "audit"]).stdout).to_string();
    let line = audit
        .lines()
        .find(|l| l.contains("profile.accounts") && l.contains("dpupr-sukamaju"))
        .unwrap_or_else(|| panic!("no profile.accounts entry in\n{audit}"));
    assert!(line.contains("@dpupr_sukamaju (first recorded)"), "{line}");
    assert!(line.contains("config"), "{line}");
    let entries = audit
        .lines()
        .filter(|l| l.contains("profile.accounts"))
        .count();
    assert_eq!(entries, 4, "one per OPD, once: {audit}");
}
