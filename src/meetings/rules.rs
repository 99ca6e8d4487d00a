//! The 三会一课 compliance engine and the quorum rules (DOMAIN.md §4). Pure: no DB, no HTTP.
//!
//! Given the organizations of a subtree, the meetings they held and a date range, [`evaluate`]
//! says for every org, every requirement that applies to it and every period of that requirement
//! whether the requirement was met, missed, is not due yet, or does not apply to that period —
//! and explains each verdict in Chinese: which period (with its dates), which meetings (or their
//! absence), which rule and where the rule comes from.
//!
//! The requirements are configuration ([`ComplianceRules`], deserializable from a county's TOML)
//! whose defaults cite the Party's published regulations.
//!
//! Decisions (each covered by a test):
//! - **Periods** are calendar months, quarters, half-years and years. Every period overlapping
//!   `[from, to]` is judged as a whole: a meeting counts for the period that contains its date,
//!   even when that date lies outside `[from, to]`. [`meeting_window`] gives the dates a caller
//!   has to load meetings for.
//! - **Creation.** An org created *after* a period's first day is [`Verdict::Exempt`] for that
//!   period (it did not exist for the whole of it), and is asked from the next period on. A
//!   branch set up on 2026-02-10 is first asked for March (monthly) and Q2 (quarterly). Periods
//!   that end before the org was created produce no finding at all.
//! - **Dissolution.** An org dissolved on or before a period's last day is Exempt for that
//!   period; periods starting after the dissolution date produce no finding at all.
//! - **Not due.** A period that is not met and has not finished — its last day is today or later
//!   — is [`Verdict::NotDue`]: a meeting held on the last day of the month still counts, so the
//!   month is not reported as missed on its last morning.
//! - **Meetings dated after `today` are ignored**: they are plans, not facts.
//! - Only meetings of the org itself count, never those of its parent, children or neighbours;
//!   a meeting of one kind never counts for another kind (a 组织生活会 held as a 党员大会 is
//!   recorded by the caller as two meetings if it is meant to count twice).
//!
//! Performance: meetings are indexed once by sorting `(org, kind, date, id)`; each org then finds
//! its meetings by binary search, so the cost is O(M log M + findings). See the ignored test
//! `province_year_volume` for the measured time at 100,000 orgs and 2,000,000 meetings.

use std::collections::HashMap;
use std::fmt::{self, Write as _};

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// A closed vocabulary: a stable code (API, database, configuration), a Chinese label (UI,
/// verdicts), parsing that accepts either (and a few aliases). Serialized as the code.
macro_rules! vocab {
    ($(#[$m:meta])* $name:ident {
        $($(#[$vm:meta])* $variant:ident = ($code:literal, $label:literal $(, $alias:literal)*)),+ $(,)?
    }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Stable snake_case code.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            /// Chinese label.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            /// Accepts the code, the Chinese label or a common alias (surrounding whitespace ignored).
            pub fn parse(s: &str) -> Option<$name> {
                match s.trim() {
                    $($code | $label $(| $alias)* => Some($name::$variant),)+
                    _ => None,
                }
            }
            /// The accepted labels, for error messages.
            pub fn labels() -> String {
                [$($label),+].join("、")
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::custom(format!(
                    "无效的取值“{}”，可选：{}", s, $name::labels())))
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

vocab!(
    /// The kinds of organizational life (组织生活) the engine knows.
    MeetingKind {
        /// 党支部党员大会.
        GeneralAssembly = ("general_assembly", "支部党员大会", "党员大会", "党支部党员大会", "支部大会"),
        /// 党支部委员会会议.
        Committee = ("committee", "支部委员会", "支委会", "党支部委员会会议", "支部委员会会议"),
        /// 党小组会.
        GroupMeeting = ("group_meeting", "党小组会", "党小组会议"),
        /// 党课.
        PartyLecture = ("party_lecture", "党课"),
        /// 主题党日.
        ThemeDay = ("theme_day", "主题党日", "支部主题党日", "主题党日活动"),
        /// 组织生活会.
        LifeMeeting = ("life_meeting", "组织生活会"),
        /// 民主生活会 (leadership bodies).
        DemocraticLifeMeeting = ("democratic_life_meeting", "民主生活会"),
        /// 民主评议党员.
        MemberReview = ("member_review", "民主评议党员"),
        /// 谈心谈话.
        HeartToHeart = ("heart_to_heart", "谈心谈话"),
    }
);

vocab!(
    /// How often a requirement recurs; periods are calendar periods.
    Frequency {
        Monthly = ("monthly", "每月", "月"),
        Quarterly = ("quarterly", "每季度", "季度", "每季"),
        HalfYearly = ("half_yearly", "每半年", "半年"),
        Yearly = ("yearly", "每年", "年"),
    }
);

vocab!(
    /// Which organizations a requirement applies to. The caller maps its org tree onto
    /// [`OrgKindForRules`]; see there.
    AppliesTo {
        /// 党支部, including joint (联合) and temporary (临时) branches.
        Branches = ("branches", "党支部"),
        /// 党支部 that have a 支部委员会 (a branch with 7+ full members elects one).
        BranchesWithCommittee = ("branches_with_committee", "设支部委员会的党支部"),
        /// 党小组.
        Groups = ("groups", "党小组"),
        /// 党委 / 党组 leadership bodies that hold 民主生活会.
        LeadershipBodies = ("leadership_bodies", "党委（党组）领导班子", "领导班子"),
    }
);

vocab!(
    /// The body whose quorum [`quorum`] checks.
    QuorumBody {
        GeneralAssembly = ("general_assembly", "支部党员大会", "党员大会"),
        Committee = ("committee", "支部委员会", "支委会"),
    }
);

impl MeetingKind {
    fn index(self) -> u8 {
        self as u8
    }
}

impl Frequency {
    fn index(self) -> usize {
        self as usize
    }
    fn step_months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::HalfYearly => 6,
            Frequency::Yearly => 12,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requirements: configuration with published defaults
// ---------------------------------------------------------------------------------------------

/// 《中国共产党支部工作条例（试行）》（2018）第十一条：党支部党员大会是党支部的议事决策机构，
/// 由全体党员参加，一般每季度召开1次。Default: 支部党员大会, quarterly, all branches.
pub const SOURCE_GENERAL_ASSEMBLY: &str = "《中国共产党支部工作条例（试行）》第十一条：党支部党员大会一般每季度召开1次";
/// 《中国共产党支部工作条例（试行）》第十二条：党支部委员会会议一般每月召开1次。
/// Default: 支部委员会, monthly, branches that have a committee.
pub const SOURCE_COMMITTEE: &str = "《中国共产党支部工作条例（试行）》第十二条：党支部委员会会议一般每月召开1次";
/// 《中国共产党支部工作条例（试行）》第十三条：党小组会一般每月召开1次。Default: 党小组会, monthly, groups.
pub const SOURCE_GROUP_MEETING: &str = "《中国共产党支部工作条例（试行）》第十三条：党小组会一般每月召开1次";
/// 《中国共产党支部工作条例（试行）》第十六条 makes 按期上党课 part of 三会一课 without a number;
/// once a quarter is the rule the provinces publish (DOMAIN.md §4: "at least quarterly by local
/// rule"). Default: 党课, quarterly, all branches.
pub const SOURCE_PARTY_LECTURE: &str =
    "《中国共产党支部工作条例（试行）》第十六条：党支部应当组织党员按期上党课；党课一般每季度1次（地方规定）";
/// 《中国共产党支部工作条例（试行）》第十六条：党支部每月相对固定1天开展主题党日；the practice
/// comes from 《关于推进“两学一做”学习教育常态化制度化的意见》(2017) and the local 主题党日 rules in the
/// seeds (“3+2”, “6+”, “四定三评”). Default: 主题党日, monthly, all branches.
pub const SOURCE_THEME_DAY: &str =
    "《中国共产党支部工作条例（试行）》第十六条：党支部每月相对固定1天开展主题党日（另见《关于推进“两学一做”学习教育常态化制度化的意见》及各地主题党日制度）";
/// 《中国共产党支部工作条例（试行）》第十七条：党支部每年至少召开1次组织生活会。
/// Default: 组织生活会, yearly, all branches.
pub const SOURCE_LIFE_MEETING: &str = "《中国共产党支部工作条例（试行）》第十七条：党支部每年至少召开1次组织生活会";
/// 《中国共产党支部工作条例（试行）》第十八条：党支部一般每年开展1次民主评议党员。
/// Default: 民主评议党员, yearly, all branches.
pub const SOURCE_MEMBER_REVIEW: &str = "《中国共产党支部工作条例（试行）》第十八条：党支部一般每年开展1次民主评议党员";
/// 《中国共产党支部工作条例（试行）》第十九条：党支部委员之间、党支部委员和党员之间、党员和党员之间，
/// 每年谈心谈话一般不少于1次。Default: 谈心谈话, yearly, all branches (the branch records at least one).
pub const SOURCE_HEART_TO_HEART: &str =
    "《中国共产党支部工作条例（试行）》第十九条：党支部委员之间、党支部委员和党员之间、党员和党员之间，每年谈心谈话一般不少于1次";
/// 《县以上党和国家机关党员领导干部民主生活会若干规定》：民主生活会一般每年召开1次
/// (also 《关于新形势下党内政治生活的若干准则》). Default: 民主生活会, yearly, leadership bodies.
pub const SOURCE_DEMOCRATIC_LIFE_MEETING: &str =
    "《县以上党和国家机关党员领导干部民主生活会若干规定》：民主生活会一般每年召开1次";

/// The quorum rule for a 支部党员大会 vote, shown in [`QuorumCheck::explanation`].
pub const SOURCE_QUORUM_GENERAL_ASSEMBLY: &str =
    "《中国共产党支部工作条例（试行）》第十一条：表决必须有半数以上有表决权的党员到会方可进行，赞成人数超过应到会有表决权的党员的半数为通过；预备党员没有表决权（《中国共产党章程》第七条）";
/// The quorum rule for a 支部委员会 meeting, shown in [`QuorumCheck::explanation`].
pub const SOURCE_QUORUM_COMMITTEE: &str =
    "《中国共产党支部工作条例（试行）》第十二条：党支部委员会会议须有半数以上委员到会方可进行";

fn default_min_count() -> u32 {
    1
}

/// One required form of organizational life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub kind: MeetingKind,
    pub frequency: Frequency,
    /// Meetings required per period; 1 when omitted.
    #[serde(default = "default_min_count")]
    pub min_count: u32,
    pub applies_to: AppliesTo,
    /// The citation shown in every verdict of this requirement.
    pub source: String,
}

impl Requirement {
    pub fn new(kind: MeetingKind, frequency: Frequency, applies_to: AppliesTo, source: &str) -> Self {
        Requirement { kind, frequency, min_count: 1, applies_to, source: source.to_string() }
    }
}

/// The requirements a county applies. `Default` gives the published defaults (see the
/// `SOURCE_*` constants); a county overrides them in TOML, e.g.
///
/// ```toml
/// [[requirements]]
/// kind = "党课"            # code or label
/// frequency = "monthly"
/// min_count = 1            # optional, 1 by default
/// applies_to = "branches"
/// source = "某县《关于规范党支部组织生活的通知》：党课每月1次"
/// ```
///
/// A document without `requirements` gets the defaults; a document with it replaces the whole
/// list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComplianceRules {
    pub requirements: Vec<Requirement>,
}

impl Default for ComplianceRules {
    /// 《中国共产党支部工作条例（试行）》第十一至十三条、第十六至十九条 and
    /// 《县以上党和国家机关党员领导干部民主生活会若干规定》; each entry's source is the
    /// `SOURCE_*` constant of the same name.
    fn default() -> Self {
        use AppliesTo::*;
        use Frequency::*;
        use MeetingKind as K;
        ComplianceRules {
            requirements: vec![
                Requirement::new(K::GeneralAssembly, Quarterly, Branches, SOURCE_GENERAL_ASSEMBLY),
                Requirement::new(K::Committee, Monthly, BranchesWithCommittee, SOURCE_COMMITTEE),
                Requirement::new(K::GroupMeeting, Monthly, Groups, SOURCE_GROUP_MEETING),
                Requirement::new(K::PartyLecture, Quarterly, Branches, SOURCE_PARTY_LECTURE),
                Requirement::new(K::ThemeDay, Monthly, Branches, SOURCE_THEME_DAY),
                Requirement::new(K::LifeMeeting, Yearly, Branches, SOURCE_LIFE_MEETING),
                Requirement::new(K::MemberReview, Yearly, Branches, SOURCE_MEMBER_REVIEW),
                Requirement::new(K::HeartToHeart, Yearly, Branches, SOURCE_HEART_TO_HEART),
                Requirement::new(K::DemocraticLifeMeeting, Yearly, LeadershipBodies, SOURCE_DEMOCRATIC_LIFE_MEETING),
            ],
        }
    }
}

/// A configuration that cannot be applied as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("{kind}的要求没有注明依据（source 为空）")]
    MissingSource { kind: MeetingKind },
    #[error("{kind}的要求次数为0，不构成要求")]
    ZeroCount { kind: MeetingKind },
    #[error("{kind}（{frequency}，适用于{applies_to}）重复配置")]
    Duplicate { kind: MeetingKind, frequency: Frequency, applies_to: AppliesTo },
}

impl ComplianceRules {
    /// Checks a county's configuration: every requirement cites a source, asks for at least one
    /// meeting, and is not configured twice for the same orgs and frequency.
    pub fn validate(&self) -> Result<(), RulesError> {
        let mut seen = Vec::with_capacity(self.requirements.len());
        for r in &self.requirements {
            if r.source.trim().is_empty() {
                return Err(RulesError::MissingSource { kind: r.kind });
            }
            if r.min_count == 0 {
                return Err(RulesError::ZeroCount { kind: r.kind });
            }
            let key = (r.kind, r.frequency, r.applies_to);
            if seen.contains(&key) {
                return Err(RulesError::Duplicate { kind: r.kind, frequency: r.frequency, applies_to: r.applies_to });
            }
            seen.push(key);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------------------------

/// What the rules need to know about an org's kind. The caller maps its tree: 党支部 (regular,
/// joint, temporary, functional) → `Branch`, with `has_committee` when it has a 支部委员会;
/// 党小组 → `Group`; 党委/党组 whose leadership holds 民主生活会 → `Leadership`; anything else
/// (党总支, 党工委 …) → `Other`, which no default requirement applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrgKindForRules {
    Branch { has_committee: bool },
    Group,
    Leadership,
    Other,
}

impl OrgKindForRules {
    fn is_subject_to(self, a: AppliesTo) -> bool {
        match (a, self) {
            (AppliesTo::Branches, OrgKindForRules::Branch { .. }) => true,
            (AppliesTo::BranchesWithCommittee, OrgKindForRules::Branch { has_committee }) => has_committee,
            (AppliesTo::Groups, OrgKindForRules::Group) => true,
            (AppliesTo::LeadershipBodies, OrgKindForRules::Leadership) => true,
            _ => false,
        }
    }
}

/// An org's life span as the rules see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgLife {
    pub org_id: i64,
    pub kind: OrgKindForRules,
    pub created_on: NaiveDate,
    /// The day it was dissolved (撤销), if it was.
    pub dissolved_on: Option<NaiveDate>,
}

/// A meeting that took place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldMeeting {
    pub id: i64,
    pub org_id: i64,
    pub kind: MeetingKind,
    pub held_on: NaiveDate,
}

/// A calendar period, both ends inclusive.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// "2026年3月", "2026年第一季度", "2026年上半年", "2026年".
    pub label: String,
}

/// The verdict on one requirement for one org and one period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// Enough meetings were held; all meetings of the kind held in the period, by date.
    Met { meeting_ids: Vec<i64> },
    /// The period is over and not enough meetings were held.
    Missed,
    /// The period has not finished yet and is not met yet: shown as upcoming.
    NotDue,
    /// The org did not exist for the whole period.
    Exempt,
}

impl Verdict {
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Met { .. } => "met",
            Verdict::Missed => "missed",
            Verdict::NotDue => "not_due",
            Verdict::Exempt => "exempt",
        }
    }
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Met { .. } => "已落实",
            Verdict::Missed => "未落实",
            Verdict::NotDue => "未到期",
            Verdict::Exempt => "不考核",
        }
    }
}

/// One verdict with its explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub org_id: i64,
    pub requirement: MeetingKind,
    pub frequency: Frequency,
    pub period: Period,
    pub verdict: Verdict,
    /// Chinese; names the period and its dates, the meetings (or their absence) and the rule.
    pub explanation: String,
}

/// Verdict counts for one org.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub org_id: i64,
    pub met: u32,
    pub missed: u32,
    pub not_due: u32,
    pub exempt: u32,
}

impl OrgSummary {
    /// Periods that were due (met + missed): the denominator of a compliance rate.
    pub fn due(&self) -> u32 {
        self.met + self.missed
    }
}

// ---------------------------------------------------------------------------------------------
// Periods
// ---------------------------------------------------------------------------------------------

const QUARTERS: [&str; 4] = ["一", "二", "三", "四"];

fn period_start(f: Frequency, d: NaiveDate) -> NaiveDate {
    let m = d.month();
    let first = match f {
        Frequency::Monthly => m,
        Frequency::Quarterly => (m - 1) / 3 * 3 + 1,
        Frequency::HalfYearly => {
            if m <= 6 {
                1
            } else {
                7
            }
        }
        Frequency::Yearly => 1,
    };
    d.with_day(1).and_then(|d| d.with_month(first)).expect("the first day of a month of a valid date is valid")
}

fn period_label(f: Frequency, start: NaiveDate) -> String {
    let (y, m) = (start.year(), start.month());
    match f {
        Frequency::Monthly => format!("{y}年{m}月"),
        Frequency::Quarterly => format!("{y}年第{}季度", QUARTERS[((m - 1) / 3) as usize]),
        Frequency::HalfYearly => format!("{y}年{}", if m <= 6 { "上半年" } else { "下半年" }),
        Frequency::Yearly => format!("{y}年"),
    }
}

/// Periods of `f` overlapping `[from, to]` (calendar months / quarters / half-years / years),
/// in order. Empty when `from > to`.
pub fn periods(f: Frequency, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
    let mut out = Vec::new();
    if from > to {
        return out;
    }
    let mut start = period_start(f, from);
    while start <= to {
        let Some(next) = start.checked_add_months(Months::new(f.step_months())) else { break };
        let Some(end) = next.pred_opt() else { break };
        out.push(Period { start, end, label: period_label(f, start) });
        start = next;
    }
    out
}

/// The dates a caller has to load meetings for so that [`evaluate`] sees every meeting of every
/// period overlapping `[from, to]`: from the first day of the earliest period to the last day
/// of the latest. `None` when no period overlaps (no requirements, or `from > to`).
pub fn meeting_window(rules: &ComplianceRules, from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let mut window: Option<(NaiveDate, NaiveDate)> = None;
    for f in Frequency::ALL {
        if !rules.requirements.iter().any(|r| r.frequency == *f) {
            continue;
        }
        let ps = periods(*f, from, to);
        if let (Some(first), Some(last)) = (ps.first(), ps.last()) {
            window = Some(match window {
                None => (first.start, last.end),
                Some((a, b)) => (a.min(first.start), b.max(last.end)),
            });
        }
    }
    window
}

// ---------------------------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------------------------

/// `(org_id, kind, held_on, id)`, sorted: one org's meetings are contiguous, and within them
/// one kind's, by date.
type Entry = (i64, u8, NaiveDate, i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Raw {
    Met,
    Missed,
    NotDue,
    ExemptCreated,
    ExemptDissolved,
}

struct PeriodCtx {
    period: Period,
    /// "2026年第一季度（2026-01-01至2026-03-31）"
    head: String,
}

struct ReqCtx {
    /// "，要求每季度至少1次；《…》…"
    tail: String,
}

/// Pushes `YYYY-MM-DD` without going through the formatting machinery (it runs per finding).
fn push_date(s: &mut String, d: NaiveDate) {
    let y = d.year();
    if (0..=9999).contains(&y) {
        let (y, m, dd) = (y as u32, d.month(), d.day());
        for digit in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10] {
            s.push(char::from(b'0' + digit as u8));
        }
        s.push('-');
        s.push(char::from(b'0' + (m / 10) as u8));
        s.push(char::from(b'0' + (m % 10) as u8));
        s.push('-');
        s.push(char::from(b'0' + (dd / 10) as u8));
        s.push(char::from(b'0' + (dd % 10) as u8));
    } else {
        let _ = write!(s, "{d}");
    }
}

fn period_ctxs(f: Frequency, from: NaiveDate, to: NaiveDate) -> Vec<PeriodCtx> {
    periods(f, from, to)
        .into_iter()
        .map(|period| {
            let mut head = String::with_capacity(period.label.len() + 40);
            head.push_str(&period.label);
            head.push('（');
            push_date(&mut head, period.start);
            head.push('至');
            push_date(&mut head, period.end);
            head.push('）');
            PeriodCtx { period, head }
        })
        .collect()
}

/// At most this many dates are listed in an explanation; `meeting_ids` always has them all.
const LISTED_DATES: usize = 5;

fn push_dates(s: &mut String, held: &[Entry]) {
    s.push('（');
    for (i, e) in held.iter().take(LISTED_DATES).enumerate() {
        if i > 0 {
            s.push('、');
        }
        push_date(s, e.2);
    }
    if held.len() > LISTED_DATES {
        s.push('等');
    }
    s.push('）');
}

fn explain(org: &OrgLife, req: &Requirement, rc: &ReqCtx, pc: &PeriodCtx, raw: Raw, held: &[Entry]) -> String {
    let kind = req.kind.label();
    let mut s = String::with_capacity(pc.head.len() + rc.tail.len() + kind.len() + 96);
    s.push_str(&pc.head);
    let n = held.len();
    match raw {
        Raw::Met => {
            let _ = write!(s, "已召开{kind}{n}次");
            push_dates(&mut s, held);
        }
        Raw::Missed if n == 0 => {
            s.push_str("未召开");
            s.push_str(kind);
        }
        Raw::Missed => {
            let _ = write!(s, "仅召开{kind}{n}次");
            push_dates(&mut s, held);
        }
        Raw::NotDue => {
            if n == 0 {
                s.push_str("尚未召开");
                s.push_str(kind);
            } else {
                let _ = write!(s, "已召开{kind}{n}次");
                push_dates(&mut s, held);
                let _ = write!(s, "，尚差{}次", req.min_count as usize - n);
            }
            s.push_str("，本期截至");
            push_date(&mut s, pc.period.end);
            s.push_str("，尚未到期");
        }
        Raw::ExemptCreated | Raw::ExemptDissolved => {
            let _ = write!(s, "不考核{kind}：该组织于");
            if raw == Raw::ExemptCreated {
                push_date(&mut s, org.created_on);
                s.push_str("成立");
            } else {
                push_date(&mut s, org.dissolved_on.unwrap_or(pc.period.end));
                s.push_str("撤销");
            }
            s.push_str("，未存续整个期间");
            if n > 0 {
                let _ = write!(s, "，本期内曾召开{n}次");
                push_dates(&mut s, held);
            }
        }
    }
    s.push_str(&rc.tail);
    s
}

/// Walks every (org, applicable requirement, period) and hands the raw verdict and the meetings
/// of that period to `sink`. Shared by [`evaluate`] and [`evaluate_summary`].
fn walk<F>(
    rules: &ComplianceRules,
    orgs: &[OrgLife],
    meetings: &[HeldMeeting],
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    mut sink: F,
) where
    F: FnMut(&OrgLife, usize, &PeriodCtx, Raw, &[Entry]),
{
    let Some((lo, hi)) = meeting_window(rules, from, to) else { return };
    let hi = hi.min(today);
    let per_freq: Vec<Vec<PeriodCtx>> = Frequency::ALL.iter().map(|f| period_ctxs(*f, from, to)).collect();

    let mut wanted = [false; 16];
    for r in &rules.requirements {
        wanted[r.kind.index() as usize] = true;
    }
    let mut index: Vec<Entry> = meetings
        .iter()
        .filter(|m| m.held_on >= lo && m.held_on <= hi && wanted[m.kind.index() as usize])
        .map(|m| (m.org_id, m.kind.index(), m.held_on, m.id))
        .collect();
    index.sort_unstable();

    for org in orgs {
        let start = index.partition_point(|e| e.0 < org.org_id);
        let of_org = &index[start..];
        let of_org = &of_org[..of_org.partition_point(|e| e.0 == org.org_id)];
        for (ri, req) in rules.requirements.iter().enumerate() {
            if !org.kind.is_subject_to(req.applies_to) {
                continue;
            }
            let k = req.kind.index();
            let a = of_org.partition_point(|e| e.1 < k);
            let of_kind = &of_org[a..];
            let of_kind = &of_kind[..of_kind.partition_point(|e| e.1 == k)];
            let mut cur = 0;
            for pc in &per_freq[req.frequency.index()] {
                let p = &pc.period;
                if org.created_on > p.end {
                    continue; // did not exist yet: not asked
                }
                if org.dissolved_on.is_some_and(|d| d < p.start) {
                    break; // dissolved before: not asked any more
                }
                while cur < of_kind.len() && of_kind[cur].2 < p.start {
                    cur += 1;
                }
                let begin = cur;
                while cur < of_kind.len() && of_kind[cur].2 <= p.end {
                    cur += 1;
                }
                let held = &of_kind[begin..cur];
                let raw = if org.created_on > p.start {
                    Raw::ExemptCreated
                } else if org.dissolved_on.is_some_and(|d| d <= p.end) {
                    Raw::ExemptDissolved
                } else if held.len() as u64 >= u64::from(req.min_count) {
                    Raw::Met
                } else if p.end >= today {
                    Raw::NotDue
                } else {
                    Raw::Missed
                };
                sink(org, ri, pc, raw, held);
            }
        }
    }
}

/// For every org and every applicable requirement, every period overlapping `[from, to]`: a
/// [`Finding`], ordered by org (as given), requirement (as configured) and period.
///
/// `today` decides [`Verdict::NotDue`]: a period that is not met and whose last day is today or
/// later is not due yet. See the module documentation for creation, dissolution and which
/// meetings count.
pub fn evaluate(
    rules: &ComplianceRules,
    orgs: &[OrgLife],
    meetings: &[HeldMeeting],
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Vec<Finding> {
    let req_ctx: Vec<ReqCtx> = rules
        .requirements
        .iter()
        .map(|r| ReqCtx { tail: format!("，要求{}至少{}次；{}", r.frequency.label(), r.min_count, r.source) })
        .collect();
    let per_freq_len: Vec<usize> = Frequency::ALL.iter().map(|f| periods(*f, from, to).len()).collect();
    let capacity: usize = orgs
        .iter()
        .map(|o| {
            rules
                .requirements
                .iter()
                .filter(|r| o.kind.is_subject_to(r.applies_to))
                .map(|r| per_freq_len[r.frequency.index()])
                .sum::<usize>()
        })
        .sum();
    let mut out = Vec::with_capacity(capacity);
    walk(rules, orgs, meetings, from, to, today, |org, ri, pc, raw, held| {
        let req = &rules.requirements[ri];
        let verdict = match raw {
            Raw::Met => Verdict::Met { meeting_ids: held.iter().map(|e| e.3).collect() },
            Raw::Missed => Verdict::Missed,
            Raw::NotDue => Verdict::NotDue,
            Raw::ExemptCreated | Raw::ExemptDissolved => Verdict::Exempt,
        };
        out.push(Finding {
            org_id: org.org_id,
            requirement: req.kind,
            frequency: req.frequency,
            period: pc.period.clone(),
            verdict,
            explanation: explain(org, req, &req_ctx[ri], pc, raw, held),
        });
    });
    out
}

fn summary_slot<'a>(out: &'a mut Vec<OrgSummary>, at: &mut HashMap<i64, usize>, org_id: i64) -> &'a mut OrgSummary {
    let i = *at.entry(org_id).or_insert_with(|| {
        out.push(OrgSummary { org_id, ..OrgSummary::default() });
        out.len() - 1
    });
    &mut out[i]
}

/// Summary per org: counts of met / missed / not due / exempt, in the order orgs first appear.
pub fn summarize(findings: &[Finding]) -> Vec<OrgSummary> {
    let mut out = Vec::new();
    let mut at = HashMap::new();
    for f in findings {
        let s = summary_slot(&mut out, &mut at, f.org_id);
        match f.verdict {
            Verdict::Met { .. } => s.met += 1,
            Verdict::Missed => s.missed += 1,
            Verdict::NotDue => s.not_due += 1,
            Verdict::Exempt => s.exempt += 1,
        }
    }
    out
}

/// `summarize(&evaluate(..))` without building the findings and their explanations: for
/// dashboards over a large subtree.
pub fn evaluate_summary(
    rules: &ComplianceRules,
    orgs: &[OrgLife],
    meetings: &[HeldMeeting],
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Vec<OrgSummary> {
    let mut out = Vec::with_capacity(orgs.len());
    let mut at = HashMap::with_capacity(orgs.len());
    walk(rules, orgs, meetings, from, to, today, |org, _, _, raw, _| {
        let s = summary_slot(&mut out, &mut at, org.org_id);
        match raw {
            Raw::Met => s.met += 1,
            Raw::Missed => s.missed += 1,
            Raw::NotDue => s.not_due += 1,
            Raw::ExemptCreated | Raw::ExemptDissolved => s.exempt += 1,
        }
    });
    out
}

// ---------------------------------------------------------------------------------------------
// Quorum
// ---------------------------------------------------------------------------------------------

/// The outcome of a quorum check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuorumCheck {
    pub body: QuorumBody,
    /// Those entitled to attend: for a 支部党员大会 the members with a vote (正式党员; 预备党员
    /// have none), for a 支部委员会 the committee members.
    pub entitled: u32,
    pub present: u32,
    pub met: bool,
    /// The smallest number that is more than half of `entitled`.
    pub needed: u32,
    /// Chinese, with the counts and the rule.
    pub explanation: String,
}

/// The smallest number that is more than half of `n`.
fn more_than_half(n: u32) -> u32 {
    n / 2 + 1
}

/// 支部党员大会: a vote may be held only when more than half of the members with a vote
/// (正式党员; 预备党员 have no vote) attend (《中国共产党支部工作条例（试行）》第十一条, 党章第七条).
/// 支委会: more than half of the committee members attend (第十二条).
///
/// Exactly half is not enough. Nobody entitled (0) is never a quorum. More present than
/// entitled is not a quorum either: the counts are inconsistent (usually 预备党员 counted as
/// voters) and must be corrected before a vote is recorded as valid.
pub fn quorum(body: QuorumBody, entitled: u32, present: u32) -> QuorumCheck {
    let needed = more_than_half(entitled);
    let (who, unit, source) = match body {
        QuorumBody::GeneralAssembly => ("应到会有表决权的党员", "表决", SOURCE_QUORUM_GENERAL_ASSEMBLY),
        QuorumBody::Committee => ("支部委员会委员", "会议", SOURCE_QUORUM_COMMITTEE),
    };
    let (met, verdict) = if entitled == 0 {
        (false, format!("{who}为0人，无法确定到会人数是否过半，{unit}不能进行"))
    } else if present > entitled {
        (false, format!("{who}{entitled}人，实到{present}人，实到人数多于应到人数，请核对人数后再{unit}"))
    } else if present >= needed {
        (true, format!("{who}{entitled}人，实到{present}人，超过半数（至少{needed}人），{unit}可以进行"))
    } else {
        (false, format!("{who}{entitled}人，实到{present}人，未超过半数（至少需{needed}人），{unit}不能进行"))
    };
    let note = if body == QuorumBody::GeneralAssembly { "（预备党员没有表决权，不计入）" } else { "" };
    QuorumCheck { body, entitled, present, met, needed, explanation: format!("{verdict}{note}；{source}") }
}

/// True when `in_favour` is more than half of `entitled`: the rule for decisions that need more
/// than half of those entitled to agree (支部党员大会 resolutions, 《中国共产党支部工作条例（试行）》
/// 第十一条; also 四议两公开). False when nobody is entitled or when `in_favour > entitled`
/// (inconsistent counts).
pub fn majority_of(entitled: u32, in_favour: u32) -> bool {
    entitled > 0 && in_favour <= entitled && u64::from(in_favour) * 2 > u64::from(entitled)
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn branch(org_id: i64, has_committee: bool) -> OrgLife {
        OrgLife {
            org_id,
            kind: OrgKindForRules::Branch { has_committee },
            created_on: d(2000, 1, 1),
            dissolved_on: None,
        }
    }

    fn meeting(id: i64, org_id: i64, kind: MeetingKind, held_on: NaiveDate) -> HeldMeeting {
        HeldMeeting { id, org_id, kind, held_on }
    }

    fn of(findings: &[Finding], org_id: i64, kind: MeetingKind) -> Vec<Finding> {
        findings.iter().filter(|f| f.org_id == org_id && f.requirement == kind).cloned().collect()
    }

    fn labels(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.period.label.as_str()).collect()
    }

    fn year_2026(orgs: &[OrgLife], meetings: &[HeldMeeting], today: NaiveDate) -> Vec<Finding> {
        evaluate(&ComplianceRules::default(), orgs, meetings, d(2026, 1, 1), d(2026, 12, 31), today)
    }

    #[test]
    fn periods_across_quarter_and_year_boundaries() {
        let m = periods(Frequency::Monthly, d(2025, 11, 15), d(2026, 2, 10));
        let l: Vec<_> = m.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(l, ["2025年11月", "2025年12月", "2026年1月", "2026年2月"]);
        assert_eq!((m[0].start, m[0].end), (d(2025, 11, 1), d(2025, 11, 30)));
        assert_eq!((m[1].start, m[1].end), (d(2025, 12, 1), d(2025, 12, 31)));
        assert_eq!((m[3].start, m[3].end), (d(2026, 2, 1), d(2026, 2, 28)));

        let q = periods(Frequency::Quarterly, d(2025, 11, 15), d(2026, 2, 10));
        let l: Vec<_> = q.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(l, ["2025年第四季度", "2026年第一季度"]);
        assert_eq!((q[0].start, q[0].end), (d(2025, 10, 1), d(2025, 12, 31)));
        assert_eq!((q[1].start, q[1].end), (d(2026, 1, 1), d(2026, 3, 31)));

        let h = periods(Frequency::HalfYearly, d(2025, 11, 15), d(2026, 7, 1));
        let l: Vec<_> = h.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(l, ["2025年下半年", "2026年上半年", "2026年下半年"]);
        assert_eq!((h[1].start, h[1].end), (d(2026, 1, 1), d(2026, 6, 30)));

        let y = periods(Frequency::Yearly, d(2025, 11, 15), d(2026, 2, 10));
        assert_eq!(labels_of(&y), ["2025年", "2026年"]);
        assert_eq!((y[1].start, y[1].end), (d(2026, 1, 1), d(2026, 12, 31)));

        // A single day, a leap February, and an empty range.
        let one = periods(Frequency::Monthly, d(2028, 2, 29), d(2028, 2, 29));
        assert_eq!((one.len(), one[0].end), (1, d(2028, 2, 29)));
        assert!(periods(Frequency::Quarterly, d(2026, 5, 1), d(2026, 4, 30)).is_empty());
        assert_eq!(periods(Frequency::Quarterly, d(2026, 1, 1), d(2026, 12, 31)).len(), 4);
    }

    fn labels_of(ps: &[Period]) -> Vec<&str> {
        ps.iter().map(|p| p.label.as_str()).collect()
    }

    #[test]
    fn meeting_window_covers_whole_periods() {
        let rules = ComplianceRules::default();
        assert_eq!(meeting_window(&rules, d(2026, 2, 10), d(2026, 2, 20)), Some((d(2026, 1, 1), d(2026, 12, 31))));
        let monthly_only = ComplianceRules { requirements: vec![rules.requirements[1].clone()] };
        assert_eq!(meeting_window(&monthly_only, d(2026, 2, 10), d(2026, 3, 5)), Some((d(2026, 2, 1), d(2026, 3, 31))));
        assert_eq!(meeting_window(&ComplianceRules { requirements: vec![] }, d(2026, 1, 1), d(2026, 2, 1)), None);
    }

    #[test]
    fn monthly_committee_missing_one_month_is_missed_with_explanation() {
        let org = branch(7, true);
        let meetings: Vec<_> = (1..=12u32)
            .filter(|m| *m != 5)
            .map(|m| meeting(100 + i64::from(m), 7, MeetingKind::Committee, d(2026, m, 15)))
            .collect();
        let findings = year_2026(&[org], &meetings, d(2027, 1, 10));
        let committee = of(&findings, 7, MeetingKind::Committee);
        assert_eq!(committee.len(), 12);
        let missed: Vec<_> = committee.iter().filter(|f| f.verdict == Verdict::Missed).collect();
        assert_eq!(missed.len(), 1);
        let may = missed[0];
        assert_eq!(may.period.label, "2026年5月");
        assert_eq!(may.frequency, Frequency::Monthly);
        assert_eq!(
            may.explanation,
            "2026年5月（2026-05-01至2026-05-31）未召开支部委员会，要求每月至少1次；\
             《中国共产党支部工作条例（试行）》第十二条：党支部委员会会议一般每月召开1次"
        );
        let june = &committee[5];
        assert_eq!(june.verdict, Verdict::Met { meeting_ids: vec![106] });
        assert!(june.explanation.starts_with("2026年6月（2026-06-01至2026-06-30）已召开支部委员会1次（2026-06-15）"));
        // The other requirements of a branch with a committee were all asked, and are missed.
        let ga = of(&findings, 7, MeetingKind::GeneralAssembly);
        assert_eq!(labels(&ga), ["2026年第一季度", "2026年第二季度", "2026年第三季度", "2026年第四季度"]);
        assert!(ga.iter().all(|f| f.verdict == Verdict::Missed));
        assert_eq!(
            ga[0].explanation,
            "2026年第一季度（2026-01-01至2026-03-31）未召开支部党员大会，要求每季度至少1次；\
             《中国共产党支部工作条例（试行）》第十一条：党支部党员大会一般每季度召开1次"
        );
        assert_eq!(findings.len(), 4 + 12 + 4 + 12 + 1 + 1 + 1);
    }

    #[test]
    fn meeting_counts_for_the_period_containing_its_date() {
        let meetings = [
            meeting(1, 3, MeetingKind::GeneralAssembly, d(2026, 3, 31)),
            meeting(2, 3, MeetingKind::GeneralAssembly, d(2026, 4, 1)),
        ];
        let ga = of(&year_2026(&[branch(3, false)], &meetings, d(2027, 1, 1)), 3, MeetingKind::GeneralAssembly);
        assert_eq!(ga[0].verdict, Verdict::Met { meeting_ids: vec![1] });
        assert_eq!(ga[1].verdict, Verdict::Met { meeting_ids: vec![2] });
        assert_eq!(ga[2].verdict, Verdict::Missed);
        assert_eq!(ga[3].verdict, Verdict::Missed);

        // Asked only for February, the quarter is still judged on all of its meetings.
        let q1 = evaluate(
            &ComplianceRules::default(),
            &[branch(3, false)],
            &meetings,
            d(2026, 2, 1),
            d(2026, 2, 28),
            d(2027, 1, 1),
        );
        let ga = of(&q1, 3, MeetingKind::GeneralAssembly);
        assert_eq!(ga.len(), 1);
        assert_eq!(ga[0].verdict, Verdict::Met { meeting_ids: vec![1] });
    }

    #[test]
    fn org_created_mid_period_is_exempt_then_asked() {
        let mut org = branch(5, true);
        org.created_on = d(2026, 2, 10);
        let meetings = [meeting(1, 5, MeetingKind::Committee, d(2026, 2, 20))];
        let findings = year_2026(&[org], &meetings, d(2027, 1, 1));

        let committee = of(&findings, 5, MeetingKind::Committee);
        assert_eq!(committee[0].period.label, "2026年2月"); // January: not asked at all
        assert_eq!(committee[0].verdict, Verdict::Exempt);
        assert_eq!(
            committee[0].explanation,
            "2026年2月（2026-02-01至2026-02-28）不考核支部委员会：该组织于2026-02-10成立，未存续整个期间，\
             本期内曾召开1次（2026-02-20），要求每月至少1次；\
             《中国共产党支部工作条例（试行）》第十二条：党支部委员会会议一般每月召开1次"
        );
        assert_eq!(committee[1].period.label, "2026年3月");
        assert_eq!(committee[1].verdict, Verdict::Missed);
        assert_eq!(committee.len(), 11);

        let ga = of(&findings, 5, MeetingKind::GeneralAssembly);
        assert_eq!(labels(&ga), ["2026年第一季度", "2026年第二季度", "2026年第三季度", "2026年第四季度"]);
        assert_eq!(ga[0].verdict, Verdict::Exempt);
        assert_eq!(ga[1].verdict, Verdict::Missed);
        // The year it was created in is not a whole year of existence either.
        assert_eq!(of(&findings, 5, MeetingKind::LifeMeeting)[0].verdict, Verdict::Exempt);

        // Created on the first day of a period: asked for it.
        let mut org = branch(6, true);
        org.created_on = d(2026, 4, 1);
        let findings = year_2026(&[org], &[], d(2027, 1, 1));
        let ga = of(&findings, 6, MeetingKind::GeneralAssembly);
        assert_eq!(labels(&ga), ["2026年第二季度", "2026年第三季度", "2026年第四季度"]);
        assert!(ga.iter().all(|f| f.verdict == Verdict::Missed));
    }

    #[test]
    fn org_dissolved_mid_period_is_exempt_then_not_asked() {
        let mut org = branch(8, true);
        org.dissolved_on = Some(d(2026, 5, 10));
        let findings = year_2026(&[org], &[], d(2027, 1, 1));

        let committee = of(&findings, 8, MeetingKind::Committee);
        assert_eq!(labels(&committee), ["2026年1月", "2026年2月", "2026年3月", "2026年4月", "2026年5月"]);
        assert!(committee[..4].iter().all(|f| f.verdict == Verdict::Missed));
        assert_eq!(committee[4].verdict, Verdict::Exempt);
        assert!(committee[4].explanation.contains("该组织于2026-05-10撤销"));

        let ga = of(&findings, 8, MeetingKind::GeneralAssembly);
        assert_eq!(labels(&ga), ["2026年第一季度", "2026年第二季度"]);
        assert_eq!(ga[0].verdict, Verdict::Missed);
        assert_eq!(ga[1].verdict, Verdict::Exempt);

        // Dissolved on a period's last day: exempt for it, not asked after.
        let mut org = branch(9, true);
        org.dissolved_on = Some(d(2026, 6, 30));
        let ga = of(&year_2026(&[org], &[], d(2027, 1, 1)), 9, MeetingKind::GeneralAssembly);
        assert_eq!(ga.iter().map(|f| f.verdict.code()).collect::<Vec<_>>(), ["missed", "exempt"]);
    }

    #[test]
    fn unfinished_period_is_not_due() {
        let orgs = [branch(4, true)];
        let meetings = [
            meeting(1, 4, MeetingKind::Committee, d(2026, 3, 2)),
            // Dated after `today`: a plan, not a fact.
            meeting(2, 4, MeetingKind::Committee, d(2026, 5, 20)),
        ];
        let today = d(2026, 5, 15);
        let findings = year_2026(&orgs, &meetings, today);
        let committee = of(&findings, 4, MeetingKind::Committee);
        let v: Vec<_> = committee.iter().map(|f| f.verdict.code()).collect();
        assert_eq!(v[..5], ["missed", "missed", "met", "missed", "not_due"]);
        assert!(v[5..].iter().all(|c| *c == "not_due"));
        assert_eq!(
            committee[4].explanation,
            "2026年5月（2026-05-01至2026-05-31）尚未召开支部委员会，本期截至2026-05-31，尚未到期，要求每月至少1次；\
             《中国共产党支部工作条例（试行）》第十二条：党支部委员会会议一般每月召开1次"
        );
        let ga = of(&findings, 4, MeetingKind::GeneralAssembly);
        assert_eq!(
            ga.iter().map(|f| f.verdict.code()).collect::<Vec<_>>(),
            ["missed", "not_due", "not_due", "not_due"]
        );

        // On the period's last day it is still not due; the day after, it is missed.
        let on_last_day = of(&year_2026(&orgs, &[], d(2026, 5, 31)), 4, MeetingKind::Committee);
        assert_eq!(on_last_day[4].verdict, Verdict::NotDue);
        let day_after = of(&year_2026(&orgs, &[], d(2026, 6, 1)), 4, MeetingKind::Committee);
        assert_eq!(day_after[4].verdict, Verdict::Missed);
        // A meeting held today counts.
        let held_today = [meeting(3, 4, MeetingKind::Committee, d(2026, 5, 31))];
        let c = of(&year_2026(&orgs, &held_today, d(2026, 5, 31)), 4, MeetingKind::Committee);
        assert_eq!(c[4].verdict, Verdict::Met { meeting_ids: vec![3] });
    }

    #[test]
    fn requirements_apply_by_org_kind() {
        let group = OrgLife { org_id: 2, kind: OrgKindForRules::Group, created_on: d(2020, 1, 1), dissolved_on: None };
        let leadership = OrgLife { kind: OrgKindForRules::Leadership, org_id: 3, ..group.clone() };
        let other = OrgLife { kind: OrgKindForRules::Other, org_id: 4, ..group.clone() };
        let findings = year_2026(&[group, branch(1, false), leadership, other], &[], d(2027, 1, 1));
        let kinds = |id: i64| {
            let mut k: Vec<_> = findings.iter().filter(|f| f.org_id == id).map(|f| f.requirement).collect();
            k.dedup();
            k
        };
        assert_eq!(kinds(2), [MeetingKind::GroupMeeting]);
        assert_eq!(of(&findings, 2, MeetingKind::GroupMeeting).len(), 12);
        use MeetingKind::*;
        assert_eq!(kinds(1), [GeneralAssembly, PartyLecture, ThemeDay, LifeMeeting, MemberReview, HeartToHeart]);
        assert_eq!(kinds(3), [DemocraticLifeMeeting]);
        assert!(kinds(4).is_empty());
        assert!(findings.iter().all(|f| f.org_id != 2 || f.requirement != Committee));
        assert!(findings.iter().all(|f| f.org_id != 1 || f.requirement != Committee));
    }

    #[test]
    fn only_the_orgs_own_meetings_of_the_right_kind_count() {
        let meetings = [
            meeting(1, 99, MeetingKind::GeneralAssembly, d(2026, 2, 1)), // another org
            meeting(2, 1, MeetingKind::Committee, d(2026, 2, 1)),        // another kind
            meeting(3, 1, MeetingKind::ThemeDay, d(2026, 2, 1)),
        ];
        let findings = year_2026(&[branch(1, false)], &meetings, d(2027, 1, 1));
        assert_eq!(of(&findings, 1, MeetingKind::GeneralAssembly)[0].verdict, Verdict::Missed);
        assert_eq!(of(&findings, 1, MeetingKind::ThemeDay)[1].verdict, Verdict::Met { meeting_ids: vec![3] });
    }

    #[test]
    fn min_count_above_one() {
        let mut rules = ComplianceRules::default();
        rules.requirements[3].min_count = 2; // 党课 twice a quarter
        let meetings = [
            meeting(1, 1, MeetingKind::PartyLecture, d(2026, 1, 9)),
            meeting(2, 1, MeetingKind::PartyLecture, d(2026, 4, 9)),
            meeting(3, 1, MeetingKind::PartyLecture, d(2026, 5, 9)),
            meeting(4, 1, MeetingKind::PartyLecture, d(2026, 7, 9)),
        ];
        let f = evaluate(&rules, &[branch(1, false)], &meetings, d(2026, 1, 1), d(2026, 9, 30), d(2026, 8, 1));
        let lecture = of(&f, 1, MeetingKind::PartyLecture);
        assert_eq!(lecture[0].verdict, Verdict::Missed);
        assert!(lecture[0].explanation.contains("仅召开党课1次（2026-01-09），要求每季度至少2次"));
        assert_eq!(lecture[1].verdict, Verdict::Met { meeting_ids: vec![2, 3] });
        assert_eq!(lecture[2].verdict, Verdict::NotDue);
        assert!(lecture[2].explanation.contains("已召开党课1次（2026-07-09），尚差1次，本期截至2026-09-30，尚未到期"));
    }

    #[test]
    fn many_meetings_are_listed_briefly_and_counted_fully() {
        let meetings: Vec<_> =
            (1..=8).map(|i| meeting(i, 1, MeetingKind::HeartToHeart, d(2026, 3, i as u32))).collect();
        let f = of(&year_2026(&[branch(1, false)], &meetings, d(2027, 1, 1)), 1, MeetingKind::HeartToHeart);
        assert_eq!(f[0].verdict, Verdict::Met { meeting_ids: (1..=8).collect() });
        assert!(f[0]
            .explanation
            .contains("已召开谈心谈话8次（2026-03-01、2026-03-02、2026-03-03、2026-03-04、2026-03-05等）"));
    }

    #[test]
    fn summaries() {
        let mut created = branch(2, true);
        created.created_on = d(2026, 2, 10);
        let orgs = [branch(1, true), created];
        let meetings = [meeting(1, 1, MeetingKind::Committee, d(2026, 1, 3))];
        let today = d(2026, 5, 15);
        let findings = year_2026(&orgs, &meetings, today);
        let s = summarize(&findings);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0],
            OrgSummary { org_id: 1, met: 1, missed: 1 + 3 + 1 + 4, not_due: 8 + 3 + 8 + 3 + 3, exempt: 0 }
        );
        assert_eq!(s[0].due(), 10);
        assert_eq!(s[1].exempt, 1 + 1 + 1 + 1 + 3);
        assert_eq!(
            evaluate_summary(&ComplianceRules::default(), &orgs, &meetings, d(2026, 1, 1), d(2026, 12, 31), today),
            s
        );
    }

    #[test]
    fn vocabularies_parse_codes_and_labels() {
        for k in MeetingKind::ALL {
            assert_eq!(MeetingKind::parse(k.code()), Some(*k));
            assert_eq!(MeetingKind::parse(k.label()), Some(*k));
        }
        assert_eq!(MeetingKind::ALL.len(), 9);
        assert_eq!(MeetingKind::parse(" 支委会 "), Some(MeetingKind::Committee));
        assert_eq!(MeetingKind::parse("党员大会"), Some(MeetingKind::GeneralAssembly));
        assert_eq!(MeetingKind::parse("读书会"), None);
        for f in Frequency::ALL {
            assert_eq!(Frequency::parse(f.label()), Some(*f));
        }
        for a in AppliesTo::ALL {
            assert_eq!(AppliesTo::parse(a.code()), Some(*a));
        }
        assert_eq!(MeetingKind::HeartToHeart.code(), "heart_to_heart");
        assert_eq!(MeetingKind::DemocraticLifeMeeting.to_string(), "民主生活会");
    }

    #[test]
    fn defaults_are_valid_and_cite_sources() {
        let rules = ComplianceRules::default();
        rules.validate().unwrap();
        assert_eq!(rules.requirements.len(), 9);
        for r in &rules.requirements {
            assert!(r.source.starts_with('《'), "{:?}", r.kind);
            assert_eq!(r.min_count, 1);
        }
        let mut bad = rules.clone();
        bad.requirements.push(bad.requirements[0].clone());
        assert!(matches!(bad.validate(), Err(RulesError::Duplicate { kind: MeetingKind::GeneralAssembly, .. })));
        let mut bad = rules.clone();
        bad.requirements[2].min_count = 0;
        assert_eq!(bad.validate(), Err(RulesError::ZeroCount { kind: MeetingKind::GroupMeeting }));
        let mut bad = rules;
        bad.requirements[4].source = " ".into();
        assert_eq!(bad.validate().unwrap_err().to_string(), "主题党日的要求没有注明依据（source 为空）");
    }

    #[test]
    fn a_county_overrides_the_rules_in_toml() {
        let county: ComplianceRules = toml::from_str(
            r#"
            [[requirements]]
            kind = "党课"
            frequency = "monthly"
            applies_to = "branches"
            source = "某县《关于规范党支部组织生活的通知》：党课每月1次"

            [[requirements]]
            kind = "general_assembly"
            frequency = "每季度"
            min_count = 2
            applies_to = "党支部"
            source = "某县规定：支部党员大会每季度2次"
            "#,
        )
        .unwrap();
        county.validate().unwrap();
        assert_eq!(county.requirements.len(), 2);
        assert_eq!(county.requirements[0].kind, MeetingKind::PartyLecture);
        assert_eq!(county.requirements[0].min_count, 1);
        assert_eq!(county.requirements[1].min_count, 2);
        let f = evaluate(&county, &[branch(1, false)], &[], d(2026, 1, 1), d(2026, 1, 31), d(2026, 3, 1));
        assert_eq!(f.len(), 2);
        assert!(f[0].explanation.ends_with("要求每月至少1次；某县《关于规范党支部组织生活的通知》：党课每月1次"));

        // No list: the defaults. A typo: refused, naming the valid values.
        let empty: ComplianceRules = toml::from_str("").unwrap();
        assert_eq!(empty, ComplianceRules::default());
        let err = toml::from_str::<ComplianceRules>(
            "[[requirements]]\nkind = \"读书会\"\nfrequency = \"monthly\"\napplies_to = \"branches\"\nsource = \"x\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("无效的取值“读书会”"), "{err}");
        assert!(toml::from_str::<ComplianceRules>(
            "[[requirements]]\nkind = \"党课\"\nfrequency = \"monthly\"\napplies_to = \"branches\"\nsource = \"x\"\nmin_cout = 2\n"
        )
        .is_err());

        // And back: what is written can be read again.
        let written = toml::to_string(&ComplianceRules::default()).unwrap();
        assert_eq!(toml::from_str::<ComplianceRules>(&written).unwrap(), ComplianceRules::default());
    }

    #[test]
    fn quorum_more_than_half() {
        let q = quorum(QuorumBody::GeneralAssembly, 10, 5);
        assert!(!q.met);
        assert_eq!(q.needed, 6);
        assert_eq!(
            q.explanation,
            "应到会有表决权的党员10人，实到5人，未超过半数（至少需6人），表决不能进行（预备党员没有表决权，不计入）；"
                .to_string()
                + SOURCE_QUORUM_GENERAL_ASSEMBLY
        );
        let q = quorum(QuorumBody::GeneralAssembly, 10, 6);
        assert!(q.met);
        assert!(q.explanation.starts_with("应到会有表决权的党员10人，实到6人，超过半数（至少6人），表决可以进行"));

        assert_eq!(quorum(QuorumBody::Committee, 7, 3).needed, 4);
        assert!(!quorum(QuorumBody::Committee, 7, 3).met);
        assert!(quorum(QuorumBody::Committee, 7, 4).met);
        let c = quorum(QuorumBody::Committee, 5, 3);
        assert!(c.met);
        assert!(c.explanation.starts_with("支部委员会委员5人，实到3人，超过半数（至少3人），会议可以进行；"));
        assert!(c.explanation.ends_with(SOURCE_QUORUM_COMMITTEE));
        assert!(quorum(QuorumBody::Committee, 1, 1).met);
        assert!(!quorum(QuorumBody::Committee, 2, 1).met);

        let zero = quorum(QuorumBody::GeneralAssembly, 0, 0);
        assert!(!zero.met);
        assert_eq!(zero.needed, 1);
        assert!(zero.explanation.starts_with("应到会有表决权的党员为0人，无法确定到会人数是否过半，表决不能进行"));

        let too_many = quorum(QuorumBody::GeneralAssembly, 4, 6);
        assert!(!too_many.met);
        assert!(too_many.explanation.contains("实到人数多于应到人数"));
        assert!(!quorum(QuorumBody::Committee, u32::MAX, u32::MAX / 2).met);
        assert!(quorum(QuorumBody::Committee, u32::MAX, u32::MAX / 2 + 1).met);
    }

    #[test]
    fn majority_of_those_entitled() {
        assert!(!majority_of(10, 5));
        assert!(majority_of(10, 6));
        assert!(!majority_of(7, 3));
        assert!(majority_of(7, 4));
        assert!(!majority_of(0, 0));
        assert!(!majority_of(3, 4));
        assert!(majority_of(u32::MAX, u32::MAX));
        assert!(!majority_of(u32::MAX, u32::MAX / 2));
    }

    /// A province-year: 100,000 orgs and 2,000,000 meetings.
    /// `cargo test --release -- --ignored --nocapture province_year_volume`
    #[test]
    #[ignore]
    fn province_year_volume() {
        use std::time::Instant;
        const ORGS: i64 = 100_000;
        const MEETINGS: usize = 2_000_000;
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let orgs: Vec<OrgLife> = (1..=ORGS)
            .map(|id| {
                let kind = match id % 20 {
                    0..=5 => OrgKindForRules::Branch { has_committee: true },
                    6..=11 => OrgKindForRules::Branch { has_committee: false },
                    12..=18 => OrgKindForRules::Group,
                    _ => OrgKindForRules::Leadership,
                };
                let created_on = if id % 50 == 0 { d(2026, 1 + (id % 12) as u32, 10) } else { d(2010, 1, 1) };
                let dissolved_on = if id % 97 == 0 { Some(d(2026, 1 + (id % 12) as u32, 20)) } else { None };
                OrgLife { org_id: id, kind, created_on, dissolved_on }
            })
            .collect();
        let branch_kinds = [
            MeetingKind::GeneralAssembly,
            MeetingKind::Committee,
            MeetingKind::PartyLecture,
            MeetingKind::ThemeDay,
            MeetingKind::ThemeDay,
            MeetingKind::Committee,
            MeetingKind::LifeMeeting,
            MeetingKind::MemberReview,
            MeetingKind::HeartToHeart,
        ];
        let meetings: Vec<HeldMeeting> = (0..MEETINGS)
            .map(|i| {
                let r = next();
                let org = &orgs[(r % ORGS as u64) as usize];
                let kind = match org.kind {
                    OrgKindForRules::Branch { .. } => branch_kinds[((r >> 20) % branch_kinds.len() as u64) as usize],
                    OrgKindForRules::Group => MeetingKind::GroupMeeting,
                    _ => MeetingKind::DemocraticLifeMeeting,
                };
                let held_on = d(2026, 1, 1) + chrono::Duration::days(((r >> 40) % 365) as i64);
                HeldMeeting { id: i as i64 + 1, org_id: org.org_id, kind, held_on }
            })
            .collect();
        let rules = ComplianceRules::default();
        let (from, to, today) = (d(2026, 1, 1), d(2026, 12, 31), d(2026, 11, 15));

        let t = Instant::now();
        let findings = evaluate(&rules, &orgs, &meetings, from, to, today);
        let t_eval = t.elapsed();
        let t = Instant::now();
        let summary = summarize(&findings);
        let t_sum = t.elapsed();
        let t = Instant::now();
        let fast = evaluate_summary(&rules, &orgs, &meetings, from, to, today);
        let t_fast = t.elapsed();
        assert_eq!(fast, summary);
        let bytes: usize = findings.iter().map(|f| f.explanation.len()).sum();
        let count = |c: &str| findings.iter().filter(|f| f.verdict.code() == c).count();
        println!(
            "{} orgs, {} meetings -> {} findings (met {}, missed {}, not due {}, exempt {}; explanations {} MB)\n\
             evaluate {:?}, summarize {:?}, evaluate_summary {:?}",
            orgs.len(),
            meetings.len(),
            findings.len(),
            count("met"),
            count("missed"),
            count("not_due"),
            count("exempt"),
            bytes / 1_000_000,
            t_eval,
            t_sum,
            t_fast
        );
        assert_eq!(summary.len(), orgs.len());
    }
}
