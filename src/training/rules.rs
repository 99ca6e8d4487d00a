//! 学习培训 (Party education and training) rules: the attendance discipline of a training class
//! (培训班) — “一课一查岗、一天一通报、一期一问责” — and the yearly 学时 targets. Pure: no DB, no
//! HTTP, no I/O, no floats.
//!
//! - [`daily_bulletin`] is the 一天一通报: for one day, who was expected at each 课次, who came,
//!   who was late, left early, on leave, absent — and whose attendance nobody checked (未查岗).
//! - [`class_report`] is the 一期一问责: per trainee the sessions, minutes and 学时 credited,
//!   whether they complete the class (结业), and the 问责 findings with the sessions behind them.
//! - [`annual_hours`] compares a member's credited 学时 for a year with the yearly target.
//!
//! Decisions (each covered by a test):
//! - **Credit.** 出勤 → the session's minutes; 迟到/早退 → minutes − `missed_minutes` (never below
//!   0); 请假/缺勤 → 0. A missing mark (未查岗) credits 0 and is reported apart from 缺勤.
//! - **Expected.** A trainee is expected at a session when enrolled on or before its day and not
//!   withdrawn before it (withdrawn on the session day itself: still expected).
//! - **Held.** A session counts (is “due”) when the caller lists it in `held` or it has at least
//!   one mark. A session that is not due is a plan: nobody is unmarked there and it adds no minutes.
//! - **Duplicates.** Two marks for the same trainee and session: the later one in the input wins
//!   (a correction is appended), and a [`DataIssue`] says so. A duplicate session or enrollment id:
//!   the first wins.
//! - **Completion (结业).** `credited × 10000 ≥ scheduled × completion_min_attendance_bp`, over the
//!   due sessions the trainee was expected at. See [`TrainingRules::completion_min_attendance_bp`]
//!   for the exact 1/7 boundary.
//! - **Ordering.** Sessions by (day, start, id); trainees by member id; lists inside follow those
//!   orders, so the output does not depend on the order of the inputs (except duplicate marks).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Vocabularies
// ---------------------------------------------------------------------------------------------

crate::code_enum!(
    /// 三色课堂: the course category of a session.
    CourseCategory {
        Red = ("red", "红色课堂"),
        Blue = ("blue", "蓝色课堂"),
        Green = ("green", "绿色课堂"),
    }
);

impl CourseCategory {
    /// What the category covers.
    pub fn description(self) -> &'static str {
        match self {
            CourseCategory::Red => "政治理论与党性教育",
            CourseCategory::Blue => "业务能力",
            CourseCategory::Green => "廉洁教育",
        }
    }
}

crate::code_enum!(
    /// The kind of a training class.
    ClassKind {
        Rotation = ("rotation", "集中轮训"),
        SecretaryLecture = ("secretary_lecture", "书记讲堂"),
        MicroLecture = ("micro_lecture", "微党课"),
        Special = ("special", "专题培训"),
    }
);

crate::code_enum!(
    /// What the 查岗 recorded for one trainee at one session.
    AttendanceMark {
        Present = ("present", "出勤"),
        Late = ("late", "迟到"),
        LeftEarly = ("left_early", "早退"),
        Excused = ("excused", "请假"),
        Absent = ("absent", "缺勤"),
    }
);

crate::code_enum!(
    /// A trainee's status at a due session: a recorded mark, or 未查岗 when there is none.
    CheckStatus {
        Present = ("present", "出勤"),
        Late = ("late", "迟到"),
        LeftEarly = ("left_early", "早退"),
        Excused = ("excused", "请假"),
        Absent = ("absent", "缺勤"),
        Unmarked = ("unmarked", "未查岗"),
    }
);

impl From<AttendanceMark> for CheckStatus {
    fn from(m: AttendanceMark) -> Self {
        match m {
            AttendanceMark::Present => CheckStatus::Present,
            AttendanceMark::Late => CheckStatus::Late,
            AttendanceMark::LeftEarly => CheckStatus::LeftEarly,
            AttendanceMark::Excused => CheckStatus::Excused,
            AttendanceMark::Absent => CheckStatus::Absent,
        }
    }
}

crate::code_enum!(
    /// The 问责 rules a trainee can trip at the end of a class (一期一问责).
    AccountabilityRule {
        UnexcusedAbsence = ("unexcused_absence", "无故缺勤"),
        LateOrEarly = ("late_or_early", "迟到早退"),
    }
);

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// Where the default member target comes from.
pub const SOURCE_MEMBER_HOURS: &str =
    "《中国共产党党员教育管理工作条例》（2019）第二十条：党员每年集中学习培训时间一般不少于32学时";
/// Where the default secretary target comes from (wording paraphrased, see the field).
pub const SOURCE_SECRETARY_HOURS: &str =
    "《2019—2023年全国党员教育培训工作规划》：基层党组织书记和班子成员每年集中培训和集体学习时间不少于56学时";
/// Where the 1/7 completion rule comes from.
pub const SOURCE_COMPLETION: &str =
    "参照《干部教育培训工作条例》（2023年修订）：脱产培训累计请假时间原则上不得超过总学时的1/7，超过的应予退学；用于党员培训班为本地规定";
/// Where the 问责 thresholds come from.
pub const SOURCE_ACCOUNTABILITY: &str = "“一课一查岗、一天一通报、一期一问责”考勤制度（本地规定，次数可配置）";

/// A county's training rules, deserializable from its configuration; every field has a default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainingRules {
    /// Yearly 学时 target for a member. Default 32: 《中国共产党党员教育管理工作条例》（2019）
    /// 第二十条 — “党员每年集中学习培训时间一般不少于32学时”.
    pub annual_member_hours_min: u32,
    /// Yearly 学时 target for a 基层党组织书记 or committee member. Default 56, from
    /// 《2019—2023年全国党员教育培训工作规划》 (书记和班子成员每年集中培训和集体学习不少于56学时;
    /// figure checked, Chinese wording not checked against the official text). That plan has been
    /// followed by 《全国党员教育培训工作规划（2024—2028年）》; whether it keeps 56 is not checked.
    pub annual_secretary_hours_min: u32,
    /// Minutes in one 学时. Default 45: a common convention in training classes, not taken from a
    /// central regulation — a local default; some units count 60 minutes, or 4 学时 a half-day.
    pub minutes_per_class_hour: u32,
    /// Share of the scheduled minutes, in basis points, a trainee must be credited with to
    /// complete (结业) the class. Default 8_571 ≈ 6/7: leave, absence, lateness and leaving early
    /// together may not exceed 1/7 of the hours. The 1/7 comes from 《干部教育培训工作条例》（2023年
    /// 修订）for cadres' full-time training (累计请假时间原则上不得超过总学时的1/7，超过的应予退学)
    /// and recurs in local 党校 attendance rules; applying it to member classes, and counting
    /// lateness with leave, is a local default. Missing exactly 1/7 completes; more does not. 8_571 is 6/7
    /// rounded down to a basis point: it gives exactly the 1/7 rule for up to 3,337 scheduled
    /// minutes, and is slightly more lenient above that.
    pub completion_min_attendance_bp: u32,
    /// Unexcused absences (缺勤) in one class that trigger 问责; 0 turns the rule off. Default 1,
    /// a local default for “一期一问责”.
    pub accountability_unexcused_absences: u32,
    /// Lates plus early leaves (迟到 + 早退) in one class that trigger 问责; 0 turns the rule off.
    /// Default 3, a local default.
    pub accountability_late_or_early: u32,
}

impl Default for TrainingRules {
    fn default() -> Self {
        TrainingRules {
            annual_member_hours_min: 32,
            annual_secretary_hours_min: 56,
            minutes_per_class_hour: 45,
            completion_min_attendance_bp: 8_571,
            accountability_unexcused_absences: 1,
            accountability_late_or_early: 3,
        }
    }
}

/// A configuration that cannot be applied as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("每学时分钟数（minutes_per_class_hour）应在1到1440之间，现为{0}")]
    MinutesPerClassHour(u32),
    #[error("{field}是万分比，应在0到10000之间，现为{value}")]
    BasisPoints { field: &'static str, value: u32 },
    #[error("{field}为0，不构成年度学时要求")]
    ZeroHours { field: &'static str },
    #[error("书记和班子成员的年度学时要求（{secretary}）不应低于党员的要求（{member}）")]
    SecretaryBelowMember { secretary: u32, member: u32 },
}

impl TrainingRules {
    /// Checks a county's configuration.
    pub fn validate(&self) -> Result<(), RulesError> {
        if self.minutes_per_class_hour == 0 || self.minutes_per_class_hour > 1440 {
            return Err(RulesError::MinutesPerClassHour(self.minutes_per_class_hour));
        }
        if self.completion_min_attendance_bp > 10_000 {
            return Err(RulesError::BasisPoints {
                field: "completion_min_attendance_bp",
                value: self.completion_min_attendance_bp,
            });
        }
        if self.annual_member_hours_min == 0 {
            return Err(RulesError::ZeroHours {
                field: "annual_member_hours_min",
            });
        }
        if self.annual_secretary_hours_min == 0 {
            return Err(RulesError::ZeroHours {
                field: "annual_secretary_hours_min",
            });
        }
        if self.annual_secretary_hours_min < self.annual_member_hours_min {
            return Err(RulesError::SecretaryBelowMember {
                secretary: self.annual_secretary_hours_min,
                member: self.annual_member_hours_min,
            });
        }
        Ok(())
    }

    /// Credited minutes as tenths of a 学时, rounded half-up (integers only).
    pub fn tenths_of_hours(&self, minutes: u64) -> u64 {
        let mph = u64::from(self.minutes_per_class_hour.max(1));
        (minutes * 20 + mph) / (2 * mph)
    }

    /// Whether `credited` out of `scheduled` minutes meets the completion share.
    pub fn meets_completion(&self, credited: u64, scheduled: u64) -> bool {
        u128::from(credited) * 10_000 >= u128::from(scheduled) * u128::from(self.completion_min_attendance_bp)
    }

    fn completion_rule_text(&self) -> String {
        format!(
            "计入学时不少于应参加学时的{}（请假、缺勤、迟到早退累计不超过约{}；{}）",
            fmt_bp(self.completion_min_attendance_bp),
            fmt_bp(10_000 - self.completion_min_attendance_bp.min(10_000)),
            SOURCE_COMPLETION
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// One 课次 of a class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: i64,
    pub day: NaiveDate,
    /// Minutes after midnight.
    pub start_minute: u32,
    pub minutes: u32,
    pub category: CourseCategory,
    pub title: String,
}

/// A trainee enrolled in the class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    pub member_id: i64,
    pub name: String,
    pub enrolled_on: NaiveDate,
    pub withdrawn_on: Option<NaiveDate>,
}

/// One 查岗 record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub session_id: i64,
    pub member_id: i64,
    pub mark: AttendanceMark,
    /// Minutes missed, for 迟到 / 早退; ignored for other marks.
    pub missed_minutes: u32,
    pub reason: Option<String>,
}

/// A member's credited minutes for a year, for [`annual_hours`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualInput {
    pub member_id: i64,
    pub name: String,
    pub credited_minutes: u64,
    /// 基层党组织书记 or 班子成员: the higher target applies.
    pub is_secretary: bool,
}

/// Minutes credited for one session with one mark.
pub fn credit_minutes(session_minutes: u32, mark: AttendanceMark, missed_minutes: u32) -> u32 {
    match mark {
        AttendanceMark::Present => session_minutes,
        AttendanceMark::Late | AttendanceMark::LeftEarly => session_minutes.saturating_sub(missed_minutes),
        AttendanceMark::Excused | AttendanceMark::Absent => 0,
    }
}

/// Whether a trainee is expected at a session held on `day`.
pub fn is_expected(enrollment: &Enrollment, day: NaiveDate) -> bool {
    enrollment.enrolled_on <= day && enrollment.withdrawn_on.is_none_or(|w| w >= day)
}

/// Every session id: for a class that is over.
pub fn all_held(sessions: &[Session]) -> BTreeSet<i64> {
    sessions.iter().map(|s| s.id).collect()
}

/// The sessions that have ended by `minute` (minutes after midnight) on `day`.
pub fn held_as_of(sessions: &[Session], day: NaiveDate, minute: u32) -> BTreeSet<i64> {
    sessions
        .iter()
        .filter(|s| s.day < day || (s.day == day && s.start_minute.saturating_add(s.minutes) <= minute))
        .map(|s| s.id)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

/// A session as the reports name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionRef {
    pub id: i64,
    pub day: NaiveDate,
    pub start_minute: u32,
    pub minutes: u32,
    pub category: CourseCategory,
    pub title: String,
    /// 1 for the day's first session (by start time, then id).
    pub ordinal_in_day: u32,
    /// E.g. “2026年3月4日第二课次（14:30）《党章学习》”.
    pub label: String,
}

/// Something in the input that the reports could not use as given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DataIssue {
    /// Stable code: `duplicate_session`, `duplicate_enrollment`, `duplicate_mark`,
    /// `unknown_session`, `unknown_member`, `not_expected`, `missed_exceeds_session`,
    /// `excused_without_reason`, `empty_session`.
    pub code: &'static str,
    pub message: String,
}

/// Counts in 人次 for one or more sessions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub expected: u32,
    pub present: u32,
    pub late: u32,
    pub left_early: u32,
    pub excused: u32,
    pub absent: u32,
    pub unmarked: u32,
    /// (出勤 + 迟到 + 早退) / 应到, in basis points rounded down; `None` when nobody was expected.
    pub attendance_bp: Option<u32>,
    pub credited_minutes: u64,
    /// `credited_minutes` in tenths of a 学时, rounded half-up.
    pub credited_tenths: u64,
}

impl Tally {
    fn add(&mut self, status: CheckStatus, credited: u32) {
        self.expected += 1;
        match status {
            CheckStatus::Present => self.present += 1,
            CheckStatus::Late => self.late += 1,
            CheckStatus::LeftEarly => self.left_early += 1,
            CheckStatus::Excused => self.excused += 1,
            CheckStatus::Absent => self.absent += 1,
            CheckStatus::Unmarked => self.unmarked += 1,
        }
        self.credited_minutes += u64::from(credited);
    }

    /// Those who came: 出勤 + 迟到 + 早退.
    pub fn arrived(&self) -> u32 {
        self.present + self.late + self.left_early
    }

    fn finish(&mut self, rules: &TrainingRules) {
        self.attendance_bp = ratio_bp(u64::from(self.arrived()), u64::from(self.expected));
        self.credited_tenths = rules.tenths_of_hours(self.credited_minutes);
    }
}

/// One session in the daily bulletin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionTally {
    pub session: SessionRef,
    /// False for a session that is not due yet: only `expected` is counted then.
    pub held: bool,
    pub tally: Tally,
}

/// A trainee who was not simply 出勤 at a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BulletinEntry {
    pub member_id: i64,
    pub name: String,
    pub session: SessionRef,
    pub status: CheckStatus,
    pub missed_minutes: u32,
    pub reason: Option<String>,
}

/// 一天一通报.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bulletin {
    pub day: NaiveDate,
    pub sessions: Vec<SessionTally>,
    /// Over the day's held sessions.
    pub totals: Tally,
    /// 缺勤、迟到、早退、请假、未查岗, by session order then member id.
    pub entries: Vec<BulletinEntry>,
    pub issues: Vec<DataIssue>,
    pub summary: String,
}

/// One 问责 finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: AccountabilityRule,
    /// The rule as configured, in Chinese.
    pub rule_text: String,
    pub sessions: Vec<SessionRef>,
    pub explanation: String,
}

/// One trainee at the end of (or during) a class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraineeReport {
    pub member_id: i64,
    pub name: String,
    pub enrolled_on: NaiveDate,
    pub withdrawn_on: Option<NaiveDate>,
    /// Due sessions the trainee was expected at.
    pub sessions_expected: u32,
    /// Sessions the trainee came to: 出勤 + 迟到 + 早退.
    pub attended: u32,
    pub late: u32,
    pub left_early: u32,
    pub excused: u32,
    pub absent: u32,
    pub unmarked: u32,
    /// Expected sessions not held yet.
    pub sessions_pending: u32,
    pub scheduled_minutes: u64,
    pub credited_minutes: u64,
    /// Tenths of a 学时, rounded half-up: 315 minutes at 45 per 学时 → 70 (7.0学时).
    pub class_hours_tenths: u64,
    /// credited / scheduled minutes in basis points, rounded down; `None` when nothing was scheduled.
    pub attendance_bp: Option<u32>,
    pub completed: bool,
    /// True when unmarked or pending sessions could still change `completed`.
    pub provisional: bool,
    pub completion_explanation: String,
    pub accountability: Vec<Finding>,
}

/// The plan per 三色课堂 category (all sessions, held or not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CategoryTotal {
    pub category: CourseCategory,
    pub sessions: u32,
    pub scheduled_minutes: u64,
    pub scheduled_tenths: u64,
    /// Share of the class's scheduled minutes, in basis points rounded down.
    pub share_bp: Option<u32>,
}

/// Whole-class figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClassTotals {
    pub sessions: u32,
    pub sessions_held: u32,
    pub trainees: u32,
    pub completed: u32,
    /// Mean of the trainees' `attendance_bp` (those that have one), rounded down.
    pub average_attendance_bp: Option<u32>,
    /// Trainees with at least one 问责 finding.
    pub flagged: u32,
    /// 未查岗 人次 over the class.
    pub unmarked: u32,
}

/// 一期一问责.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClassReport {
    pub trainees: Vec<TraineeReport>,
    /// Red, blue, green, in that order.
    pub categories: Vec<CategoryTotal>,
    pub totals: ClassTotals,
    /// Trainee × session pairs that nobody checked, by session order then member id.
    pub unchecked: Vec<BulletinEntry>,
    pub issues: Vec<DataIssue>,
    pub summary: String,
}

/// A member's year against the yearly 学时 target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HoursVerdict {
    pub member_id: i64,
    pub name: String,
    pub is_secretary: bool,
    pub credited_minutes: u64,
    /// Tenths of a 学时, rounded half-up.
    pub credited_tenths: u64,
    pub target_hours: u32,
    pub target_minutes: u64,
    /// Judged on minutes, not on the rounded tenths.
    pub met: bool,
    pub shortfall_minutes: u64,
    pub explanation: String,
}

// ---------------------------------------------------------------------------------------------
// Preparation shared by the reports
// ---------------------------------------------------------------------------------------------

struct Prepared<'a> {
    /// In scope, deduplicated, sorted by (day, start, id).
    sessions: Vec<SessionRef>,
    /// Enrollments deduplicated, sorted by member id.
    enrollments: Vec<&'a Enrollment>,
    /// Usable marks by (session, member).
    marks: BTreeMap<(i64, i64), &'a Mark>,
    due: BTreeSet<i64>,
    issues: Vec<DataIssue>,
}

impl Prepared<'_> {
    fn status(&self, session_id: i64, member_id: i64) -> Option<&Mark> {
        self.marks.get(&(session_id, member_id)).copied()
    }
}

fn issue(code: &'static str, message: String) -> DataIssue {
    DataIssue { code, message }
}

/// `scope`: only this day's sessions (the bulletin), or all of them (the class report). Marks for
/// sessions outside the scope are skipped silently.
fn prepare<'a>(
    sessions: &'a [Session],
    enrollments: &'a [Enrollment],
    marks: &'a [Mark],
    held: &BTreeSet<i64>,
    scope: Option<NaiveDate>,
) -> Prepared<'a> {
    let mut issues = Vec::new();
    let in_scope = |d: NaiveDate| scope.is_none_or(|s| s == d);

    // Sessions: first of each id wins; ordinals per day over every session of that day.
    let mut by_id: BTreeMap<i64, &Session> = BTreeMap::new();
    let mut sorted_all: Vec<&Session> = Vec::new();
    for s in sessions {
        if let Some(first) = by_id.get(&s.id) {
            if in_scope(s.day) || in_scope(first.day) {
                issues.push(issue(
                    "duplicate_session",
                    format!(
                        "课次编号{}重复出现，已采用第一条（《{}》），忽略《{}》",
                        s.id, first.title, s.title
                    ),
                ));
            }
            continue;
        }
        by_id.insert(s.id, s);
        sorted_all.push(s);
    }
    sorted_all.sort_by_key(|s| (s.day, s.start_minute, s.id));
    let mut refs = Vec::new();
    let mut ordinal = 0;
    let mut prev_day = None;
    for s in &sorted_all {
        if prev_day != Some(s.day) {
            ordinal = 0;
            prev_day = Some(s.day);
        }
        ordinal += 1;
        if !in_scope(s.day) {
            continue;
        }
        if s.minutes == 0 {
            issues.push(issue(
                "empty_session",
                format!("课次《{}》（编号{}）时长为0分钟", s.title, s.id),
            ));
        }
        refs.push(SessionRef {
            id: s.id,
            day: s.day,
            start_minute: s.start_minute,
            minutes: s.minutes,
            category: s.category,
            title: s.title.clone(),
            ordinal_in_day: ordinal,
            label: format!(
                "{}第{}课次（{}）《{}》",
                fmt_date(s.day),
                cn_number(ordinal),
                fmt_clock(s.start_minute),
                s.title
            ),
        });
    }
    let ref_by_id: BTreeMap<i64, &SessionRef> = refs.iter().map(|r| (r.id, r)).collect();

    // Enrollments: first of each member wins.
    let mut enrolled: BTreeMap<i64, &Enrollment> = BTreeMap::new();
    for e in enrollments {
        if let Some(first) = enrolled.get(&e.member_id) {
            issues.push(issue(
                "duplicate_enrollment",
                format!(
                    "学员{}（编号{}）重复报名，已采用第一条（{}）",
                    e.name, e.member_id, first.name
                ),
            ));
            continue;
        }
        enrolled.insert(e.member_id, e);
    }

    // Marks: the later one wins; collect issues in a deterministic order afterwards.
    let mut kept: BTreeMap<(i64, i64), &Mark> = BTreeMap::new();
    let mut duplicates: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut unknown_sessions: BTreeSet<i64> = BTreeSet::new();
    let mut unknown_members: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut not_expected: BTreeSet<(i64, i64)> = BTreeSet::new();
    for m in marks {
        let Some(session) = by_id.get(&m.session_id) else {
            if scope.is_none() {
                unknown_sessions.insert(m.session_id);
            }
            continue;
        };
        if !in_scope(session.day) {
            continue;
        }
        let Some(e) = enrolled.get(&m.member_id) else {
            unknown_members.insert((m.session_id, m.member_id));
            continue;
        };
        if !is_expected(e, session.day) {
            not_expected.insert((m.session_id, m.member_id));
            continue;
        }
        if kept.insert((m.session_id, m.member_id), m).is_some() {
            duplicates.insert((m.session_id, m.member_id));
        }
    }
    for id in unknown_sessions {
        issues.push(issue(
            "unknown_session",
            format!("考勤记录指向不存在的课次（编号{}），已忽略", id),
        ));
    }
    for (sid, mid) in unknown_members {
        issues.push(issue(
            "unknown_member",
            format!("{}有非本班学员（编号{}）的考勤记录，已忽略", ref_by_id[&sid].label, mid),
        ));
    }
    for (sid, mid) in not_expected {
        let e = enrolled[&mid];
        issues.push(issue(
            "not_expected",
            format!(
                "{}（编号{}）在{}不在班（{}报名{}），该课次考勤记录已忽略",
                e.name,
                mid,
                ref_by_id[&sid].label,
                fmt_date(e.enrolled_on),
                e.withdrawn_on
                    .map(|w| format!("，{}退出", fmt_date(w)))
                    .unwrap_or_default()
            ),
        ));
    }
    for (sid, mid) in duplicates {
        issues.push(issue(
            "duplicate_mark",
            format!(
                "{}在{}有多条考勤记录，已采用最后一条",
                enrolled[&mid].name, ref_by_id[&sid].label
            ),
        ));
    }
    for ((sid, mid), m) in &kept {
        let r = ref_by_id[sid];
        let name = &enrolled[mid].name;
        if matches!(m.mark, AttendanceMark::Late | AttendanceMark::LeftEarly) && m.missed_minutes > r.minutes {
            issues.push(issue(
                "missed_exceeds_session",
                format!(
                    "{}在{}{}{}分钟，超过课次时长{}分钟，按0分钟计入",
                    name,
                    r.label,
                    m.mark.label(),
                    m.missed_minutes,
                    r.minutes
                ),
            ));
        }
        if m.mark == AttendanceMark::Excused && m.reason.as_deref().is_none_or(|s| s.trim().is_empty()) {
            issues.push(issue(
                "excused_without_reason",
                format!("{}在{}请假，未填写事由", name, r.label),
            ));
        }
    }

    let marked: BTreeSet<i64> = kept.keys().map(|&(sid, _)| sid).collect();
    let due: BTreeSet<i64> = refs
        .iter()
        .filter(|r| held.contains(&r.id) || marked.contains(&r.id))
        .map(|r| r.id)
        .collect();

    Prepared {
        sessions: refs,
        enrollments: enrolled.into_values().collect(),
        marks: kept,
        due,
        issues,
    }
}

/// Status, credited minutes, missed minutes and reason of a trainee at a due session.
fn outcome(p: &Prepared<'_>, s: &SessionRef, member_id: i64) -> (CheckStatus, u32, u32, Option<String>) {
    match p.status(s.id, member_id) {
        Some(m) => {
            let missed = match m.mark {
                AttendanceMark::Late | AttendanceMark::LeftEarly => m.missed_minutes.min(s.minutes),
                _ => 0,
            };
            (
                m.mark.into(),
                credit_minutes(s.minutes, m.mark, m.missed_minutes),
                missed,
                m.reason.clone(),
            )
        }
        None => (CheckStatus::Unmarked, 0, 0, None),
    }
}

// ---------------------------------------------------------------------------------------------
// 一天一通报
// ---------------------------------------------------------------------------------------------

/// The bulletin for `day`: every session of that day, the counts, and everyone who was not
/// simply 出勤. `held` lists the sessions that have taken place (see the module doc).
pub fn daily_bulletin(
    rules: &TrainingRules,
    day: NaiveDate,
    sessions: &[Session],
    enrollments: &[Enrollment],
    marks: &[Mark],
    held: &BTreeSet<i64>,
) -> Bulletin {
    let p = prepare(sessions, enrollments, marks, held, Some(day));
    let mut tallies = Vec::new();
    let mut totals = Tally::default();
    let mut entries = Vec::new();
    for s in &p.sessions {
        let is_held = p.due.contains(&s.id);
        let mut t = Tally::default();
        for e in p.enrollments.iter().filter(|e| is_expected(e, s.day)) {
            if !is_held {
                t.expected += 1;
                continue;
            }
            let (status, credited, missed, reason) = outcome(&p, s, e.member_id);
            t.add(status, credited);
            totals.add(status, credited);
            if status != CheckStatus::Present {
                entries.push(BulletinEntry {
                    member_id: e.member_id,
                    name: e.name.clone(),
                    session: s.clone(),
                    status,
                    missed_minutes: missed,
                    reason,
                });
            }
        }
        t.finish(rules);
        tallies.push(SessionTally {
            session: s.clone(),
            held: is_held,
            tally: t,
        });
    }
    totals.finish(rules);
    let summary = bulletin_summary(day, &tallies, &totals, &entries);
    Bulletin {
        day,
        sessions: tallies,
        totals,
        entries,
        issues: p.issues,
        summary,
    }
}

fn bulletin_summary(day: NaiveDate, tallies: &[SessionTally], t: &Tally, entries: &[BulletinEntry]) -> String {
    let mut s = fmt_date(day);
    if tallies.is_empty() {
        s.push_str(" 无课次。");
        return s;
    }
    let _ = write!(s, " 共{}课次", tallies.len());
    let pending = tallies.iter().filter(|x| !x.held).count();
    if pending == tallies.len() {
        s.push_str("，均未到查岗时间。");
        return s;
    }
    if pending > 0 {
        let _ = write!(s, "（{}课次未到查岗时间，不计入）", pending);
    }
    let _ = write!(s, "，应到{}人次，实到{}人次", t.expected, t.arrived());
    let mut late = Vec::new();
    if t.late > 0 {
        late.push(format!("迟到{}", t.late));
    }
    if t.left_early > 0 {
        late.push(format!("早退{}", t.left_early));
    }
    if !late.is_empty() {
        let _ = write!(s, "（{}）", late.join("、"));
    }
    if t.excused > 0 {
        let _ = write!(s, "，请假{}人次", t.excused);
    }
    for (count, status) in [(t.absent, CheckStatus::Absent), (t.unmarked, CheckStatus::Unmarked)] {
        if count > 0 {
            let _ = write!(
                s,
                "，{}{}人次：{}",
                status.label(),
                count,
                names_with_sessions(entries, status)
            );
        }
    }
    s.push('。');
    s
}

/// “张三（第二课次）、李四（第一课次、第二课次）”, people in order of their first such session.
fn names_with_sessions(entries: &[BulletinEntry], status: CheckStatus) -> String {
    let mut people: Vec<(i64, &str, Vec<String>)> = Vec::new();
    for e in entries.iter().filter(|e| e.status == status) {
        let label = format!("第{}课次", cn_number(e.session.ordinal_in_day));
        match people.iter_mut().find(|(id, _, _)| *id == e.member_id) {
            Some(p) => p.2.push(label),
            None => people.push((e.member_id, &e.name, vec![label])),
        }
    }
    people
        .iter()
        .map(|(_, name, sessions)| format!("{}（{}）", name, sessions.join("、")))
        .collect::<Vec<_>>()
        .join("、")
}

// ---------------------------------------------------------------------------------------------
// 一期一问责
// ---------------------------------------------------------------------------------------------

/// The class report: per trainee credit, completion and 问责 findings; per category plan; totals.
/// `held` lists the sessions that have taken place; pass [`all_held`] for a finished class.
pub fn class_report(
    rules: &TrainingRules,
    sessions: &[Session],
    enrollments: &[Enrollment],
    marks: &[Mark],
    held: &BTreeSet<i64>,
) -> ClassReport {
    let p = prepare(sessions, enrollments, marks, held, None);
    let last_day = p.sessions.last().map(|s| s.day);
    let mut trainees = Vec::new();
    let mut unchecked = Vec::new();
    for e in &p.enrollments {
        let mut r = TraineeReport {
            member_id: e.member_id,
            name: e.name.clone(),
            enrolled_on: e.enrolled_on,
            withdrawn_on: e.withdrawn_on,
            sessions_expected: 0,
            attended: 0,
            late: 0,
            left_early: 0,
            excused: 0,
            absent: 0,
            unmarked: 0,
            sessions_pending: 0,
            scheduled_minutes: 0,
            credited_minutes: 0,
            class_hours_tenths: 0,
            attendance_bp: None,
            completed: false,
            provisional: false,
            completion_explanation: String::new(),
            accountability: Vec::new(),
        };
        let mut absent_at = Vec::new();
        let mut late_at = Vec::new();
        for s in p.sessions.iter().filter(|s| is_expected(e, s.day)) {
            if !p.due.contains(&s.id) {
                r.sessions_pending += 1;
                continue;
            }
            let (status, credited, missed, reason) = outcome(&p, s, e.member_id);
            r.sessions_expected += 1;
            r.scheduled_minutes += u64::from(s.minutes);
            r.credited_minutes += u64::from(credited);
            match status {
                CheckStatus::Present => r.attended += 1,
                CheckStatus::Late | CheckStatus::LeftEarly => {
                    r.attended += 1;
                    if status == CheckStatus::Late {
                        r.late += 1;
                    } else {
                        r.left_early += 1;
                    }
                    late_at.push(s.clone());
                }
                CheckStatus::Excused => r.excused += 1,
                CheckStatus::Absent => {
                    r.absent += 1;
                    absent_at.push(s.clone());
                }
                CheckStatus::Unmarked => {
                    r.unmarked += 1;
                    unchecked.push(BulletinEntry {
                        member_id: e.member_id,
                        name: e.name.clone(),
                        session: s.clone(),
                        status,
                        missed_minutes: missed,
                        reason,
                    });
                }
            }
        }
        r.class_hours_tenths = rules.tenths_of_hours(r.credited_minutes);
        r.attendance_bp = ratio_bp(r.credited_minutes, r.scheduled_minutes);
        judge_completion(rules, &mut r, last_day);
        r.accountability = findings(rules, &r, absent_at, late_at);
        trainees.push(r);
    }
    unchecked.sort_by_key(|u| (u.session.day, u.session.start_minute, u.session.id, u.member_id));

    let total_minutes: u64 = p.sessions.iter().map(|s| u64::from(s.minutes)).sum();
    let categories = CourseCategory::ALL
        .iter()
        .map(|&c| {
            let of: Vec<&SessionRef> = p.sessions.iter().filter(|s| s.category == c).collect();
            let minutes = of.iter().map(|s| u64::from(s.minutes)).sum();
            CategoryTotal {
                category: c,
                sessions: of.len() as u32,
                scheduled_minutes: minutes,
                scheduled_tenths: rules.tenths_of_hours(minutes),
                share_bp: ratio_bp(minutes, total_minutes),
            }
        })
        .collect::<Vec<_>>();

    let with_bp: Vec<u64> = trainees.iter().filter_map(|t| t.attendance_bp).map(u64::from).collect();
    let totals = ClassTotals {
        sessions: p.sessions.len() as u32,
        sessions_held: p.due.len() as u32,
        trainees: trainees.len() as u32,
        completed: trainees.iter().filter(|t| t.completed).count() as u32,
        average_attendance_bp: if with_bp.is_empty() {
            None
        } else {
            Some((with_bp.iter().sum::<u64>() / with_bp.len() as u64) as u32)
        },
        flagged: trainees.iter().filter(|t| !t.accountability.is_empty()).count() as u32,
        unmarked: unchecked.len() as u32,
    };
    let summary = class_summary(rules, &totals, &categories);
    ClassReport {
        trainees,
        categories,
        totals,
        unchecked,
        issues: p.issues,
        summary,
    }
}

fn judge_completion(rules: &TrainingRules, r: &mut TraineeReport, last_day: Option<NaiveDate>) {
    r.provisional = r.unmarked > 0 || r.sessions_pending > 0;
    let mut text = if let Some(w) = r.withdrawn_on.filter(|&w| last_day.is_some_and(|l| w < l)) {
        r.completed = false;
        format!("已于{}退出培训班，不予结业", fmt_date(w))
    } else if r.scheduled_minutes == 0 {
        r.completed = false;
        "尚无应参加且已进行的课次，无法判定结业".to_string()
    } else {
        r.completed = rules.meets_completion(r.credited_minutes, r.scheduled_minutes);
        format!(
            "应参加{}课次共{}分钟（{}），计入{}分钟（{}，{}），未计入{}分钟；结业要求：{}；{}",
            r.sessions_expected,
            r.scheduled_minutes,
            fmt_tenths(rules.tenths_of_hours(r.scheduled_minutes)),
            r.credited_minutes,
            fmt_tenths(r.class_hours_tenths),
            fmt_bp(r.attendance_bp.unwrap_or(0)),
            r.scheduled_minutes - r.credited_minutes,
            rules.completion_rule_text(),
            if r.completed { "准予结业" } else { "不予结业" }
        )
    };
    if r.provisional {
        let mut open = Vec::new();
        if r.unmarked > 0 {
            open.push(format!("{}课次未查岗", r.unmarked));
        }
        if r.sessions_pending > 0 {
            open.push(format!("{}课次尚未进行", r.sessions_pending));
        }
        let _ = write!(text, "（另有{}，结论待定）", open.join("、"));
    }
    r.completion_explanation = text;
}

fn findings(
    rules: &TrainingRules,
    r: &TraineeReport,
    absent_at: Vec<SessionRef>,
    late_at: Vec<SessionRef>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let n = rules.accountability_unexcused_absences;
    if n > 0 && r.absent >= n {
        out.push(Finding {
            rule: AccountabilityRule::UnexcusedAbsence,
            rule_text: format!("无故缺勤累计达到{}次予以问责（{}）", n, SOURCE_ACCOUNTABILITY),
            explanation: format!(
                "{}无故缺勤{}次：{}，达到{}次的问责标准",
                r.name,
                r.absent,
                labels(&absent_at),
                n
            ),
            sessions: absent_at,
        });
    }
    let n = rules.accountability_late_or_early;
    let count = r.late + r.left_early;
    if n > 0 && count >= n {
        out.push(Finding {
            rule: AccountabilityRule::LateOrEarly,
            rule_text: format!("迟到、早退累计达到{}次予以问责（{}）", n, SOURCE_ACCOUNTABILITY),
            explanation: format!(
                "{}迟到{}次、早退{}次，合计{}次：{}，达到{}次的问责标准",
                r.name,
                r.late,
                r.left_early,
                count,
                labels(&late_at),
                n
            ),
            sessions: late_at,
        });
    }
    out
}

fn labels(sessions: &[SessionRef]) -> String {
    sessions.iter().map(|s| s.label.as_str()).collect::<Vec<_>>().join("、")
}

fn class_summary(rules: &TrainingRules, t: &ClassTotals, categories: &[CategoryTotal]) -> String {
    let mut s = format!("培训班共{}课次（已进行{}课次）", t.sessions, t.sessions_held);
    let parts: Vec<String> = categories
        .iter()
        .filter(|c| c.sessions > 0)
        .map(|c| {
            format!(
                "{}{}课次{}",
                c.category.label(),
                c.sessions,
                fmt_tenths(c.scheduled_tenths)
            )
        })
        .collect();
    if !parts.is_empty() {
        let _ = write!(s, "，其中{}", parts.join("、"));
    }
    let _ = write!(s, "；学员{}人，准予结业{}人", t.trainees, t.completed);
    if let Some(bp) = t.average_attendance_bp {
        let _ = write!(s, "，平均出勤率{}", fmt_bp(bp));
    }
    let _ = write!(s, "，需问责{}人", t.flagged);
    if t.unmarked > 0 {
        let _ = write!(s, "，未查岗{}人次", t.unmarked);
    }
    let _ = write!(s, "（每学时按{}分钟计）。", rules.minutes_per_class_hour);
    s
}

// ---------------------------------------------------------------------------------------------
// Yearly hours
// ---------------------------------------------------------------------------------------------

/// Each member's credited 学时 for a year against the yearly target, in input order.
pub fn annual_hours(rules: &TrainingRules, members: &[AnnualInput]) -> Vec<HoursVerdict> {
    let mph = u64::from(rules.minutes_per_class_hour);
    members
        .iter()
        .map(|m| {
            let (target_hours, who, source) = if m.is_secretary {
                (
                    rules.annual_secretary_hours_min,
                    "基层党组织书记和班子成员",
                    SOURCE_SECRETARY_HOURS,
                )
            } else {
                (rules.annual_member_hours_min, "党员", SOURCE_MEMBER_HOURS)
            };
            let target_minutes = u64::from(target_hours) * mph;
            let credited_tenths = rules.tenths_of_hours(m.credited_minutes);
            let met = m.credited_minutes >= target_minutes;
            let shortfall_minutes = target_minutes.saturating_sub(m.credited_minutes);
            let head = format!(
                "{}本年度累计集中学习培训{}（{}分钟，每学时按{}分钟计）",
                m.name,
                fmt_tenths(credited_tenths),
                m.credited_minutes,
                mph
            );
            let explanation = if met {
                format!(
                    "{}，达到{}每年不少于{}学时的要求（依据：{}）",
                    head, who, target_hours, source
                )
            } else {
                let short_tenths = (shortfall_minutes * 10).div_ceil(mph.max(1));
                format!(
                    "{}，未达到{}每年不少于{}学时（{}分钟）的要求，还差{}分钟（约{}）（依据：{}）",
                    head,
                    who,
                    target_hours,
                    target_minutes,
                    shortfall_minutes,
                    fmt_tenths(short_tenths),
                    source
                )
            };
            HoursVerdict {
                member_id: m.member_id,
                name: m.name.clone(),
                is_secretary: m.is_secretary,
                credited_minutes: m.credited_minutes,
                credited_tenths,
                target_hours,
                target_minutes,
                met,
                shortfall_minutes,
                explanation,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

fn ratio_bp(num: u64, den: u64) -> Option<u32> {
    if den == 0 {
        None
    } else {
        Some((u128::from(num) * 10_000 / u128::from(den)) as u32)
    }
}

/// “2026年3月4日”.
fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// “08:30”.
fn fmt_clock(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// 8571 → “85.71%”.
pub fn fmt_bp(bp: u32) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

/// 125 → “12.5” (tenths of a 学时).
pub fn fmt_hours(tenths: u64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// 125 → “12.5学时”.
fn fmt_tenths(tenths: u64) -> String {
    format!("{}学时", fmt_hours(tenths))
}

/// Chinese numerals for ordinals 1–99 (“二”, “十二”, “二十”); Arabic digits beyond.
fn cn_number(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].to_string(),
        10..=99 => {
            let tens = if n < 20 { "" } else { D[(n / 10) as usize] };
            let ones = match n % 10 {
                0 => "",
                r => D[r as usize],
            };
            format!("{}十{}", tens, ones)
        }
        _ => n.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::value::{Error as DeError, MapDeserializer};
    use serde::de::IntoDeserializer;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn session(id: i64, day: NaiveDate, start: u32, minutes: u32, category: CourseCategory, title: &str) -> Session {
        Session {
            id,
            day,
            start_minute: start,
            minutes,
            category,
            title: title.to_string(),
        }
    }

    fn enroll(member_id: i64, name: &str, on: NaiveDate, withdrawn: Option<NaiveDate>) -> Enrollment {
        Enrollment {
            member_id,
            name: name.to_string(),
            enrolled_on: on,
            withdrawn_on: withdrawn,
        }
    }

    fn mark(session_id: i64, member_id: i64, m: AttendanceMark, missed: u32, reason: Option<&str>) -> Mark {
        Mark {
            session_id,
            member_id,
            mark: m,
            missed_minutes: missed,
            reason: reason.map(str::to_string),
        }
    }

    fn present(session_id: i64, member_id: i64) -> Mark {
        mark(session_id, member_id, AttendanceMark::Present, 0, None)
    }

    use AttendanceMark::*;
    use CourseCategory::*;

    /// Seven 45-minute sessions on consecutive days, one trainee.
    fn seven() -> (Vec<Session>, Vec<Enrollment>) {
        let sessions = (1..=7)
            .map(|i| session(i, d(3, i as u32), 510, 45, Red, &format!("第{}讲", i)))
            .collect();
        (sessions, vec![enroll(1, "张三", d(3, 1), None)])
    }

    #[test]
    fn vocabularies() {
        assert_eq!(CourseCategory::parse("红色课堂"), Some(Red));
        assert_eq!(Blue.description(), "业务能力");
        assert_eq!(Green.description(), "廉洁教育");
        assert_eq!(ClassKind::parse("secretary_lecture"), Some(ClassKind::SecretaryLecture));
        assert_eq!(ClassKind::MicroLecture.label(), "微党课");
        assert_eq!(AttendanceMark::parse("早退"), Some(LeftEarly));
        assert_eq!(CheckStatus::from(Excused), CheckStatus::Excused);
        assert_eq!(CheckStatus::Unmarked.label(), "未查岗");
    }

    #[test]
    fn credit_rules() {
        assert_eq!(credit_minutes(90, Present, 30), 90);
        assert_eq!(credit_minutes(90, Late, 15), 75);
        assert_eq!(credit_minutes(90, LeftEarly, 20), 70);
        assert_eq!(credit_minutes(90, Late, 200), 0);
        assert_eq!(credit_minutes(90, Excused, 0), 0);
        assert_eq!(credit_minutes(90, Absent, 0), 0);
    }

    #[test]
    fn expectedness_follows_enrollment_and_withdrawal() {
        let e = enroll(1, "张三", d(3, 2), Some(d(3, 4)));
        assert!(!is_expected(&e, d(3, 1)), "before enrollment");
        assert!(is_expected(&e, d(3, 2)), "on the enrollment day");
        assert!(is_expected(&e, d(3, 4)), "withdrawn on the session day: still expected");
        assert!(!is_expected(&e, d(3, 5)), "after withdrawal");

        let sessions: Vec<Session> = (1..=5)
            .map(|i| session(i, d(3, i as u32), 480, 60, Red, "课"))
            .collect();
        let marks: Vec<Mark> = (2..=4).map(|i| present(i, 1)).collect();
        let r = class_report(&TrainingRules::default(), &sessions, &[e], &marks, &all_held(&sessions));
        let t = &r.trainees[0];
        assert_eq!((t.sessions_expected, t.attended, t.unmarked), (3, 3, 0));
        assert_eq!(t.scheduled_minutes, 180);
        assert!(!t.completed, "withdrew before the last day");
        assert!(
            t.completion_explanation.contains("2026年3月4日退出培训班"),
            "{}",
            t.completion_explanation
        );
    }

    #[test]
    fn late_enrollee_is_judged_from_enrollment_on() {
        let (sessions, _) = seven();
        let e = enroll(2, "李四", d(3, 2), None);
        let marks: Vec<Mark> = (2..=7).map(|i| present(i, 2)).collect();
        let r = class_report(&TrainingRules::default(), &sessions, &[e], &marks, &all_held(&sessions));
        let t = &r.trainees[0];
        assert_eq!(
            (t.sessions_expected, t.scheduled_minutes, t.credited_minutes),
            (6, 270, 270)
        );
        assert!(t.completed);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
    }

    #[test]
    fn unmarked_is_not_absent() {
        let (sessions, enrollments) = seven();
        let marks = vec![present(1, 1), mark(2, 1, Absent, 0, None)];
        let held: BTreeSet<i64> = [1, 2, 3].into();
        let r = class_report(&TrainingRules::default(), &sessions, &enrollments, &marks, &held);
        let t = &r.trainees[0];
        assert_eq!(
            (t.sessions_expected, t.absent, t.unmarked, t.sessions_pending),
            (3, 1, 1, 4)
        );
        assert!(t.provisional);
        assert!(
            t.completion_explanation.contains("1课次未查岗、4课次尚未进行"),
            "{}",
            t.completion_explanation
        );
        assert_eq!(r.unchecked.len(), 1);
        assert_eq!(r.unchecked[0].session.id, 3);
        assert_eq!(r.unchecked[0].status, CheckStatus::Unmarked);
        assert_eq!(r.totals.unmarked, 1);
        assert_eq!(
            r.trainees[0].accountability.len(),
            1,
            "only the real absence is a finding"
        );
        assert_eq!(r.trainees[0].accountability[0].sessions.len(), 1);
    }

    #[test]
    fn a_session_with_any_mark_counts_as_held() {
        let (sessions, mut enrollments) = seven();
        enrollments.push(enroll(2, "李四", d(3, 1), None));
        let r = class_report(
            &TrainingRules::default(),
            &sessions,
            &enrollments,
            &[present(1, 1)],
            &BTreeSet::new(),
        );
        assert_eq!(r.totals.sessions_held, 1);
        assert_eq!(
            r.trainees[1].unmarked, 1,
            "李四 was not checked at the session that took place"
        );
        assert_eq!(r.trainees[1].sessions_pending, 6);
    }

    #[test]
    fn completion_boundary_is_exactly_one_seventh() {
        let (sessions, enrollments) = seven();
        let rules = TrainingRules::default();
        let held = all_held(&sessions);
        let base: Vec<Mark> = (1..=6).map(|i| present(i, 1)).collect();

        // Missing exactly one of seven equal sessions (1/7) completes.
        let mut marks = base.clone();
        marks.push(mark(7, 1, Excused, 0, Some("病假")));
        let t = &class_report(&rules, &sessions, &enrollments, &marks, &held).trainees[0];
        assert_eq!((t.scheduled_minutes, t.credited_minutes), (315, 270));
        assert!(t.completed, "{}", t.completion_explanation);
        assert!(t.completion_explanation.contains("准予结业"));

        // One minute more (1/7 and a late minute) does not.
        let mut marks = base.clone();
        marks[0] = mark(1, 1, Late, 1, None);
        marks.push(mark(7, 1, Excused, 0, Some("病假")));
        let t = &class_report(&rules, &sessions, &enrollments, &marks, &held).trainees[0];
        assert_eq!(t.credited_minutes, 269);
        assert!(!t.completed);
        assert!(
            t.completion_explanation.contains("不予结业"),
            "{}",
            t.completion_explanation
        );

        // An unexcused absence counts toward the 1/7 the same way as leave.
        let mut marks = base;
        marks.push(mark(7, 1, Absent, 0, None));
        assert!(class_report(&rules, &sessions, &enrollments, &marks, &held).trainees[0].completed);
    }

    #[test]
    fn default_bp_is_the_one_seventh_rule_up_to_3337_minutes() {
        let rules = TrainingRules::default();
        for scheduled in 1..=3337u64 {
            for credited in (scheduled * 6 / 7).saturating_sub(2)..=scheduled {
                let exact = (scheduled - credited) * 7 <= scheduled;
                assert_eq!(
                    rules.meets_completion(credited, scheduled),
                    exact,
                    "{credited}/{scheduled}"
                );
            }
        }
        // 477 of 3,338 minutes missed is more than 1/7 (477 × 7 = 3,339), yet 8_571 bp lets it pass.
        assert!(
            rules.meets_completion(2861, 3338),
            "above 3,337 minutes 8_571 bp is slightly lenient"
        );
    }

    #[test]
    fn accountability_findings() {
        let (sessions, enrollments) = seven();
        let held = all_held(&sessions);
        let marks = vec![
            mark(1, 1, Late, 5, None),
            mark(2, 1, LeftEarly, 10, None),
            mark(3, 1, Late, 3, None),
            mark(4, 1, Absent, 0, None),
            present(5, 1),
            present(6, 1),
            present(7, 1),
        ];
        let rules = TrainingRules::default();
        let r = class_report(&rules, &sessions, &enrollments, &marks, &held);
        let t = &r.trainees[0];
        assert_eq!((t.attended, t.late, t.left_early, t.absent), (6, 2, 1, 1));
        assert_eq!(t.accountability.len(), 2);
        let absent = &t.accountability[0];
        assert_eq!(absent.rule, AccountabilityRule::UnexcusedAbsence);
        assert_eq!(absent.sessions.iter().map(|s| s.id).collect::<Vec<_>>(), vec![4]);
        assert_eq!(
            absent.explanation,
            "张三无故缺勤1次：2026年3月4日第一课次（08:30）《第4讲》，达到1次的问责标准"
        );
        let late = &t.accountability[1];
        assert_eq!(late.rule, AccountabilityRule::LateOrEarly);
        assert_eq!(late.sessions.iter().map(|s| s.id).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert!(
            late.explanation.contains("迟到2次、早退1次，合计3次"),
            "{}",
            late.explanation
        );
        assert!(late.rule_text.starts_with("迟到、早退累计达到3次予以问责"));
        assert_eq!(r.totals.flagged, 1);

        // Thresholds of 0 turn the rules off; higher thresholds are not reached.
        let off = TrainingRules {
            accountability_unexcused_absences: 0,
            accountability_late_or_early: 4,
            ..rules
        };
        let r = class_report(&off, &sessions, &enrollments, &marks, &held);
        assert!(r.trainees[0].accountability.is_empty());
        assert_eq!(r.totals.flagged, 0);
        // Excused leave is never a finding.
        let marks: Vec<Mark> = (1..=7).map(|i| mark(i, 1, Excused, 0, Some("公务"))).collect();
        let r = class_report(&TrainingRules::default(), &sessions, &enrollments, &marks, &held);
        assert!(r.trainees[0].accountability.is_empty());
        assert!(!r.trainees[0].completed);
    }

    #[test]
    fn tenths_round_half_up() {
        let rules = TrainingRules::default();
        assert_eq!(rules.tenths_of_hours(315), 70);
        assert_eq!(rules.tenths_of_hours(40), 9, "8.89 tenths");
        assert_eq!(rules.tenths_of_hours(2), 0, "0.44 tenths");
        assert_eq!(rules.tenths_of_hours(3), 1, "0.67 tenths");
        let forty = TrainingRules {
            minutes_per_class_hour: 40,
            ..TrainingRules::default()
        };
        assert_eq!(forty.tenths_of_hours(2), 1, "exactly 0.5 tenths rounds up");
        assert_eq!(forty.tenths_of_hours(6), 2, "1.5 tenths rounds up");
        assert_eq!(forty.tenths_of_hours(1), 0, "0.25 tenths");
        let sixty = TrainingRules {
            minutes_per_class_hour: 60,
            ..TrainingRules::default()
        };
        assert_eq!(sixty.tenths_of_hours(3), 1);
        assert_eq!(sixty.tenths_of_hours(9), 2, "1.5 tenths");
        assert_eq!(fmt_tenths(125), "12.5学时");
    }

    fn bulletin_fixture() -> (Vec<Session>, Vec<Enrollment>, Vec<Mark>) {
        let day = d(3, 4);
        let sessions = vec![
            session(11, day, 870, 90, Blue, "乡村振兴政策解读"),
            session(10, day, 510, 90, Red, "党章党规学习"),
            session(12, d(3, 5), 510, 90, Green, "廉洁警示教育"),
        ];
        let mut enrollments = vec![
            enroll(3, "王五", d(3, 1), None),
            enroll(1, "张三", d(3, 1), None),
            enroll(2, "李四", d(3, 1), None),
            enroll(4, "赵六", d(3, 5), None),
        ];
        enrollments.push(enroll(5, "孙七", d(3, 1), Some(d(3, 3))));
        let marks = vec![
            present(10, 1),
            mark(10, 2, Late, 10, Some("堵车")),
            present(10, 3),
            mark(11, 1, Absent, 0, None),
            mark(11, 2, Excused, 0, Some("村里防汛")),
            present(11, 3),
            present(12, 1),
        ];
        (sessions, enrollments, marks)
    }

    #[test]
    fn bulletin_counts_and_summary() {
        let (sessions, enrollments, marks) = bulletin_fixture();
        let b = daily_bulletin(
            &TrainingRules::default(),
            d(3, 4),
            &sessions,
            &enrollments,
            &marks,
            &all_held(&sessions),
        );
        assert_eq!(
            b.sessions.iter().map(|s| s.session.id).collect::<Vec<_>>(),
            vec![10, 11]
        );
        let first = &b.sessions[0].tally;
        assert_eq!((first.expected, first.present, first.late, first.absent), (3, 2, 1, 0));
        assert_eq!(first.attendance_bp, Some(10_000));
        assert_eq!(first.credited_minutes, 260);
        let second = &b.sessions[1].tally;
        assert_eq!(
            (second.expected, second.present, second.excused, second.absent),
            (3, 1, 1, 1)
        );
        assert_eq!(second.attendance_bp, Some(3_333));
        assert_eq!(b.totals.expected, 6);
        assert_eq!(b.totals.arrived(), 4);
        assert_eq!(
            b.summary,
            "2026年3月4日 共2课次，应到6人次，实到4人次（迟到1），请假1人次，缺勤1人次：张三（第二课次）。"
        );
        let e: Vec<(i64, i64, CheckStatus)> = b
            .entries
            .iter()
            .map(|e| (e.session.id, e.member_id, e.status))
            .collect();
        assert_eq!(
            e,
            vec![
                (10, 2, CheckStatus::Late),
                (11, 1, CheckStatus::Absent),
                (11, 2, CheckStatus::Excused),
            ]
        );
        assert_eq!(b.entries[0].missed_minutes, 10);
        assert_eq!(b.entries[2].reason.as_deref(), Some("村里防汛"));
        assert_eq!(
            b.entries[1].session.label,
            "2026年3月4日第二课次（14:30）《乡村振兴政策解读》"
        );
        assert!(b.issues.is_empty(), "{:?}", b.issues);
    }

    #[test]
    fn bulletin_reports_unmarked_and_pending() {
        let (sessions, enrollments, mut marks) = bulletin_fixture();
        marks.retain(|m| !(m.session_id == 11 && m.member_id == 3));
        // Session 11 is held (listed) but 王五 was not checked there.
        let b = daily_bulletin(
            &TrainingRules::default(),
            d(3, 4),
            &sessions,
            &enrollments,
            &marks,
            &[10, 11].into(),
        );
        assert_eq!(b.totals.unmarked, 1);
        assert!(
            b.summary
                .ends_with("缺勤1人次：张三（第二课次），未查岗1人次：王五（第二课次）。"),
            "{}",
            b.summary
        );

        // Nothing held on 3月5日 except by its mark; a day with no marks and not held is pending.
        let b = daily_bulletin(
            &TrainingRules::default(),
            d(3, 5),
            &sessions,
            &enrollments,
            &[],
            &BTreeSet::new(),
        );
        assert!(!b.sessions[0].held);
        assert_eq!(
            b.sessions[0].tally.expected, 4,
            "张三、李四、王五 and 赵六 (enrolled on the day)"
        );
        assert_eq!(b.totals.expected, 0);
        assert_eq!(b.summary, "2026年3月5日 共1课次，均未到查岗时间。");

        let b = daily_bulletin(
            &TrainingRules::default(),
            d(3, 6),
            &sessions,
            &enrollments,
            &marks,
            &BTreeSet::new(),
        );
        assert_eq!(b.summary, "2026年3月6日 无课次。");
        assert_eq!(b.sessions.len(), 0);
    }

    #[test]
    fn held_as_of_uses_session_end() {
        let (sessions, _, _) = bulletin_fixture();
        assert_eq!(held_as_of(&sessions, d(3, 4), 600), [10].into());
        assert_eq!(held_as_of(&sessions, d(3, 4), 599), BTreeSet::new());
        assert_eq!(held_as_of(&sessions, d(3, 5), 0), [10, 11].into());
    }

    #[test]
    fn ordering_does_not_depend_on_input_order() {
        let (sessions, enrollments, marks) = bulletin_fixture();
        let rules = TrainingRules::default();
        let held = all_held(&sessions);
        let b1 = daily_bulletin(&rules, d(3, 4), &sessions, &enrollments, &marks, &held);
        let r1 = class_report(&rules, &sessions, &enrollments, &marks, &held);
        let (mut s2, mut e2, mut m2) = (sessions.clone(), enrollments.clone(), marks.clone());
        s2.reverse();
        e2.reverse();
        m2.reverse();
        assert_eq!(b1, daily_bulletin(&rules, d(3, 4), &s2, &e2, &m2, &held));
        let r2 = class_report(&rules, &s2, &e2, &m2, &held);
        assert_eq!(r1, r2);
        assert_eq!(
            r1.trainees.iter().map(|t| t.member_id).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(
            r1.unchecked
                .iter()
                .map(|u| (u.session.id, u.member_id))
                .collect::<Vec<_>>(),
            vec![(12, 2), (12, 3), (12, 4)]
        );
    }

    #[test]
    fn class_report_categories_and_totals() {
        let (sessions, enrollments, marks) = bulletin_fixture();
        let r = class_report(
            &TrainingRules::default(),
            &sessions,
            &enrollments,
            &marks,
            &all_held(&sessions),
        );
        let c: Vec<(CourseCategory, u32, u64, u64)> = r
            .categories
            .iter()
            .map(|c| (c.category, c.sessions, c.scheduled_minutes, c.scheduled_tenths))
            .collect();
        assert_eq!(c, vec![(Red, 1, 90, 20), (Blue, 1, 90, 20), (Green, 1, 90, 20)]);
        assert_eq!(r.categories[0].share_bp, Some(3_333));
        let zhang = &r.trainees[0];
        assert_eq!(
            (
                zhang.scheduled_minutes,
                zhang.credited_minutes,
                zhang.class_hours_tenths
            ),
            (270, 180, 40)
        );
        assert_eq!(zhang.attendance_bp, Some(6_666));
        assert!(!zhang.completed);
        let sun = &r.trainees[4];
        assert_eq!(sun.sessions_expected, 0, "孙七 withdrew before the class's sessions");
        assert_eq!(sun.attendance_bp, None);
        assert_eq!(r.totals.trainees, 5);
        assert_eq!(r.totals.completed, 0);
        assert_eq!(r.totals.flagged, 1);
        assert_eq!(r.totals.unmarked, 3);
        // 张三 180/270 = 6666, 李四 (80+0+0)/270 = 2962, 王五 180/270 = 6666, 赵六 0/90 = 0;
        // 孙七 has nothing scheduled and is left out of the mean.
        assert_eq!(r.trainees[1].attendance_bp, Some(2_962));
        assert_eq!(r.totals.average_attendance_bp, Some((6_666 + 2_962 + 6_666) / 4));
        assert_eq!(
            r.summary,
            "培训班共3课次（已进行3课次），其中红色课堂1课次2.0学时、蓝色课堂1课次2.0学时、绿色课堂1课次2.0学时；\
             学员5人，准予结业0人，平均出勤率40.73%，需问责1人，未查岗3人次（每学时按45分钟计）。"
        );
    }

    #[test]
    fn data_issues_are_reported_not_fatal() {
        let (mut sessions, mut enrollments, mut marks) = bulletin_fixture();
        sessions.push(session(10, d(3, 9), 0, 10, Red, "重复"));
        enrollments.push(enroll(1, "张三（重复）", d(3, 1), None));
        marks.push(mark(10, 1, Late, 200, None)); // correction of 张三's mark at session 10, too long
        marks.push(mark(99, 1, Present, 0, None));
        marks.push(mark(10, 42, Present, 0, None));
        marks.push(mark(10, 5, Present, 0, None)); // 孙七 had withdrawn
        marks.push(mark(12, 2, Excused, 0, Some("  ")));
        let r = class_report(
            &TrainingRules::default(),
            &sessions,
            &enrollments,
            &marks,
            &all_held(&sessions),
        );
        let codes: Vec<&str> = r.issues.iter().map(|i| i.code).collect();
        assert_eq!(
            codes,
            vec![
                "duplicate_session",
                "duplicate_enrollment",
                "unknown_session",
                "unknown_member",
                "not_expected",
                "duplicate_mark",
                "missed_exceeds_session",
                "excused_without_reason",
            ]
        );
        assert_eq!(r.trainees[0].late, 1, "the later mark wins");
        assert_eq!(r.trainees[0].credited_minutes, 90, "late 200 of 90 minutes credits 0");
        assert_eq!(r.trainees.len(), 5);
        assert!(r.issues[4].message.contains("孙七"), "{}", r.issues[4].message);
    }

    #[test]
    fn annual_hours_verdicts() {
        let rules = TrainingRules::default();
        let v = annual_hours(
            &rules,
            &[
                AnnualInput {
                    member_id: 1,
                    name: "张三".into(),
                    credited_minutes: 32 * 45,
                    is_secretary: false,
                },
                AnnualInput {
                    member_id: 2,
                    name: "李四".into(),
                    credited_minutes: 32 * 45 - 1,
                    is_secretary: false,
                },
                AnnualInput {
                    member_id: 3,
                    name: "王书记".into(),
                    credited_minutes: 40 * 45,
                    is_secretary: true,
                },
            ],
        );
        assert!(v[0].met);
        assert_eq!(v[0].credited_tenths, 320);
        assert!(v[0].explanation.contains("第二十条"), "{}", v[0].explanation);
        assert!(!v[1].met, "judged on minutes, though 1439 minutes round to 32.0学时");
        assert_eq!(v[1].credited_tenths, 320);
        assert_eq!(v[1].shortfall_minutes, 1);
        assert!(
            v[1].explanation.contains("还差1分钟（约0.1学时）"),
            "{}",
            v[1].explanation
        );
        assert!(!v[2].met);
        assert_eq!((v[2].target_hours, v[2].shortfall_minutes), (56, 16 * 45));
        assert!(
            v[2].explanation.contains("基层党组织书记和班子成员每年不少于56学时"),
            "{}",
            v[2].explanation
        );
        assert!(
            v[2].explanation.contains("还差720分钟（约16.0学时）"),
            "{}",
            v[2].explanation
        );
    }

    #[test]
    fn rules_validation() {
        assert_eq!(TrainingRules::default().validate(), Ok(()));
        let bad = TrainingRules {
            completion_min_attendance_bp: 10_001,
            ..TrainingRules::default()
        };
        assert!(matches!(
            bad.validate(),
            Err(RulesError::BasisPoints { value: 10_001, .. })
        ));
        let full = TrainingRules {
            completion_min_attendance_bp: 10_000,
            ..TrainingRules::default()
        };
        assert_eq!(full.validate(), Ok(()));
        let zero = TrainingRules {
            minutes_per_class_hour: 0,
            ..TrainingRules::default()
        };
        assert_eq!(zero.validate(), Err(RulesError::MinutesPerClassHour(0)));
        assert_eq!(
            zero.validate().unwrap_err().to_string(),
            "每学时分钟数（minutes_per_class_hour）应在1到1440之间，现为0"
        );
        let no_target = TrainingRules {
            annual_member_hours_min: 0,
            ..TrainingRules::default()
        };
        assert!(matches!(no_target.validate(), Err(RulesError::ZeroHours { .. })));
        let inverted = TrainingRules {
            annual_secretary_hours_min: 20,
            ..TrainingRules::default()
        };
        assert_eq!(
            inverted.validate(),
            Err(RulesError::SecretaryBelowMember {
                secretary: 20,
                member: 32
            })
        );
    }

    #[test]
    fn rules_deserialize_with_defaults() {
        let map = vec![("minutes_per_class_hour", 60u32), ("accountability_late_or_early", 2)];
        let rules = TrainingRules::deserialize(MapDeserializer::<_, DeError>::new(map.into_iter())).unwrap();
        assert_eq!(rules.minutes_per_class_hour, 60);
        assert_eq!(rules.accountability_late_or_early, 2);
        assert_eq!(rules.annual_member_hours_min, 32);
        assert_eq!(rules.completion_min_attendance_bp, 8_571);
        let typo = vec![("minutes_per_hour", 60u32)];
        assert!(TrainingRules::deserialize(MapDeserializer::<_, DeError>::new(typo.into_iter())).is_err());
        let cat: Result<CourseCategory, DeError> = CourseCategory::deserialize("绿色课堂".into_deserializer());
        assert_eq!(cat, Ok(Green));
    }

    #[test]
    fn chinese_numerals() {
        let got: Vec<String> = [1, 2, 10, 11, 20, 21, 99, 100].iter().map(|&n| cn_number(n)).collect();
        assert_eq!(got, vec!["一", "二", "十", "十一", "二十", "二十一", "九十九", "100"]);
    }
}
