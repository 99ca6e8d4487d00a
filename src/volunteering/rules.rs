//! Volunteering rules. Pure: no DB, no HTTP, no clock.
//!
//! - [`VolunteerRules`]: categories, the door-QR windows, household points per hour, the
//!   four-season expectation for in-service members (defaults cite their source).
//! - [`Season`]: the four seasons of [001]'s “四季”志愿服务 (春 3–5月, 夏 6–8, 秋 9–11, 冬 12–2).
//! - [`scan`]: what a scan of the door QR does (check in, check out, or why not).
//! - [`served_minutes`]: the minutes a volunteer served, from the check times, inside the activity.
//! - [`hours_points`]: points for minutes at so many per whole hour.
//!
//! Decisions: an hour counts when whole (minutes / 60, rounded down): points are integers and a
//! volunteer reads “2小时 → 4分” without fractions. A check-out is not required: a volunteer who
//! checked in and never out is counted to the activity's end, and the organizer confirms or
//! corrects the minutes before any point is given.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Seed [001]: 持续开展在职党员到社区报到“四季”志愿服务活动; seed [002]: 党员“双报到”, and
/// households' volunteer points spent at the 文明超市. Values are 本地默认 (the seeds give none).
pub const SOURCE: &str = "县级材料[001]：持续开展在职党员到社区报到“四季”志愿服务活动；社区材料[002]：坚持党员“双报到”，以户为单位搭建志愿者积分管理平台（时长分值和时间窗口为本地默认）";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VolunteerRules {
    /// Kinds of activity. Default: those the seeds name ([001] 文艺汇演、健康义诊, [002] 政策宣讲、
    /// 法律援助, 微心愿) and two common ones (环境整治, 平安巡逻); 本地默认.
    pub categories: Vec<String>,
    /// A door-QR check-in opens this many minutes before the start. 60 (本地默认).
    pub check_in_before_minutes: i64,
    /// Check-out (and late check-in) closes this many minutes after the end. 120 (本地默认).
    pub check_out_after_minutes: i64,
    /// Household points per whole hour a resident served ([002]). 2 (本地默认).
    pub household_points_per_hour: i64,
    /// An in-service member reported to a community (双报到) is expected to serve at least this
    /// many activities there each season ([001] “四季”). 1 (本地默认).
    pub season_activities: i64,
    /// An activity takes at most this many volunteers. 500 (a product limit).
    pub max_slots: i64,
}

impl Default for VolunteerRules {
    fn default() -> Self {
        VolunteerRules {
            categories: ["政策宣讲", "环境整治", "关爱帮扶", "健康义诊", "文艺汇演", "法律援助", "平安巡逻", "其他"].map(String::from).to_vec(),
            check_in_before_minutes: 60,
            check_out_after_minutes: 120,
            household_points_per_hour: 2,
            season_activities: 1,
            max_slots: 500,
        }
    }
}

impl VolunteerRules {
    pub fn validate(&self) -> Result<(), String> {
        if self.categories.is_empty() || self.categories.iter().any(|c| c.trim().is_empty()) {
            return Err("categories: 至少一个类别，且不能为空".into());
        }
        if self.check_in_before_minutes < 0 || self.check_out_after_minutes < 0 {
            return Err("签到、签退时间窗口不能为负".into());
        }
        if self.household_points_per_hour < 0 || self.season_activities < 0 || self.max_slots < 1 {
            return Err("household_points_per_hour、season_activities 不能为负，max_slots 至少为 1".into());
        }
        Ok(())
    }
}

crate::code_enum!(
    /// The four seasons of the “四季”志愿服务.
    Season {
        Spring = ("spring", "春季"),
        Summer = ("summer", "夏季"),
        Autumn = ("autumn", "秋季"),
        Winter = ("winter", "冬季"),
    }
);

/// A season of a year: winter runs from December into the next February and belongs to the
/// year of its December.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SeasonOf {
    pub year: i32,
    pub season: Season,
}

impl SeasonOf {
    pub fn of(d: NaiveDate) -> SeasonOf {
        let (year, season) = match d.month() {
            3..=5 => (d.year(), Season::Spring),
            6..=8 => (d.year(), Season::Summer),
            9..=11 => (d.year(), Season::Autumn),
            12 => (d.year(), Season::Winter),
            _ => (d.year() - 1, Season::Winter),
        };
        SeasonOf { year, season }
    }

    /// First and last day.
    pub fn days(self) -> (NaiveDate, NaiveDate) {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("valid date");
        let y = self.year;
        match self.season {
            Season::Spring => (d(y, 3, 1), d(y, 5, 31)),
            Season::Summer => (d(y, 6, 1), d(y, 8, 31)),
            Season::Autumn => (d(y, 9, 1), d(y, 11, 30)),
            Season::Winter => (d(y, 12, 1), d(y + 1, 3, 1).pred_opt().expect("valid date")),
        }
    }

    pub fn previous(self) -> SeasonOf {
        SeasonOf::of(self.days().0.pred_opt().expect("valid date"))
    }

    /// 2026年秋季
    pub fn label(self) -> String {
        format!("{}年{}", self.year, self.season.label())
    }
}

/// What a scan of the door QR does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scan {
    CheckIn,
    CheckOut,
    Refused { code: &'static str, message: String },
}

/// The volunteer's state at the door and the time (Unix seconds) decide the scan: check-in from
/// `check_in_before_minutes` before the start to the end's grace; check-out after a check-in,
/// until the end's grace; nothing twice.
pub fn scan(r: &VolunteerRules, starts_at: i64, ends_at: i64, checked_in: bool, checked_out: bool, now: i64) -> Scan {
    let opens = starts_at - r.check_in_before_minutes * 60;
    let closes = ends_at + r.check_out_after_minutes * 60;
    if now < opens {
        return Scan::Refused { code: "check_in_not_open", message: format!("签到尚未开始：活动开始前{}分钟起可以签到", r.check_in_before_minutes) };
    }
    if now > closes {
        return Scan::Refused { code: "check_closed", message: format!("签到签退已结束：活动结束后{}分钟内可以签退", r.check_out_after_minutes) };
    }
    match (checked_in, checked_out) {
        (false, _) => Scan::CheckIn,
        (true, false) => Scan::CheckOut,
        (true, true) => Scan::Refused { code: "already_checked_out", message: "您已签到并签退，服务时长待组织者确认".into() },
    }
}

/// Minutes served inside the activity: from the later of check-in and start to the earlier of
/// check-out (else the end) and the end. Never negative.
pub fn served_minutes(starts_at: i64, ends_at: i64, check_in: Option<i64>, check_out: Option<i64>) -> i64 {
    let Some(cin) = check_in else { return 0 };
    let from = cin.max(starts_at);
    let to = check_out.unwrap_or(ends_at).min(ends_at);
    ((to - from) / 60).max(0)
}

/// Points for `minutes` at `per_hour` per whole hour.
pub fn hours_points(minutes: i64, per_hour: i64) -> i64 {
    (minutes.max(0) / 60).saturating_mul(per_hour)
}

/// Checks an activity's plan: a title, an end after the start on the same day, slots in range.
pub fn check_plan(r: &VolunteerRules, starts_at: i64, ends_at: i64, slots: i64) -> Result<(), (&'static str, &'static str, String)> {
    if ends_at <= starts_at {
        return Err(("time_order", "ends_at", "结束时间应晚于开始时间".into()));
    }
    if ends_at - starts_at > 24 * 3600 {
        return Err(("too_long", "ends_at", "一次活动不超过24小时；连续多日的活动请按天登记".into()));
    }
    if slots < 1 || slots > r.max_slots {
        return Err(("slots_invalid", "slots", format!("招募人数应为 1 到 {} 的整数", r.max_slots)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn seasons_follow_the_months_and_winter_crosses_the_year() {
        assert_eq!(SeasonOf::of(d("2026-03-01")), SeasonOf { year: 2026, season: Season::Spring });
        assert_eq!(SeasonOf::of(d("2026-11-30")).season, Season::Autumn);
        assert_eq!(SeasonOf::of(d("2026-12-01")), SeasonOf { year: 2026, season: Season::Winter });
        assert_eq!(SeasonOf::of(d("2027-02-28")), SeasonOf { year: 2026, season: Season::Winter });
        assert_eq!(SeasonOf { year: 2027, season: Season::Winter }.days().1, d("2028-02-29"));
        assert_eq!(SeasonOf::of(d("2026-06-15")).previous(), SeasonOf { year: 2026, season: Season::Spring });
        assert_eq!(SeasonOf::of(d("2026-04-15")).previous(), SeasonOf { year: 2025, season: Season::Winter });
        assert_eq!(SeasonOf::of(d("2026-10-01")).label(), "2026年秋季");
    }

    #[test]
    fn the_door_qr_checks_in_then_out_inside_the_windows() {
        let r = VolunteerRules::default();
        let (s, e) = (10_000_000, 10_000_000 + 7200);
        assert!(matches!(scan(&r, s, e, false, false, s - 3601), Scan::Refused { code: "check_in_not_open", .. }));
        assert_eq!(scan(&r, s, e, false, false, s - 3600), Scan::CheckIn);
        assert_eq!(scan(&r, s, e, true, false, s + 60), Scan::CheckOut);
        assert_eq!(scan(&r, s, e, false, false, e + 7200), Scan::CheckIn);
        assert!(matches!(scan(&r, s, e, true, false, e + 7201), Scan::Refused { code: "check_closed", .. }));
        assert!(matches!(scan(&r, s, e, true, true, s + 60), Scan::Refused { code: "already_checked_out", .. }));
    }

    #[test]
    fn minutes_are_counted_inside_the_activity_and_hours_whole() {
        let (s, e) = (0, 3 * 3600);
        // Early arrival counts from the start; no check-out counts to the end.
        assert_eq!(served_minutes(s, e, Some(-1800), None), 180);
        assert_eq!(served_minutes(s, e, Some(1800), Some(1800 + 90 * 60)), 90);
        assert_eq!(served_minutes(s, e, Some(1800), Some(e + 3600)), 150);
        assert_eq!(served_minutes(s, e, None, None), 0);
        assert_eq!(served_minutes(s, e, Some(e + 60), None), 0);
        assert_eq!(hours_points(119, 2), 2);
        assert_eq!(hours_points(120, 2), 4);
        assert_eq!(hours_points(-5, 2), 0);
    }

    #[test]
    fn a_plan_needs_order_and_slots() {
        let r = VolunteerRules::default();
        assert!(check_plan(&r, 0, 3600, 10).is_ok());
        assert_eq!(check_plan(&r, 3600, 3600, 10).unwrap_err().0, "time_order");
        assert_eq!(check_plan(&r, 0, 25 * 3600, 10).unwrap_err().0, "too_long");
        assert_eq!(check_plan(&r, 0, 3600, 0).unwrap_err().0, "slots_invalid");
        assert_eq!(check_plan(&r, 0, 3600, 501).unwrap_err().0, "slots_invalid");
        assert!(r.validate().is_ok());
        assert_eq!(toml::from_str::<VolunteerRules>("").unwrap(), r);
    }
}
