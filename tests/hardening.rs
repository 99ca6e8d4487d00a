//! The HTTP boundary under hostile input, over real HTTP on SQLite and PostgreSQL: body limits,
//! the framework's rejections in the project's error shapes, control characters, security
//! headers, the login redirect, flash messages, /healthz.

mod common;

use common::{hidden, id, ui_login};
use serde_json::{json, Value};

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn json_error(r: reqwest::Response) -> (u16, String, Value) {
    let status = r.status().as_u16();
    assert!(header(&r, "content-type").starts_with("application/json"), "{status}: {:?}", r.headers());
    let v: Value = r.json().await.unwrap();
    let code = v["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {v}")).to_string();
    assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    (status, code, v)
}

/// A Chinese error page, without the framework's English.
async fn html_error(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    assert!(header(&r, "content-type").starts_with("text/html"), "{status}: {:?}", r.headers());
    let body = r.text().await.unwrap();
    for english in ["Failed to", "Invalid URL", "deserialize", "Expected request"] {
        assert!(!body.contains(english), "{english} in {body}");
    }
    (status, body)
}

/// A POST over a raw connection, streaming `mib` MiB of `a` (chunked unless `declared`); stops
/// sending as soon as the answer's head arrives. The answer's status, if one was read.
async fn raw_post(addr: &str, path: &str, content_type: &str, declared: Option<u64>, mib: usize) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let length = match declared {
        Some(n) => format!("Content-Length: {n}"),
        None => "Transfer-Encoding: chunked".to_string(),
    };
    let head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n{length}\r\n\r\n");
    let writer = async move {
        if wr.write_all(head.as_bytes()).await.is_err() {
            return std::future::pending::<()>().await;
        }
        let data = vec![b'a'; 1 << 20];
        for _ in 0..mib {
            let sent = if declared.is_some() {
                wr.write_all(&data).await
            } else {
                let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
                chunk.extend_from_slice(&data);
                chunk.extend_from_slice(b"\r\n");
                wr.write_all(&chunk).await
            };
            if sent.is_err() {
                break;
            }
        }
        std::future::pending::<()>().await
    };
    let reader = async move {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    if got.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
        let text = String::from_utf8_lossy(&got);
        text.split_whitespace().nth(1).and_then(|s| s.parse::<u16>().ok())
    };
    let answer = async {
        tokio::select! {
            status = reader => status,
            _ = writer => None,
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(120), answer).await.expect("the server neither answered nor closed")
}

fn resident_memory_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|n| n.parse().ok()).unwrap_or(0)
}

both_backends!(oversize_bodies_answer_413_without_buffering, |app: common::TestApp| async move {
    let c = &app.client;
    // A login form over the small limit: the Chinese page (bigger bodies are streamed below,
    // where the server stops reading them part-way).
    let big = format!("username=a&password={}&csrf=x", "x".repeat(200 * 1024));
    let r = c.post(format!("{}/login", app.url)).header("content-type", "application/x-www-form-urlencoded").body(big).send().await.unwrap();
    let (s, body) = html_error(r).await;
    assert_eq!(s, 413);
    assert!(body.contains("过大"), "{body}");
    // 100 KB of JSON on an API route: the JSON error.
    let t = app.token("admin").await;
    let name = "名".repeat(40_000);
    let r = c.post(format!("{}/api/v1/orgs", app.url)).bearer_auth(&t).json(&json!({"parent_id": app.tree.county.id, "name": name})).send().await.unwrap();
    let (s, code, _) = json_error(r).await;
    assert_eq!((s, code.as_str()), (413, "body_too_large"));
    // A declared size over every limit is refused before anything is read.
    let addr = app.url.trim_start_matches("http://").to_string();
    let status = raw_post(&addr, "/api/v1/auth/login", "application/json", Some(300 << 20), 1).await;
    assert_eq!(status, Some(413));

    // Eight concurrent 190 MB posts to /login, streamed: each is cut off at the limit, and the
    // server's memory does not grow with them.
    let before = resident_memory_kib();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let addr = addr.clone();
        // Half declare their length (refused at once), half are chunked (refused at the limit).
        let declared = (i % 2 == 0).then_some(190 << 20);
        tasks.push(tokio::spawn(async move { raw_post(&addr, "/login", "application/x-www-form-urlencoded", declared, 190).await }));
    }
    for t in tasks {
        let status = t.await.unwrap();
        // The server may close the connection before its answer is read: never anything but 413.
        assert!(matches!(status, Some(413) | None), "{status:?}");
    }
    let grown_mib = resident_memory_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 100, "resident memory grew by {grown_mib} MiB");
    // Still serving.
    let r = c.get(format!("{}/healthz", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
});

both_backends!(api_rejections_are_json_errors, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let c = &app.client;
    let url = |p: &str| format!("{}{p}", app.url);
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (c.post(url("/api/v1/orgs")).bearer_auth(&t).header("content-type", "application/json").body("{\"name\": "), 400, "bad_json"),
        (c.post(url("/api/v1/orgs")).bearer_auth(&t).json(&json!({"parent_id": "one"})), 422, "bad_json"),
        (c.post(url("/api/v1/orgs")).bearer_auth(&t).header("content-type", "text/plain").body("{}"), 415, "unsupported_media_type"),
        (c.get(url("/api/v1/orgs/abc")).bearer_auth(&t), 400, "bad_path"),
        (c.get(url("/api/v1/orgs/99999999999999999999")).bearer_auth(&t), 400, "bad_path"),
        (c.get(url("/api/v1/members?page=abc")).bearer_auth(&t), 400, "bad_query"),
        (c.delete(url("/api/v1/orgs")).bearer_auth(&t), 405, "method_not_allowed"),
        (c.get(url("/api/v1/no-such-thing")).bearer_auth(&t), 404, "not_found"),
    ];
    for (req, status, code) in cases {
        let (s, c, v) = json_error(req.send().await.unwrap()).await;
        assert_eq!((s, c.as_str()), (status, code), "{v}");
    }
    // The English detail is there for API callers, the message is Chinese.
    let r = c.post(url("/api/v1/orgs")).bearer_auth(&t).json(&json!({"parent_id": "one"})).send().await.unwrap();
    let (_, _, v) = json_error(r).await;
    assert!(v["error"]["detail"].as_str().unwrap().contains("parent_id"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("JSON"));
    // Open311 keeps GeoReport's error array.
    let r = c.put(url("/open311/v2/services.json")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v[0]["code"], 405, "{v}");
    assert!(v[0]["description"].is_string());
});

both_backends!(ui_rejections_are_the_chinese_page, |app: common::TestApp| async move {
    let ui = ui_login(&app, "admin").await;
    let url = |p: &str| format!("{}{p}", app.url);
    let (s, body) = html_error(ui.get(url("/orgs/abc")).send().await.unwrap()).await;
    assert_eq!(s, 400);
    assert!(body.contains("bad_path") && body.contains("无法识别"), "{body}");
    let (s, body) = html_error(ui.get(url("/members?page=abc")).send().await.unwrap()).await;
    assert_eq!(s, 400);
    assert!(body.contains("bad_query"), "{body}");
    // A form without its required fields.
    let (s, body) = html_error(ui.post(url(&format!("/orgs/{}/move", app.tree.village_a.id))).form(&[("x", "1")]).send().await.unwrap()).await;
    assert_eq!(s, 422);
    assert!(body.contains("bad_form"), "{body}");
    let (s, body) = html_error(ui.put(url("/login")).send().await.unwrap()).await;
    assert_eq!(s, 405);
    assert!(body.contains("method_not_allowed"), "{body}");
    let (s, _) = html_error(ui.get(url("/no/such/page")).send().await.unwrap()).await;
    assert_eq!(s, 404);
});

both_backends!(control_characters_are_refused_before_the_database, |app: common::TestApp| async move {
    let c = &app.client;
    let url = |p: &str| format!("{}{p}", app.url);
    // Public pages (PostgreSQL answered 500 on a NUL here).
    for path in ["/p/T001%00", "/p/track?code=AB%00CD", "/p/V001?source=%01"] {
        let r = c.get(url(path)).send().await.unwrap();
        let (s, body) = html_error(r).await;
        assert_eq!(s, 422, "{path}: {body}");
        assert!(body.contains("控制字符"), "{body}");
    }
    let r = c.get(url("/open311/v2/requests.json?jurisdiction_id=V001%00")).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v[0]["code"], 422, "{v}");
    // JSON bodies and query strings of the API.
    let t = app.token("admin").await;
    let r = c.post(url("/api/v1/orgs")).bearer_auth(&t).json(&json!({"parent_id": app.tree.town.id, "code": "V9", "name": "坏\u{0}名字", "kind": "branch", "domain": "rural"})).send().await.unwrap();
    let (s, code, _) = json_error(r).await;
    assert_eq!((s, code.as_str()), (422, "control_character"));
    let r = c.get(url("/api/v1/members?q=%E7%8E%8B%00")).bearer_auth(&t).send().await.unwrap();
    let (s, code, _) = json_error(r).await;
    assert_eq!((s, code.as_str()), (422, "control_character"));
    // A form field.
    let r = c.post(url("/login")).form(&[("username", "ad\u{0}min"), ("password", "x"), ("csrf", "x")]).send().await.unwrap();
    let (s, _) = html_error(r).await;
    assert_eq!(s, 422);
    // A public multipart form field.
    let form = reqwest::multipart::Form::new().text("category", "environment").text("text", "楼道堆物\u{0}");
    let r = c.post(url("/p/V001")).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 422);
    // Tabs and line breaks are text.
    let r = c.get(url("/p/track?code=%09")).send().await.unwrap();
    assert_ne!(r.status(), 422);
    let (s, v) = app.post(&t, "/api/v1/orgs", json!({"parent_id": app.tree.town.id, "code": "V9", "name": "新村\t党支部", "kind": "branch", "domain": "rural"})).await;
    assert_ne!(s, 500, "{v}");
});

both_backends!(security_headers_on_every_answer, |app: common::TestApp| async move {
    let c = &app.client;
    let t = app.token("admin").await;
    let pages = [
        c.get(format!("{}/login", app.url)),
        c.get(format!("{}/api/v1/me", app.url)).bearer_auth(&t),
        c.get(format!("{}/p/track", app.url)),
        c.get(format!("{}/orgs/1", app.url)),
        c.get(format!("{}/api/v1/orgs/abc", app.url)).bearer_auth(&t),
    ];
    for req in pages {
        let r = req.send().await.unwrap();
        let csp = header(&r, "content-security-policy");
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert_eq!(header(&r, "x-frame-options"), "DENY");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert_eq!(header(&r, "cache-control"), "no-store", "{}", r.url());
        assert!(!header(&r, "referrer-policy").is_empty());
        assert!(!header(&r, "x-request-id").is_empty());
    }
    let r = c.get(format!("{}/p/track", app.url)).send().await.unwrap();
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    let r = c.get(format!("{}/login", app.url)).send().await.unwrap();
    assert_eq!(header(&r, "referrer-policy"), "same-origin");
    // No inline script on a page: the one script is a file.
    let body = r.text().await.unwrap();
    assert!(!body.contains("javascript:") && !body.contains("onclick"));
    let ui = ui_login(&app, "admin").await;
    let page = ui.get(format!("{}/orgs/{}", app.url, app.tree.county.id)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("<script>") && !page.contains("javascript:"), "{page}");
    let r = c.get(format!("{}/static/app.js", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(header(&r, "cache-control").contains("max-age"));
    // A caller's request id comes back.
    let r = c.get(format!("{}/healthz", app.url)).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(header(&r, "x-request-id"), "abc-123");
    assert_eq!(r.text().await.unwrap(), "ok");
    // Cookies without --secure-cookies are not Secure (the flag is tested in the unit tests).
    let r = c.get(format!("{}/login", app.url)).send().await.unwrap();
    assert!(!header(&r, "set-cookie").contains("Secure"));
});

both_backends!(login_next_stays_on_this_site, |app: common::TestApp| async move {
    for (next, expect) in [
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\/evil.example", "/"),
        ("evil.example", "/"),
        ("/orgs/1?x=1", "/orgs/1?x=1"),
    ] {
        let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let page = c.get(format!("{}/login", app.url)).query(&[("next", next)]).send().await.unwrap().text().await.unwrap();
        assert_eq!(hidden(&page, "next").replace("&amp;", "&"), expect, "{next}");
        let csrf = hidden(&page, "csrf");
        let r = c.post(format!("{}/login", app.url)).form(&[("username", "admin"), ("password", common::PASSWORD), ("csrf", &csrf), ("next", next)]).send().await.unwrap();
        assert_eq!(r.status(), 303, "{next}");
        assert_eq!(header(&r, "location"), expect, "{next}");
    }
    // A line break in next: no 500, no redirect anywhere else.
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = c.get(format!("{}/login?next=/%0D%0ALocation:%20https://evil.example", app.url)).send().await.unwrap();
    assert!(r.status().is_client_error() || r.status() == 200, "{}", r.status());
    let page = c.get(format!("{}/login", app.url)).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let r = c.post(format!("{}/login", app.url)).form(&[("username", "admin"), ("password", common::PASSWORD), ("csrf", &csrf), ("next", "/\nLocation: https://evil.example")]).send().await.unwrap();
    assert_ne!(r.status(), 500);
    assert!(!header(&r, "location").contains("evil"));
});

both_backends!(flash_messages_come_from_the_session_only, |app: common::TestApp| async move {
    let ui = ui_login(&app, "admin").await;
    // A crafted link cannot make a real page say anything.
    let r = ui.get(format!("{}/orgs/{}?notice=%E8%AF%B7%E6%8B%A8%E6%89%93%E5%AE%A2%E6%9C%8D", app.url, app.tree.county.id)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(!r.text().await.unwrap().contains("请拨打客服"));
    // Saving a dues base through the form lands on the month's page with the message, once.
    let t = app.token("admin").await;
    let m = app.member(&t, &app.tree.village_a, "王建国", &id("1970-01-02", 11)).await;
    let page = ui.get(format!("{}/members/{m}/dues?month=2026-11", app.url)).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let r = ui
        .post(format!("{}/members/{m}/dues/basis", app.url))
        .form(&[("csrf", csrf.as_str()), ("from_month", "2026-11"), ("category", "employed"), ("base_yuan", "4000.00"), ("fixed_yuan", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = header(&r, "location").to_string();
    assert_eq!(loc, format!("/members/{m}/dues?month=2026-11"));
    let r = ui.get(format!("{}{loc}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("交纳基数已核定"), "{page}");
    assert!(!page.contains("无法识别"), "{page}");
    let again = ui.get(format!("{}{loc}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(!again.contains("交纳基数已核定"), "the message is shown once");
});

both_backends!(healthz_answers_without_login, |app: common::TestApp| async move {
    let r = app.client.get(format!("{}/healthz", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
});
