//! Member points (党员积分制管理) as a projection of records already kept. Pure: no DB, no clock.
//!
//! - [`MemberCatalog`]: a county's catalog (nearest ancestor's, else this default) and the yearly
//!   frame 基础分 20 + 任务分 70 + 奖励分 10.
//! - [`points_for`]: the points one fact earns under a catalog.
//! - [`corrections`]: what to append so the ledger equals the facts (a record corrected or
//!   removed is corrected by a new entry; nothing is rewritten).
//! - [`standing`]: a member's year in the frame.
//!
//! Decisions: 基础分 starts full (20) and only deductions touch it (absence without leave);
//! 任务分 gathers attendance, study and dues; 奖励分 is entered by the branch with evidence. Each
//! part is held to its frame (0..=20, 0..=70, 0..=10); the entries stay whole, the frame caps
//! only the standing.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// Seed [003] (积极推广党员积分制管理) and DOMAIN.md §7 (基础分 20 + 任务分 70 + 奖励分 10, a
/// common frame). The points per fact are 本地默认.
pub const SOURCE: &str = "县级党建材料[003]：积极推广党员积分制管理；常见年度框架：基础分20＋任务分70＋奖励分10（各项分值为本地默认）";

crate::code_enum!(
    /// The three parts of the yearly frame.
    Category {
        Base = ("base", "基础分"),
        Task = ("task", "任务分"),
        Reward = ("reward", "奖励分"),
    }
);

crate::code_enum!(
    /// What a point comes from.
    RuleCode {
        MeetingPresent = ("meeting_present", "参加组织生活"),
        MeetingAbsent = ("meeting_absent", "无故缺席组织生活"),
        TrainingHour = ("training_hour", "参加学习培训（每学时）"),
        DuesOnTime = ("dues_on_time", "按月交纳党费"),
        VolunteerHour = ("volunteer_hour", "志愿服务（每满1小时）"),
        WishFulfilled = ("wish_fulfilled", "认领的群众诉求（微心愿）已实现"),
        Manual = ("manual", "支部认定（附依据）"),
    }
);

impl RuleCode {
    pub fn category(self) -> Category {
        match self {
            RuleCode::MeetingAbsent => Category::Base,
            RuleCode::Manual => Category::Reward,
            _ => Category::Task,
        }
    }
}

/// A county's catalog; every value has a default (本地默认 within the [003] frame).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MemberCatalog {
    /// Per meeting attended (present). 2.
    pub meeting_present: i64,
    /// Per meeting missed without leave (absent; 请假 costs nothing). −2.
    pub meeting_absent: i64,
    /// Per 学时 of training attended (45 minutes). 1.
    pub training_hour: i64,
    /// Per month of dues paid by the last day of that month. 1.
    pub dues_on_time: i64,
    /// Per whole hour of volunteering confirmed by the organizer. 2.
    pub volunteer_hour: i64,
    /// Per request (微心愿) the member claimed, once fulfilled. 3.
    pub wish_fulfilled: i64,
    /// The frame: 基础分, 任务分, 奖励分. 20, 70, 10.
    pub base: i64,
    pub task_cap: i64,
    pub reward_cap: i64,
    /// Rankings per branch are shown; a county may turn them off (DOMAIN.md Principles: no
    /// compulsory public rankings).
    pub rankings: bool,
}

impl Default for MemberCatalog {
    fn default() -> Self {
        MemberCatalog { meeting_present: 2, meeting_absent: -2, training_hour: 1, volunteer_hour: 2, dues_on_time: 1, wish_fulfilled: 3, base: 20, task_cap: 70, reward_cap: 10, rankings: true }
    }
}

impl MemberCatalog {
    pub fn validate(&self) -> Result<(), String> {
        if self.meeting_present < 0 || self.training_hour < 0 || self.volunteer_hour < 0 || self.dues_on_time < 0 || self.wish_fulfilled < 0 {
            return Err("参加组织生活、学习培训、志愿服务、按月交纳党费、实现微心愿的分值不能为负".into());
        }
        if self.meeting_absent > 0 {
            return Err("无故缺席的分值应为0或负数".into());
        }
        if self.base < 0 || self.task_cap < 0 || self.reward_cap < 0 || self.base + self.task_cap + self.reward_cap > 1000 {
            return Err("年度框架的三项分值应为非负整数，合计不超过1000".into());
        }
        Ok(())
    }
}

/// One fact from the records: `units` of a rule (one meeting, three 学时, one month).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    pub member_id: i64,
    /// meeting, training, volunteer, dues, request
    pub source_kind: &'static str,
    pub source_id: i64,
    pub rule: RuleCode,
    pub units: i64,
}

/// The points a fact earns (negative for a deduction).
pub fn points_for(c: &MemberCatalog, f: &Fact) -> i64 {
    let per = match f.rule {
        RuleCode::MeetingPresent => c.meeting_present,
        RuleCode::MeetingAbsent => c.meeting_absent,
        RuleCode::TrainingHour => c.training_hour,
        RuleCode::VolunteerHour => c.volunteer_hour,
        RuleCode::DuesOnTime => c.dues_on_time,
        RuleCode::WishFulfilled => c.wish_fulfilled,
        RuleCode::Manual => 0,
    };
    per.saturating_mul(f.units)
}

/// (member, source kind, source id, rule).
pub type Key = (i64, String, i64, String);

/// The entries that make the ledger (`posted`: net points per key) equal the facts (`derived`),
/// in key order. A fact whose points became zero, or whose record is gone, is reversed.
pub fn corrections(derived: &HashMap<Key, i64>, posted: &HashMap<Key, i64>) -> Vec<(Key, i64)> {
    let mut out: BTreeMap<Key, i64> = BTreeMap::new();
    for (k, v) in derived {
        let delta = v - posted.get(k).copied().unwrap_or(0);
        if delta != 0 {
            out.insert(k.clone(), delta);
        }
    }
    for (k, v) in posted {
        if !derived.contains_key(k) && *v != 0 {
            out.insert(k.clone(), -v);
        }
    }
    out.into_iter().collect()
}

/// A member's year in the frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Standing {
    pub base: i64,
    pub task: i64,
    pub reward: i64,
    pub total: i64,
    /// What the frame cut off (points earned beyond a cap), for the explanation.
    pub over_cap: i64,
}

/// The standing from the net points per category.
pub fn standing(c: &MemberCatalog, base_delta: i64, task: i64, reward: i64) -> Standing {
    let base = (c.base + base_delta).clamp(0, c.base);
    let t = task.clamp(0, c.task_cap);
    let r = reward.clamp(0, c.reward_cap);
    Standing { base, task: t, reward: r, total: base + t + r, over_cap: (task - t).max(0) + (reward - r).max(0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(m: i64, kind: &str, id: i64, rule: &str) -> Key {
        (m, kind.into(), id, rule.into())
    }

    #[test]
    fn facts_earn_by_the_catalog() {
        let c = MemberCatalog::default();
        let f = |rule, units| Fact { member_id: 1, source_kind: "meeting", source_id: 1, rule, units };
        assert_eq!(points_for(&c, &f(RuleCode::MeetingPresent, 1)), 2);
        assert_eq!(points_for(&c, &f(RuleCode::MeetingAbsent, 1)), -2);
        assert_eq!(points_for(&c, &f(RuleCode::TrainingHour, 3)), 3);
        // A county's own catalog overrides the default.
        let county = MemberCatalog { meeting_present: 5, ..c.clone() };
        assert_eq!(points_for(&county, &f(RuleCode::MeetingPresent, 1)), 5);
        assert_eq!(RuleCode::MeetingAbsent.category(), Category::Base);
        assert!(c.validate().is_ok());
        assert!(MemberCatalog { meeting_absent: 1, ..c.clone() }.validate().is_err());
        assert_eq!(toml::from_str::<MemberCatalog>("").unwrap(), c);
    }

    #[test]
    fn corrections_append_only_the_difference() {
        let mut derived = HashMap::new();
        derived.insert(key(1, "meeting", 7, "meeting_present"), 2);
        derived.insert(key(1, "training", 3, "training_hour"), 3);
        let mut posted = HashMap::new();
        // Already posted: nothing to add.
        posted.insert(key(1, "meeting", 7, "meeting_present"), 2);
        // Training corrected from 4 学时 to 3: −1.
        posted.insert(key(1, "training", 3, "training_hour"), 4);
        // A meeting whose attendance was amended from present to excused: reversed.
        posted.insert(key(1, "meeting", 9, "meeting_present"), 2);
        let c = corrections(&derived, &posted);
        assert_eq!(c, vec![(key(1, "meeting", 9, "meeting_present"), -2), (key(1, "training", 3, "training_hour"), -1)]);
        // Applying them makes the ledger equal the facts: a second pass adds nothing.
        for (k, d) in &c {
            *posted.entry(k.clone()).or_default() += d;
        }
        posted.retain(|_, v| *v != 0);
        assert!(corrections(&derived, &posted).is_empty());
    }

    #[test]
    fn the_frame_caps_the_standing_not_the_entries() {
        let c = MemberCatalog::default();
        assert_eq!(standing(&c, 0, 0, 0).total, 20);
        let s = standing(&c, -4, 75, 12);
        assert_eq!((s.base, s.task, s.reward, s.total, s.over_cap), (16, 70, 10, 96, 7));
        assert_eq!(standing(&c, -30, -5, 0).total, 0);
    }
}
