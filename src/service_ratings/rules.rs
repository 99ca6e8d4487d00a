//! 好差评 of service windows. Pure: no DB, no HTTP, no clock.
//!
//! - [`Grade`]: the five grades of the national 好差评 scale; 不满意 and 非常不满意 are 差评.
//! - [`RatingRules`]: how many working days a 差评 has for its follow-up (the holiday calendar is
//!   the requests' one).
//! - [`Tally`]: counts per grade, the share of 好评, 差评 followed up in time and overdue.
//!
//! Decisions: a 差评 is followed up by the office that runs the window (who called, what was done,
//! when) and is closed only with the resident's answer recorded (回访); a follow-up without an
//! answer keeps it open. Seed [004]: the county's service center links its queue machine to the
//! 好差评 devices and ties the results to the departments' assessment.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// 国务院办公厅《关于建立政务服务“好差评”制度提高政务服务水平的意见》（国办发〔2019〕51号）：评价分为“非常满意、
/// 满意、基本满意、不满意、非常不满意”五个等级；差评原则上15个工作日内整改反馈（本地默认取15个工作日）。
pub const SOURCE: &str = "国办发〔2019〕51号：五级评价（非常满意、满意、基本满意、不满意、非常不满意），差评及时整改反馈；县级材料[004]：评价器与叫号机关联，评价结果与部门考核挂钩";

crate::code_enum!(
    /// The five grades.
    Grade {
        VerySatisfied = ("very_satisfied", "非常满意"),
        Satisfied = ("satisfied", "满意"),
        Basic = ("basic", "基本满意"),
        Dissatisfied = ("dissatisfied", "不满意"),
        VeryDissatisfied = ("very_dissatisfied", "非常不满意"),
    }
);

impl Grade {
    /// 差评.
    pub fn is_bad(self) -> bool {
        matches!(self, Grade::Dissatisfied | Grade::VeryDissatisfied)
    }
    /// 好评.
    pub fn is_good(self) -> bool {
        matches!(self, Grade::VerySatisfied | Grade::Satisfied)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RatingRules {
    /// Working days a 差评 has for its follow-up with the resident's answer. 15.
    pub followup_working_days: u32,
}

impl Default for RatingRules {
    fn default() -> Self {
        RatingRules { followup_working_days: 15 }
    }
}

impl RatingRules {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=60).contains(&self.followup_working_days) {
            return Err("差评回访整改时限应在1至60个工作日之间".into());
        }
        Ok(())
    }
}

/// The day a 差评 given on `on` must be followed up by.
pub fn due(rules: &RatingRules, cal: &crate::requests::rules::Calendar, on: NaiveDate) -> NaiveDate {
    crate::requests::rules::add_working_days(cal, on, rules.followup_working_days)
}

/// One rating as the tally sees it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub grade: Grade,
    pub due: Option<NaiveDate>,
    /// The day the resident's answer was recorded.
    pub closed_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub total: i64,
    /// Per grade, in the order of [`Grade::ALL`].
    pub by_grade: Vec<i64>,
    pub good: i64,
    pub bad: i64,
    /// 好评 ÷ total, in basis points (None with no rating).
    pub good_bp: Option<i64>,
    pub bad_closed_in_time: i64,
    pub bad_closed_late: i64,
    pub bad_open: i64,
    /// Open past their due date.
    pub bad_overdue: i64,
}

impl Tally {
    pub fn add(&mut self, s: &Seen, today: NaiveDate) {
        self.add_many(s, today, 1);
    }

    /// `n` ratings alike.
    pub fn add_many(&mut self, s: &Seen, today: NaiveDate, n: i64) {
        if self.by_grade.is_empty() {
            self.by_grade = vec![0; Grade::ALL.len()];
        }
        self.total += n;
        if let Some(i) = Grade::ALL.iter().position(|g| *g == s.grade) {
            self.by_grade[i] += n;
        }
        if s.grade.is_good() {
            self.good += n;
        }
        if s.grade.is_bad() {
            self.bad += n;
            match (s.closed_on, s.due) {
                (Some(c), Some(d)) if c <= d => self.bad_closed_in_time += n,
                (Some(_), _) => self.bad_closed_late += n,
                (None, Some(d)) => {
                    self.bad_open += n;
                    if today > d {
                        self.bad_overdue += n;
                    }
                }
                (None, None) => self.bad_open += n,
            }
        }
        if self.total > 0 {
            self.good_bp = Some(self.good * 10_000 / self.total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_bad_rating_has_fifteen_working_days() {
        let r = RatingRules::default();
        let cal = crate::requests::rules::Calendar::default();
        // Monday 2026-11-02 + 15 working days = Monday 2026-11-23.
        assert_eq!(due(&r, &cal, d("2026-11-02")), d("2026-11-23"));
        assert!(Grade::Dissatisfied.is_bad() && Grade::VeryDissatisfied.is_bad() && !Grade::Basic.is_bad());
        assert_eq!(Grade::parse("基本满意"), Some(Grade::Basic));
    }

    #[test]
    fn the_tally_counts_follow_ups_in_time() {
        let today = d("2026-12-01");
        let mut t = Tally::default();
        t.add(&Seen { grade: Grade::VerySatisfied, due: None, closed_on: None }, today);
        t.add(&Seen { grade: Grade::Satisfied, due: None, closed_on: None }, today);
        t.add(&Seen { grade: Grade::Basic, due: None, closed_on: None }, today);
        t.add(&Seen { grade: Grade::Dissatisfied, due: Some(d("2026-11-20")), closed_on: Some(d("2026-11-20")) }, today);
        t.add(&Seen { grade: Grade::VeryDissatisfied, due: Some(d("2026-11-20")), closed_on: Some(d("2026-11-21")) }, today);
        t.add(&Seen { grade: Grade::Dissatisfied, due: Some(d("2026-11-30")), closed_on: None }, today);
        t.add(&Seen { grade: Grade::Dissatisfied, due: Some(d("2026-12-01")), closed_on: None }, today);
        assert_eq!((t.total, t.good, t.bad), (7, 2, 4));
        assert_eq!((t.bad_closed_in_time, t.bad_closed_late, t.bad_open, t.bad_overdue), (1, 1, 2, 1));
        assert_eq!(t.good_bp, Some(2857));
        assert_eq!(t.by_grade, vec![1, 1, 1, 3, 1]);
    }
}
