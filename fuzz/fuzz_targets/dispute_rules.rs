//! The dispute state machine (`disputes::rules::apply`) driven by a sequence of arbitrary
//! actions on arbitrary days under arbitrary valid rules, with the overdue and automatic
//! escalation checks and the report periods. Invariants: no panic; a closed case stays closed;
//! level and risk only go up and never past the configured top; a success needs the full
//! 五包一 team when required; every automatic escalation the rules propose is accepted.
#![no_main]

use chrono::{Days, NaiveDate};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use yinghuo::disputes::rules::*;

fn text(u: &mut Unstructured) -> Result<String> {
    Ok(match u.int_in_range(0..=3)? {
        0 => String::new(),
        1 => " \u{3000}".into(),
        2 => "双方达成协议".into(),
        _ => u.arbitrary::<String>()?,
    })
}

fn date(u: &mut Unstructured) -> Result<NaiveDate> {
    Ok(match u.int_in_range(0..=9)? {
        0 => NaiveDate::MAX - Days::new(u.int_in_range(0..=400)?),
        1 => NaiveDate::MIN + Days::new(u.int_in_range(0..=400)?),
        _ => NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + Days::new(u.int_in_range(0..=4000)?),
    })
}

fn rules(u: &mut Unstructured) -> Result<DisputeRules> {
    let mut r = DisputeRules::default();
    r.time_limit_days = LevelDays { village: u.int_in_range(0..=366)?, town: u.int_in_range(0..=366)?, county: u.int_in_range(0..=366)? };
    r.start_level_by_risk = StartLevels { general: *u.choose(Level::ALL)?, serious: *u.choose(Level::ALL)?, major: *u.choose(Level::ALL)? };
    r.five_for_one_from = *u.choose(Risk::ALL)?;
    r.max_level = *u.choose(Level::ALL)?;
    if u.ratio(1, 4)? {
        r.five_for_one_roles = (0..u.int_in_range(0..=3)?).map(|_| text(u)).collect::<Result<_>>()?;
    }
    Ok(r)
}

fn team(u: &mut Unstructured, rules: &DisputeRules) -> Result<Vec<TeamMember>> {
    let mut out = Vec::new();
    for _ in 0..u.int_in_range(0..=6)? {
        let role = if u.ratio(3, 4)? { u.choose(&rules.five_for_one_roles)?.clone() } else { text(u)? };
        out.push(TeamMember { role, name: text(u)? });
    }
    Ok(out)
}

fn action(u: &mut Unstructured, rules: &DisputeRules) -> Result<Action> {
    Ok(match u.int_in_range(0..=7)? {
        0 => Action::StartMediation,
        1 => Action::RecordMediation { note: text(u)? },
        2 => Action::Resolve { agreement: text(u)? },
        3 => Action::Fail { note: text(u)?, referral: *u.choose(Referral::ALL)? },
        4 => Action::Withdraw { reason: text(u)? },
        5 => Action::Escalate { reason: *u.choose(EscalationReason::ALL)?, note: text(u)? },
        6 => Action::UpgradeRisk { risk: *u.choose(Risk::ALL)? },
        _ => Action::AssignTeam { members: team(u, rules)? },
    })
}

fn run(u: &mut Unstructured) -> Result<()> {
    let rules = rules(u)?;
    if rules.validate().is_err() {
        return Ok(());
    }
    let d = date(u)?;
    let _ = ReportPeriod::week_of(d);
    let _ = ReportPeriod::month_of(d);
    let d2 = date(u)?;
    let p = ReportPeriod::custom(d.min(d2), d.max(d2));
    let _ = p.contains(d);

    let opened = date(u)?;
    let mut case = CaseSnapshot::new(&rules, u.arbitrary()?, *u.choose(Category::ALL)?, *u.choose(Risk::ALL)?, opened);
    assert!(case.level <= rules.max_level);
    let mut today = opened;
    for _ in 0..u.int_in_range(0..=48)? {
        let a = action(u, &rules)?;
        today = match u.int_in_range(0..=7)? {
            0 => today.checked_sub_days(Days::new(u.int_in_range(1..=5)?)).unwrap_or(today),
            _ => today.checked_add_days(Days::new(u.int_in_range(0..=40)?)).unwrap_or(today),
        };
        // What the hourly job would do: every proposed escalation must go through.
        let _ = overdue(&rules, &case, today);
        for e in auto_escalations(&rules, std::slice::from_ref(&case), today) {
            let t = apply(&rules, &case, &Action::Escalate { reason: EscalationReason::TimeLimit, note: String::new() }, today)
                .unwrap_or_else(|r| panic!("proposed escalation refused: {r:?}"));
            assert_eq!((t.case.level, e.from), (e.to, case.level));
        }
        match apply(&rules, &case, &a, today) {
            Ok(t) => {
                let next = &t.case;
                assert!(case.state.is_open(), "a closed case moved: {:?} by {}", case.state, a.label());
                assert_eq!(t.from_state, case.state);
                assert!(next.level >= case.level && next.level <= rules.max_level.max(case.level));
                assert!(next.risk >= case.risk);
                assert_eq!(next.closed_on.is_some(), next.state.is_closed());
                assert!(next.level_since <= today && next.level_since >= case.level_since);
                assert_eq!(t.escalation.is_some(), next.level != case.level);
                if next.state == State::Resolved {
                    assert!(rules.missing_roles(next.risk, &next.team).is_empty());
                }
                assert!(!t.explanation.is_empty());
                case = t.case;
            }
            Err(r) => {
                assert!(!r.message.is_empty());
                if case.state.is_closed() {
                    assert_eq!(r.code, RefusalCode::CaseClosed);
                }
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
