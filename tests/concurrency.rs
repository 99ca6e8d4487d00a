//! 50 parallel callers on the write paths that read before they write, on SQLite and PostgreSQL:
//! counters equal real counts, the tree never gets a cycle, no answer is a 500, guesses are
//! charged before they are evaluated, and ledgers sum exactly.

mod common;

use futures_util::future::join_all;
use serde_json::{json, Value};
use sqlx::Row as _;

use common::TestApp;

const PARALLEL: usize = 50;

/// Every org's `members/all` counter equals the members in its subtree, every dimension sums to
/// it, and nothing is negative.
async fn assert_counters_match(app: &TestApp) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let orgs = sqlx::query("SELECT id, path FROM orgs").fetch_all(&mut *conn).await.unwrap();
    for o in orgs {
        let id: i64 = o.try_get("id").unwrap();
        let path: String = o.try_get("path").unwrap();
        let real: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE org_path >= $1 AND org_path < $2")
            .bind(&path)
            .bind(yinghuo::db::path::upper(&path))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let rows = sqlx::query("SELECT dim, key, n FROM org_stats WHERE org_id = $1 AND dim <> 'orgs'").bind(id).fetch_all(&mut *conn).await.unwrap();
        let mut per_dim = std::collections::HashMap::<String, i64>::new();
        for r in rows {
            let n: i64 = r.try_get("n").unwrap();
            let dim: String = r.try_get("dim").unwrap();
            assert!(n >= 0, "org {id} {path}: counter {dim}/{} is {n}", r.try_get::<String, _>("key").unwrap());
            *per_dim.entry(dim).or_default() += n;
        }
        for (dim, n) in &per_dim {
            assert_eq!(*n, real, "org {id} {path}: dimension {dim} sums to {n}, the subtree has {real} members");
        }
        if real > 0 {
            assert_eq!(per_dim.get("members"), Some(&real), "org {id} {path}");
        }
    }
}

/// Each org's path is its parent's path plus its own id, its depth one more, and no id repeats.
async fn assert_tree_sound(app: &TestApp) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let orgs = sqlx::query("SELECT id, parent_id, path, depth FROM orgs").fetch_all(&mut *conn).await.unwrap();
    let by_id: std::collections::HashMap<i64, (String, i64)> =
        orgs.iter().map(|r| (r.try_get("id").unwrap(), (r.try_get("path").unwrap(), r.try_get("depth").unwrap()))).collect();
    for r in &orgs {
        let id: i64 = r.try_get("id").unwrap();
        let parent: Option<i64> = r.try_get("parent_id").unwrap();
        let (path, depth) = &by_id[&id];
        let ids = yinghuo::db::path::ids(path);
        let mut seen = ids.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), ids.len(), "org {id}: a cycle in its path {path}");
        match parent {
            Some(p) => {
                let (pp, pd) = &by_id[&p];
                assert_eq!(path, &format!("{pp}{id}/"), "org {id}: path does not follow its parent {p}");
                assert_eq!(*depth, pd + 1, "org {id}: depth");
            }
            None => assert_eq!(path, &format!("/{id}/")),
        }
    }
    // Members sit where their org is.
    let stray: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.org_path <> o.path")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(stray, 0, "members whose path is not their org's");
}

/// A distinct Chinese name for the i-th member (names hold no digits).
fn name(i: usize) -> String {
    const C: [char; 10] = ['甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸'];
    format!("并发{}{}", C[i / 10 % 10], C[i % 10])
}

fn no_server_errors(answers: &[(u16, Value)], what: &str) {
    for (s, v) in answers {
        assert!(*s < 500, "{what}: {s} {v}");
    }
}

both_backends!(counters_stay_right_under_parallel_creates_and_transfers, |app: TestApp| async move {
    let t = app.token("admin").await;
    let tr = &app.tree;
    // 50 members created at once.
    let creates = (0..PARALLEL).map(|i| {
        let (app, t, org) = (&app, &t, &tr.village_a);
        async move {
            app.post(
                t,
                "/api/v1/members",
                json!({"org_id": org.id, "name": name(i), "id_number": common::id("1980-01-01", 100 + i as u32),
                       "education": "大学本科", "joined_on": "2010-07-01", "full_on": "2011-07-01"}),
            )
            .await
        }
    });
    let created = join_all(creates).await;
    no_server_errors(&created, "create");
    assert!(created.iter().all(|(s, _)| *s == 201), "{:?}", created.iter().find(|(s, _)| *s != 201));
    let ids: Vec<i64> = created.iter().map(|(_, v)| v["id"].as_i64().unwrap()).collect();
    assert_counters_match(&app).await;

    // Each of 25 members is sent two ways at once: one transfer wins, the other finds it moved.
    let transfers = ids.iter().take(PARALLEL / 2).flat_map(|id| [(*id, tr.village_b.id), (*id, tr.organ.id)]).map(|(id, to)| {
        let (app, t) = (&app, &t);
        async move { app.post(t, &format!("/api/v1/members/{id}/transfer"), json!({"to_org_id": to, "reason": "工作调动"})).await }
    });
    let moved = join_all(transfers).await;
    no_server_errors(&moved, "transfer");
    assert!(moved.iter().filter(|(s, _)| *s == 200).count() >= PARALLEL / 2, "at least one transfer per member succeeds");
    assert_counters_match(&app).await;
    assert_tree_sound(&app).await;
});

both_backends!(crossed_and_repeated_moves_keep_the_tree_sound, |app: TestApp| async move {
    let t = app.token("admin").await;
    let tr = &app.tree;
    let (s, x) = app.post(&t, "/api/v1/orgs", json!({"parent_id": tr.county.id, "code": "X1", "name": "甲党委", "kind": "committee", "domain": "region"})).await;
    assert_eq!(s, 201, "{x}");
    let (s, y) = app.post(&t, "/api/v1/orgs", json!({"parent_id": tr.county.id, "code": "Y1", "name": "乙党委", "kind": "committee", "domain": "region"})).await;
    assert_eq!(s, 201, "{y}");
    let (x, y) = (x["id"].as_i64().unwrap(), y["id"].as_i64().unwrap());
    app.member(&t, &tr.village_a, "张三", &common::id("1970-05-05", 1)).await;

    // X under Y and Y under X, 25 times each, at once: some succeed, the rest are refused; never both.
    let crossed = (0..PARALLEL).map(|i| {
        let (app, t) = (&app, &t);
        let (org, parent) = if i % 2 == 0 { (x, y) } else { (y, x) };
        async move { app.post(t, &format!("/api/v1/orgs/{org}/move"), json!({"parent_id": parent})).await }
    });
    let answers = join_all(crossed).await;
    no_server_errors(&answers, "crossed move");
    assert!(answers.iter().any(|(s, _)| *s == 200));
    assert_tree_sound(&app).await;

    // One branch with members moved back and forth between two parents by 50 callers at once.
    let repeated = (0..PARALLEL).map(|i| {
        let (app, t) = (&app, &t);
        let parent = if i % 2 == 0 { tr.county.id } else { tr.town.id };
        let org = tr.village_a.id;
        async move { app.post(t, &format!("/api/v1/orgs/{org}/move"), json!({"parent_id": parent})).await }
    });
    let answers = join_all(repeated).await;
    no_server_errors(&answers, "repeated move");
    assert!(answers.iter().all(|(s, _)| *s == 200), "{:?}", answers.iter().find(|(s, _)| *s != 200));
    assert_tree_sound(&app).await;
    assert_counters_match(&app).await;
});

both_backends!(parallel_guesses_are_charged_before_they_are_evaluated, |app: TestApp| async move {
    let guesses = (0..40).map(|i| {
        let app = &app;
        async move { app.post("", "/api/v1/auth/login", json!({"username": "sec_a", "password": format!("wrong-guess-{i}")})).await }
    });
    let answers = join_all(guesses).await;
    no_server_errors(&answers, "guess");
    let evaluated = answers.iter().filter(|(s, _)| *s == 422).count();
    let refused = answers.iter().filter(|(s, v)| *s == 429 && v["error"]["code"] == "login_too_fast").count();
    assert_eq!(evaluated + refused, 40, "{answers:?}");
    // 3 failures before the account slows down (AuthRules::slow_after_failures); a slow run may let one more through after its wait.
    assert!((3..=5).contains(&evaluated), "{evaluated} of 40 parallel guesses were evaluated");

    // One address guessing across many accounts is stopped after AuthRules::address_failures.
    let mut stopped_at = None;
    for i in 0..40 {
        let (s, v) = app.post("", "/api/v1/auth/login", json!({"username": format!("nobody{i}"), "password": "wrong-guess-1"})).await;
        if s == 429 {
            assert_eq!(v["error"]["code"], "login_locked", "{v}");
            stopped_at = Some(i);
            break;
        }
        assert_eq!(s, 422, "{v}");
    }
    // 30 failures in all from this address, 3+ of which were the guesses above.
    assert!(stopped_at.is_some_and(|i| i <= 27), "stopped at {stopped_at:?}");
});

both_backends!(parallel_payments_sum_exactly_and_huge_amounts_are_refused, |app: TestApp| async move {
    let t = app.token("admin").await;
    let m = app.member(&t, &app.tree.village_a, "李四", &common::id("1975-03-03", 7)).await;
    let pays = (0..PARALLEL).map(|_| {
        let (app, t) = (&app, &t);
        async move { app.post(t, &format!("/api/v1/members/{m}/dues/payments"), json!({"month": "2026-11", "amount_fen": 123, "method": "cash"})).await }
    });
    let answers = join_all(pays).await;
    no_server_errors(&answers, "payment");
    assert!(answers.iter().all(|(s, _)| *s == 201), "{:?}", answers.iter().find(|(s, _)| *s != 201));
    let mut conn = app.db.pool.acquire().await.unwrap();
    let sum: i64 = sqlx::query_scalar("SELECT CAST(SUM(amount_fen) AS BIGINT) FROM dues_payments WHERE member_id = $1").bind(m).fetch_one(&mut *conn).await.unwrap();
    assert_eq!(sum, 123 * PARALLEL as i64);

    for body in [
        json!({"month": "2026-11", "amount_fen": i64::MAX, "method": "cash"}),
        json!({"month": "2026-11", "amount_fen": -i64::MAX, "method": "cash", "note": "更正"}),
    ] {
        let (s, v) = app.post(&t, &format!("/api/v1/members/{m}/dues/payments"), body).await;
        assert_eq!((s, v["error"]["code"].as_str()), (422, Some("amount_out_of_range")), "{v}");
    }
    let (s, v) = app.post(&t, &format!("/api/v1/members/{m}/dues/basis"), json!({"from_month": "2026-01", "category": "employed", "base_fen": i64::MAX})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (422, Some("amount_out_of_range")), "{v}");
    // The member's sheet still answers.
    let (s, v) = app.get(&t, &format!("/api/v1/members/{m}/dues")).await;
    assert_eq!(s, 200, "{v}");
});
