//! The governance demo for a town, at a small scale, on SQLite and PostgreSQL: counts, trails
//! that end in each record's state, open flags, overdue requests, dispute levels, digests.

mod common;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sqlx::Row as _;
use yinghuo::demo::governance::{load_town_with, Scale};
use yinghuo::disputes::rules as dr;
use yinghuo::requests::rules as rr;

/// Per record: (action, from_state or to_level, to_state, on_day), in id order.
type Trails = HashMap<i64, Vec<(String, Option<String>, String, String)>>;

const SMALL: Scale = Scale { full_grids: 3, micro_grids: 20, households: 300, requests: 200, disputes: 20 };

async fn count(app: &common::TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db.pool).await.unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

both_backends!(small_town, |app: common::TestApp| async move {
    let today = yinghuo::db::today();
    // Last year: every request is at least a year old, so stuck ones are overdue.
    let year = today.year() - 1;
    let town = app.tree.town.id;
    let l = load_town_with(&app.db, town, year, 7, &SMALL).await.unwrap();
    assert_eq!((l.grids, l.households, l.requests, l.disputes), (23, 300, 200, 20));
    assert!(l.residents > 600 && l.residents < 1000, "{} residents", l.residents);

    assert_eq!(count(&app, "SELECT COUNT(*) FROM grids WHERE kind = 'full' AND parent_grid_id IS NULL").await, 3);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM grids WHERE kind = 'micro' AND parent_grid_id IS NOT NULL").await, 20);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM grids g JOIN grids p ON p.id = g.parent_grid_id WHERE p.org_id <> g.org_id").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM households").await, 300);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM households h JOIN grids g ON g.id = h.grid_id WHERE g.kind <> 'micro' OR g.org_id <> h.org_id").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM residents").await, l.residents as i64);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM residents WHERE relation = '户主'").await, 300);
    assert!(count(&app, "SELECT COUNT(*) FROM vanguard_teams").await >= 4);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM special_records r JOIN special_groups s ON s.id = r.special_id WHERE r.kind = 'allowance' AND (r.amount_fen IS NULL OR r.amount_fen <= 0)").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM requests").await, 200);
    assert_eq!(count(&app, "SELECT COUNT(DISTINCT tracking_digest) FROM requests").await, 200);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM disputes").await, 20);
    let events = count(&app, "SELECT COUNT(*) FROM request_events").await;
    assert!((4 * 200..=7 * 200).contains(&events), "{events} request events");

    // Requests: the trail starts with collect, chains from state to state and ends in the state.
    let rules = rr::RequestRules::default();
    let mut trails = Trails::new();
    for r in sqlx::query("SELECT request_id, action, from_state, to_state, on_day FROM request_events ORDER BY request_id, id").fetch_all(&app.db.pool).await.unwrap() {
        trails.entry(r.get("request_id")).or_default().push((r.get("action"), r.get("from_state"), r.get("to_state"), r.get("on_day")));
    }
    let mut overdue = 0;
    let mut closed = 0;
    for r in sqlx::query("SELECT * FROM requests").fetch_all(&app.db.pool).await.unwrap() {
        let id: i64 = r.get("id");
        let state = rr::State::parse(&r.get::<String, _>("state")).unwrap();
        let trail = &trails[&id];
        assert_eq!(trail[0].0, "collect");
        assert_eq!(trail[0].3, r.get::<String, _>("created_on"));
        for w in trail.windows(2) {
            assert_eq!(w[1].1.as_deref(), Some(w[0].2.as_str()), "request {id}: {trail:?}");
            assert!(w[1].3 >= w[0].3, "request {id}: days in order");
        }
        assert_eq!(trail.last().unwrap().2, state.code(), "request {id}");
        let open = state.class() == rr::StateClass::Open;
        assert_eq!(r.get::<i64, _>("is_open"), i64::from(open), "request {id}");
        let owner: i64 = r.get("owner_org_id");
        assert_eq!(owner == town, state == rr::State::Arbitration, "request {id} owner");
        let claimed = matches!(state, rr::State::Claimed | rr::State::Fulfilled) || (state == rr::State::Closed && trail.iter().any(|e| e.0 == "fulfil"));
        if claimed {
            assert!(r.get::<Option<String>, _>("claimant_name").is_some(), "request {id} claimant");
        }
        let cat = rules.category(&r.get::<String, _>("category")).unwrap();
        assert_eq!(r.get::<i64, _>("expected_days"), i64::from(cat.expected_days));
        let dispatched: Option<String> = r.get("dispatched_on");
        let deadline: Option<String> = r.get("deadline_on");
        assert_eq!(deadline.clone().map(|d| date(&d)), dispatched.map(|d| rr::deadline(&rules.calendar, date(&d), cat.expected_days)));
        if open && deadline.is_some_and(|d| rr::overdue(date(&d), today, state)) {
            overdue += 1;
        }
        if state.is_final() {
            closed += 1;
            assert!(r.get::<Option<String>, _>("closed_on").is_some());
        }
        if state == rr::State::ClosedDuplicate {
            assert!(r.get::<Option<i64>, _>("duplicate_of").is_some_and(|d| d < id));
        }
        if r.get::<Option<String>, _>("rating").is_some() {
            assert_eq!(state, rr::State::Closed);
        }
    }
    assert!(overdue > 0, "some open requests are past their deadline");
    assert!(closed > 150, "most of last year's requests are closed: {closed}");

    // Disputes: state, level, level_since, closed_on and deadline agree with the trail.
    let drules = dr::DisputeRules::default();
    let mut dtrails = Trails::new();
    for r in sqlx::query("SELECT dispute_id, action, to_level, to_state, on_day FROM dispute_events ORDER BY dispute_id, id").fetch_all(&app.db.pool).await.unwrap() {
        dtrails.entry(r.get("dispute_id")).or_default().push((r.get("action"), r.get("to_level"), r.get("to_state"), r.get("on_day")));
    }
    for r in sqlx::query("SELECT * FROM disputes").fetch_all(&app.db.pool).await.unwrap() {
        let id: i64 = r.get("id");
        let trail = &dtrails[&id];
        let state = dr::State::parse(&r.get::<String, _>("state")).unwrap();
        let risk = dr::Risk::parse(&r.get::<String, _>("risk")).unwrap();
        let level = dr::Level::parse(&r.get::<String, _>("level")).unwrap();
        assert_eq!(trail[0].0, "screen");
        assert_eq!(trail[0].1.as_deref(), Some(drules.start_level(risk).code()), "dispute {id} starts at its risk's level");
        assert_eq!(trail.last().unwrap().2, state.code(), "dispute {id}");
        let (_, to_level, _, since) = trail.iter().rev().find(|e| e.1.is_some()).unwrap();
        assert_eq!(to_level.as_deref(), Some(level.code()), "dispute {id}");
        assert_eq!(since, &r.get::<String, _>("level_since"), "dispute {id}");
        assert_eq!(r.get::<i64, _>("is_open"), i64::from(state.is_open()));
        let closed_on: Option<String> = r.get("closed_on");
        assert_eq!(closed_on.as_ref(), state.is_closed().then(|| &trail.last().unwrap().3), "dispute {id}");
        let deadline = date(since) + chrono::Days::new(u64::from(drules.time_limit(level)));
        assert_eq!(r.get::<String, _>("deadline_on"), deadline.to_string());
        let escalations = trail.iter().filter(|e| e.0 == "escalate").count();
        assert!(escalations <= 1);
        if risk == dr::Risk::Major {
            assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM dispute_team WHERE dispute_id = {id}")).await, 5);
        }
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM dispute_parties WHERE dispute_id = {id}")).await, 2);
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dispute_events WHERE action = 'escalate' AND (from_level IS NULL OR to_level IS NULL OR reason NOT IN ('time_limit', 'mediator_request'))").await,
        0
    );

    // A second load into the same town is refused and changes nothing.
    assert!(load_town_with(&app.db, town, year, 8, &SMALL).await.is_err());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM requests").await, 200);
    // Ids were assigned by the loader: the sequences follow, so an ordinary insert works.
    sqlx::query("INSERT INTO vanguard_teams (org_id, name, created_at) VALUES ($1, '后加服务队', 0)").bind(app.tree.village_a.id).execute(&app.db.pool).await.unwrap();
});
