//! Pairing rules. Pure: no DB, no HTTP, no clock.
//!
//! - [`check_new`]: the two sides of a pairing are two different orgs, and a 包联 names its leader.
//! - [`quiet`]: a pairing in force with no activity for `quiet_after_days` (a reminder, not a
//!   verdict: the seeds give no cadence, so the default is local).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

crate::code_enum!(
    /// The kinds of pairing in the seeds: 包联, a county leader (县委常委) and a contact point
    /// (联系点) [000]; 共驻共建, a unit's org and a community (契约化共建) [000][002]; 结对帮扶,
    /// an org or its cadres helping another [003].
    PairingKind {
        Liaison = ("liaison", "包联"),
        CoBuilding = ("co_building", "共驻共建"),
        Assistance = ("assistance", "结对帮扶"),
    }
);

/// Source of the kinds.
pub const SOURCE: &str = "县级党建材料[000]：8名县委常委共包联“三基建设”联系点16个；社区材料[002]：10个包联单位通过“契约化共建”注入资源；[003]：党员干部结对帮扶";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PairingRules {
    /// Remind when a pairing in force has had no activity for this many days. 90: 本地默认
    /// (about a quarter; the seeds set no cadence).
    pub quiet_after_days: u32,
}

impl Default for PairingRules {
    fn default() -> Self {
        PairingRules { quiet_after_days: 90 }
    }
}

/// Why a pairing cannot be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub field: &'static str,
    pub message: String,
}

/// The sides differ and a 包联 names the leader.
pub fn check_new(kind: PairingKind, helper_id: i64, helped_id: i64, leader: &str) -> Result<(), Refusal> {
    if helper_id == helped_id {
        return Err(Refusal { code: "same_org", field: "helped_org_id", message: "结对双方不能是同一个党组织".into() });
    }
    if kind == PairingKind::Liaison && leader.trim().is_empty() {
        return Err(Refusal { code: "leader_required", field: "leader", message: "包联须写明包联领导（姓名和职务），如“王某 县委常委、组织部部长”".into() });
    }
    Ok(())
}

/// Set when a pairing in force since `start` has had no activity for `quiet_after_days` on
/// `today`: counts from the latest activity, or from the start when there is none.
pub fn quiet(rules: &PairingRules, start: NaiveDate, last_activity: Option<NaiveDate>, ended: bool, today: NaiveDate) -> Option<String> {
    if ended || rules.quiet_after_days == 0 {
        return None;
    }
    let from = last_activity.map_or(start, |d| d.max(start));
    let days = (today - from).num_days();
    if days < rules.quiet_after_days as i64 {
        return None;
    }
    Some(match last_activity {
        Some(d) => format!("最近一次活动在{d}，已{days}天没有活动记录（提醒：超过{}天）。", rules.quiet_after_days),
        None => format!("自{start}结对以来{days}天没有活动记录（提醒：超过{}天）。", rules.quiet_after_days),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn sides_and_leader() {
        assert_eq!(check_new(PairingKind::Assistance, 3, 3, "").unwrap_err().code, "same_org");
        assert_eq!(check_new(PairingKind::Liaison, 1, 3, " ").unwrap_err().code, "leader_required");
        assert!(check_new(PairingKind::Liaison, 1, 3, "王某 县委常委").is_ok());
        assert!(check_new(PairingKind::CoBuilding, 1, 3, "").is_ok());
        assert_eq!(PairingKind::parse("共驻共建"), Some(PairingKind::CoBuilding));
    }

    #[test]
    fn quiet_turns_on_the_ninetieth_day() {
        let r = PairingRules::default();
        let start = d(2026, 1, 1);
        // From the start when nothing was done: day 89 fine, day 90 quiet.
        assert!(quiet(&r, start, None, false, d(2026, 3, 31)).is_none());
        let m = quiet(&r, start, None, false, d(2026, 4, 1)).unwrap();
        assert!(m.contains("自2026-01-01结对以来90天"), "{m}");
        // From the latest activity.
        assert!(quiet(&r, start, Some(d(2026, 3, 1)), false, d(2026, 5, 29)).is_none());
        assert!(quiet(&r, start, Some(d(2026, 3, 1)), false, d(2026, 5, 30)).unwrap().contains("最近一次活动在2026-03-01"));
        // Ended pairings and a zero setting never remind.
        assert!(quiet(&r, start, None, true, d(2027, 1, 1)).is_none());
        assert!(quiet(&PairingRules { quiet_after_days: 0 }, start, None, false, d(2027, 1, 1)).is_none());
        assert_eq!(toml::from_str::<PairingRules>("").unwrap(), r);
    }
}
