//! Uploads are checked before they are read and streamed to disk with their own cap: a caller
//! without the right is refused while still sending, and a file over the cap is cut off.

mod common;

use common::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// POSTs a chunked body of `mib` MiB (then keeps the connection open without ending it) and
/// returns the status of the answer, read while the body is still being sent.
async fn streamed(app: &TestApp, path: &str, token: &str, mib: usize) -> Option<u16> {
    let addr = app.url.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let writer = async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let data = vec![b'a'; 1 << 20];
        for _ in 0..mib {
            let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
            chunk.extend_from_slice(&data);
            chunk.extend_from_slice(b"\r\n");
            if wr.write_all(&chunk).await.is_err() {
                break;
            }
        }
        // Never finish the body: an answer can only come from a server that stopped reading.
        std::future::pending::<()>().await
    };
    let reader = async move {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = rd.read(&mut buf).await {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            if got.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&got).split_whitespace().nth(1).and_then(|s| s.parse::<u16>().ok())
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        tokio::select! {
            s = reader => s,
            _ = writer => None,
        }
    })
    .await
    .unwrap_or(None)
}

both_backends!(uploads_are_checked_before_they_are_read_and_capped, |app: TestApp| async move {
    common::add_user(&app.db, "gworker", "grid_worker", &app.tree.village_a, None).await;
    let gw = app.token("gworker").await;
    // No import right: refused with the body still arriving (it never ends).
    assert_eq!(streamed(&app, "/api/v1/import/members?filename=m.csv", &gw, 1).await, Some(403));
    let (county, village) = (app.tree.county.id, app.tree.village_a.id);
    assert_eq!(streamed(&app, &format!("/api/v1/orgs/{county}/households/import?filename=h.csv"), &gw, 1).await, Some(404), "outside the grid worker's scope");
    // Allowed, but past the 50 MiB cap: cut off while streaming.
    let admin = app.token("admin").await;
    assert_eq!(streamed(&app, "/api/v1/import/members?filename=m.csv", &admin, 60).await, Some(413));
    assert_eq!(streamed(&app, &format!("/api/v1/orgs/{village}/households/import?filename=h.csv"), &admin, 60).await, Some(413));
});
