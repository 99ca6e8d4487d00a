//! Setup rules for the tree (DOMAIN.md §1), as warnings that explain themselves. Pure.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::model::{OrgDomain, OrgKind, OrgVariant};
use crate::config::OrgSetupRules;

/// What the rules need to know about one org.
#[derive(Clone, Debug)]
pub struct OrgFacts {
    pub kind: OrgKind,
    pub variant: OrgVariant,
    pub domain: OrgDomain,
    pub joint_units: i64,
    pub term_start: Option<NaiveDate>,
    /// Members in the org and its groups.
    pub members: i64,
    pub full_members: i64,
    /// Members of this org holding a committee seat.
    pub committee_seats: i64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
    /// The rule and its source.
    pub rule: String,
}

pub fn term_years(domain: OrgDomain, rules: &OrgSetupRules) -> i64 {
    match domain {
        OrgDomain::Rural | OrgDomain::Community => rules.term_years_village_community,
        _ => rules.term_years_other,
    }
}

pub fn setup_warnings(f: &OrgFacts, rules: &OrgSetupRules, today: NaiveDate) -> Vec<Warning> {
    let mut out = Vec::new();
    let branch_like = f.kind == OrgKind::Branch;
    if branch_like && f.variant != OrgVariant::Temporary && f.full_members < rules.branch_min_full_members {
        out.push(Warning {
            code: "branch_too_few_full_members",
            message: format!("正式党员 {} 人，少于 {} 人", f.full_members, rules.branch_min_full_members),
            rule: format!("有正式党员{}人以上的，应当成立党支部；不足的可与邻近单位成立联合党支部（《中国共产党支部工作条例（试行）》）", rules.branch_min_full_members),
        });
    }
    if branch_like && f.members > rules.branch_max_members {
        out.push(Warning {
            code: "branch_too_large",
            message: format!("党员 {} 人，超过 {} 人", f.members, rules.branch_max_members),
            rule: format!("党支部党员人数一般不超过{}人（《中国共产党支部工作条例（试行）》）", rules.branch_max_members),
        });
    }
    if matches!(f.kind, OrgKind::Branch | OrgKind::GeneralBranch) && f.members >= rules.grassroots_committee_from {
        out.push(Warning {
            code: "should_be_committee",
            message: format!("党员 {} 人，已达 {} 人", f.members, rules.grassroots_committee_from),
            rule: format!("党员{}人以上的，一般设立党的基层委员会（《中国共产党章程》第三十条）", rules.grassroots_committee_from),
        });
    } else if branch_like && f.members > rules.general_branch_from {
        out.push(Warning {
            code: "should_be_general_branch",
            message: format!("党员 {} 人，超过 {} 人", f.members, rules.general_branch_from),
            rule: format!("党员人数超过{}人的，可以成立党的总支部委员会（《中国共产党支部工作条例（试行）》）", rules.general_branch_from),
        });
    }
    if branch_like && f.full_members >= rules.branch_committee_from_full
        && !(rules.committee_min..=rules.committee_max).contains(&f.committee_seats)
    {
        out.push(Warning {
            code: "committee_size",
            message: format!("正式党员 {} 人，支部委员会现有委员 {} 人", f.full_members, f.committee_seats),
            rule: format!(
                "正式党员{}人以上的党支部设立支部委员会，由{}至{}人组成（《中国共产党支部工作条例（试行）》）",
                rules.branch_committee_from_full, rules.committee_min, rules.committee_max
            ),
        });
    }
    if f.variant == OrgVariant::Joint && f.joint_units > rules.joint_max_units {
        out.push(Warning {
            code: "joint_too_many_units",
            message: format!("联合党组织覆盖 {} 个单位", f.joint_units),
            rule: format!("联合党支部覆盖单位一般不超过{}个（《中国共产党支部工作条例（试行）》）", rules.joint_max_units),
        });
    }
    if let Some(start) = f.term_start {
        let years = term_years(f.domain, rules);
        let end = start.with_year(start.year() + years as i32).unwrap_or(start);
        let soon = today.checked_add_months(chrono::Months::new(rules.term_reminder_months)).unwrap_or(today);
        if end <= today && f.kind != OrgKind::Group {
            out.push(Warning {
                code: "term_expired",
                message: format!("本届任期自 {start} 起，已于 {end} 届满"),
                rule: format!("{}每届任期{}年，届满应按期换届", f.domain.label(), years),
            });
        } else if end <= soon && f.kind != OrgKind::Group {
            out.push(Warning {
                code: "term_due_soon",
                message: format!("本届任期自 {start} 起，将于 {end} 届满，请提前筹备换届"),
                rule: format!("{}每届任期{}年，届满前{}个月起提示（本地默认）", f.domain.label(), years, rules.term_reminder_months),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branch(members: i64, full: i64, seats: i64) -> OrgFacts {
        OrgFacts {
            kind: OrgKind::Branch,
            variant: OrgVariant::Regular,
            domain: OrgDomain::Rural,
            joint_units: 0,
            term_start: None,
            members,
            full_members: full,
            committee_seats: seats,
        }
    }
    fn codes(f: &OrgFacts) -> Vec<&'static str> {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        setup_warnings(f, &OrgSetupRules::default(), today).iter().map(|w| w.code).collect()
    }

    #[test]
    fn boundaries() {
        assert_eq!(codes(&branch(3, 2, 0)), vec!["branch_too_few_full_members"]);
        assert!(codes(&branch(3, 3, 0)).is_empty());
        assert!(codes(&branch(50, 6, 0)).is_empty());
        assert_eq!(codes(&branch(51, 40, 3)), vec!["branch_too_large", "should_be_general_branch"]);
        assert_eq!(codes(&branch(100, 90, 5)), vec!["branch_too_large", "should_be_committee"]);
        assert_eq!(codes(&branch(7, 7, 2)), vec!["committee_size"]);
        assert!(codes(&branch(7, 7, 3)).is_empty());
        assert_eq!(codes(&branch(7, 7, 6)), vec!["committee_size"]);
    }

    #[test]
    fn joint_and_term() {
        let mut f = branch(10, 10, 3);
        f.variant = OrgVariant::Joint;
        f.joint_units = 6;
        f.term_start = NaiveDate::from_ymd_opt(2021, 11, 22);
        assert_eq!(codes(&f), vec!["joint_too_many_units", "term_expired"]);
        f.term_start = NaiveDate::from_ymd_opt(2021, 11, 23);
        f.joint_units = 5;
        assert_eq!(codes(&f), vec!["term_due_soon"], "ends tomorrow");
        f.term_start = NaiveDate::from_ymd_opt(2022, 5, 22);
        assert_eq!(codes(&f), vec!["term_due_soon"], "ends in exactly six months");
        f.term_start = NaiveDate::from_ymd_opt(2022, 5, 23);
        assert!(codes(&f).is_empty(), "six months and a day away");
        f.domain = OrgDomain::Organ; // 3-year term
        f.term_start = NaiveDate::from_ymd_opt(2023, 11, 22);
        assert_eq!(codes(&f), vec!["term_expired"]);
    }
}
