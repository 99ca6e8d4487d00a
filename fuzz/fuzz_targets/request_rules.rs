//! The residents' request state machine (`requests::rules::apply`) driven by a sequence of
//! arbitrary actions on arbitrary days under arbitrary valid rules, plus working-day arithmetic
//! and tracking codes. Invariants: no panic; a final state never moves (closed stays closed);
//! an accepted action was allowed in its state; counters never go down; dates are consistent;
//! public text never names an in-service member.
#![no_main]

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use yinghuo::requests::rules::*;

/// A name that never occurs in the rules' fixed wording.
const SECRET: &str = "张某某";

/// Free text (reasons, notes: public by design). It never holds SECRET, so finding SECRET in
/// a note means the rules themselves named the in-service member.
fn text(u: &mut Unstructured) -> Result<String> {
    Ok(match u.int_in_range(0..=3)? {
        0 => String::new(),
        1 => " \t\u{3000}".into(),
        2 => "已修好路灯".into(),
        _ => u.arbitrary::<String>()?.replace(SECRET, "某"),
    })
}

fn claimant(u: &mut Unstructured) -> Result<Claimant> {
    let kind = *u.choose(ClaimantKind::ALL)?;
    let id = match u.int_in_range(0..=2)? {
        0 => u.arbitrary::<i64>()?,
        1 => 0,
        _ => u.int_in_range(1..=1000)?,
    };
    let name = match kind {
        ClaimantKind::Member => format!("{SECRET}{}", u.int_in_range(0..=9)?),
        _ => text(u)?,
    };
    Ok(Claimant { kind, id, name })
}

fn action(u: &mut Unstructured) -> Result<Action> {
    Ok(match u.int_in_range(0..=10)? {
        0 => Action::Verify,
        1 => Action::Publish,
        2 => Action::Claim { claimant: claimant(u)? },
        3 => Action::Release { reason: text(u)? },
        4 => Action::Assign { claimant: claimant(u)? },
        5 => Action::Fulfil { note: text(u)? },
        6 => Action::Rate { rating: *u.choose(Rating::ALL)?, comment: format!("{SECRET}的评价") },
        7 => Action::CloseDuplicate { of: u.int_in_range(-2..=5)?, reason: text(u)? },
        8 => Action::CloseOutOfScope { reason: text(u)? },
        9 => Action::CloseUnresolvable { reason: text(u)? },
        _ => Action::CloseNoFeedback,
    })
}

fn date(u: &mut Unstructured) -> Result<NaiveDate> {
    // Mostly realistic days, sometimes the ends of chrono's range.
    Ok(match u.int_in_range(0..=9)? {
        0 => NaiveDate::MAX - Days::new(u.int_in_range(0..=400)?),
        1 => NaiveDate::MIN + Days::new(u.int_in_range(0..=400)?),
        _ => NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + Days::new(u.int_in_range(0..=4000)?),
    })
}

fn rules(u: &mut Unstructured) -> Result<RequestRules> {
    let mut r = RequestRules::default();
    r.handbacks_before_arbitration = u.int_in_range(0..=4)?;
    r.reopen_on_unsatisfied = u.int_in_range(0..=3)?;
    r.feedback_wait_days = u.int_in_range(0..=30)?;
    let mut holidays = BTreeSet::new();
    let mut workdays = BTreeSet::new();
    for _ in 0..u.int_in_range(0..=20)? {
        holidays.insert(date(u)?);
    }
    for _ in 0..u.int_in_range(0..=5)? {
        workdays.insert(date(u)?);
    }
    r.calendar = Calendar { holidays, workdays };
    Ok(r)
}

fn run(u: &mut Unstructured) -> Result<()> {
    let rules = rules(u)?;
    if rules.validate().is_err() {
        return Ok(());
    }
    let cal = &rules.calendar;
    // Working days: the deadline of n days is n working days away.
    let from = date(u)?;
    let n = u.int_in_range(0..=400)?;
    let due = add_working_days(cal, from, n);
    if due != NaiveDate::MAX {
        assert_eq!(working_days_between(cal, from, due), i64::from(n), "{from} + {n}");
        assert!(due >= from);
    }
    let code_text: String = u.arbitrary()?;
    if let Ok(code) = TrackingCode::parse(&code_text) {
        assert_eq!(TrackingCode::parse(code.as_str()).map(|c| c.as_str().to_string()), Ok(code.as_str().to_string()));
    }

    let mut snap = RequestSnapshot::new(u.int_in_range(1..=365)?);
    let mut today = date(u)?;
    for _ in 0..u.int_in_range(0..=64)? {
        let a = action(u)?;
        today = today.checked_add_days(Days::new(u.int_in_range(0..=40)?)).unwrap_or(today);
        let allowed = allowed_actions(snap.state);
        match apply(&rules, &snap, &a, today) {
            Ok(t) => {
                assert!(!snap.state.is_final(), "a final state moved: {:?} by {:?}", snap.state, a.kind());
                assert!(allowed.contains(&a.kind()), "{:?} not allowed in {:?}", a.kind(), snap.state);
                assert_eq!((t.from, t.on, t.action), (snap.state, today, a.kind()));
                assert!(t.handbacks >= snap.handbacks && t.unsatisfied >= snap.unsatisfied);
                assert!(!t.escalate || t.to == State::Arbitration);
                assert!(!t.note.is_empty() && !t.note.contains(SECRET), "{}", t.note);
                let next = t.apply_to(&snap);
                assert_eq!(next.closed_on.is_some(), next.state.is_final());
                if matches!(next.state, State::Claimed | State::Fulfilled) {
                    assert!(next.claimant.is_some() || t.reopened || snap.claimant.is_none());
                }
                if let Some(d) = next.deadline(cal) {
                    assert!(d >= next.dispatched_on.unwrap());
                    let _ = days_overdue(d, today, next.state);
                }
                let note = public_status_note(next.state, next.claimant.as_ref());
                assert!(!note.contains(SECRET), "{note}");
                snap = next;
            }
            Err(r) => {
                assert!(!r.message.is_empty());
                if snap.state.is_final() {
                    assert_eq!(r.code, RefusalCode::AlreadyClosed);
                }
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
