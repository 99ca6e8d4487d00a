//! 党代表 rules. Pure: no DB, no HTTP, no clock (`today` is a parameter).
//!
//! - [`review_due`]: 一季一析 — a delegate with no analysis (分析排查) in the current quarter.
//! - [`term_over`]: a delegate still in office after the five-year 届期.
//! - [`check_termination`]: whether a termination (终止资格 / 停止执行代表职务) may be recorded.
//!
//! Decisions (each covered by a test):
//! - **Quarters** are calendar quarters (“2026年第四季度”, 10-01 to 12-31). A review counts in the
//!   quarter it is dated in, if it is not after `today`. The review is due from the quarter's first
//!   day until one is recorded; the flag gives the quarter's last day.
//! - **Term.** 任期制暂行条例第四条: a delegate's term is the congress's 届期 (5 years, 党章第二十四条),
//!   and moves when the next congress is held early or late. The system does not know that date,
//!   so [`term_over`] is a reminder from `add_months(term_start, 60)`, not a termination.
//! - **Termination** needs a reason (a kind and a written reason) and a date on or after the term
//!   start and not after `today`; a delegate is terminated once. The kinds follow 任期制暂行条例
//!   第二十五至二十七条. Strictly, leaving the area (第二十六条) stops the exercise of the mandate
//!   (停止执行代表职务) rather than ending the qualification; the seed [004] records it as 终止资格,
//!   so it is one of the kinds here and [`TerminationKind::article`] names 第二十六条.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::meetings::rules::{periods, Frequency, Period};
use crate::recruitment::rules::add_months;

/// The regulation on delegates' terms.
pub const SOURCE_TERM_REGULATION: &str =
    "《中国共产党全国代表大会和地方各级代表大会代表任期制暂行条例》";
/// The quarterly review in the seed.
pub const SOURCE_REVIEW: &str =
    "县级党建工作总结[004]：“一季一析”，每季度至少开展一次省、市、县三级党代表分析排查工作";
/// The five-year 届期.
pub const SOURCE_TERM: &str = "《中国共产党章程》第二十四条：党的地方各级代表大会每五年举行一次；《中国共产党全国代表大会和地方各级代表大会代表任期制暂行条例》第四条：代表每届任期与同级党代表大会当届届期相同";

// ---------------------------------------------------------------------------------------------
// Vocabularies
// ---------------------------------------------------------------------------------------------

crate::code_enum!(
    /// The congress a delegate was elected to.
    Congress {
        County = ("county", "县党代表大会"),
        City = ("city", "市党代表大会"),
        Province = ("province", "省党代表大会"),
    }
);

impl Congress {
    /// “县党代表”.
    pub fn delegate_label(self) -> &'static str {
        match self {
            Congress::County => "县党代表",
            Congress::City => "市党代表",
            Congress::Province => "省党代表",
        }
    }
}

crate::code_enum!(
    /// Why a delegate's qualification ends (任期制暂行条例第五章).
    TerminationKind {
        Discipline = ("discipline", "受留党察看以上处分"),
        MembershipSuspended = ("membership_suspended", "被停止党籍或丧失中华人民共和国国籍"),
        Resigned = ("resigned", "辞去代表职务被接受"),
        LeftArea = ("left_area", "调离同级党代表大会所属范围"),
        Other = ("other", "其他原因"),
    }
);

impl TerminationKind {
    /// The article of the 任期制暂行条例 the kind comes from.
    pub fn article(self) -> &'static str {
        match self {
            TerminationKind::Discipline
            | TerminationKind::MembershipSuspended
            | TerminationKind::Resigned => "第二十五条",
            TerminationKind::LeftArea => "第二十六条",
            TerminationKind::Other => "第二十七条",
        }
    }
}

crate::code_enum!(
    /// What a [`Flag`] or a [`Refusal`] is about. Stable codes for the API.
    RuleCode {
        ReviewDue = ("review_due", "本季度未开展分析"),
        TermOver = ("term_over", "届期已满"),
        AlreadyTerminated = ("already_terminated", "已终止资格"),
        ReasonMissing = ("reason_missing", "未写明理由"),
        BeforeTermStart = ("before_term_start", "终止日期早于任期开始"),
        InFuture = ("in_future", "终止日期晚于今天"),
    }
);

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// A county's delegate rules; every field has a published default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DelegateRules {
    /// The 届期 of a local congress, in years. 5: 党章第二十四条, 任期制暂行条例第四条.
    pub term_years: u32,
    /// How often delegates are reviewed. Quarterly: seed [004] (一季一析，每季度至少一次).
    pub review_frequency: Frequency,
}

impl Default for DelegateRules {
    fn default() -> Self {
        DelegateRules {
            term_years: 5,
            review_frequency: Frequency::Quarterly,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------------------------

/// The end of a delegate's qualification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Termination {
    pub on: NaiveDate,
    pub kind: TerminationKind,
    /// The facts, e.g. “职务调整调出本县”.
    pub reason: String,
}

/// A delegate as the store knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegate {
    pub name: String,
    pub congress: Congress,
    /// The day the congress that elected them opened.
    pub term_start: NaiveDate,
    pub terminated: Option<Termination>,
}

/// Something to act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub code: RuleCode,
    /// The rule and its source.
    pub rule: String,
    /// Chinese; names the period and dates.
    pub message: String,
    /// The period the flag is about, when there is one.
    pub period: Option<Period>,
}

/// Why a termination cannot be recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: RuleCode,
    pub rule: String,
    pub message: String,
}

// ---------------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------------

/// The review period (quarter by default) holding `d`.
pub fn review_period(rules: &DelegateRules, d: NaiveDate) -> Period {
    periods(rules.review_frequency, d, d)
        .pop()
        .unwrap_or(Period {
            start: d,
            end: d,
            label: d.to_string(),
        })
}

/// Set when the latest review is not in the current period (or is after `today`).
pub fn review_due(
    rules: &DelegateRules,
    last_review: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<Flag> {
    let p = review_period(rules, today);
    if last_review.is_some_and(|r| r >= p.start && r <= today) {
        return None;
    }
    let last = match last_review {
        Some(r) if r <= today => format!("最近一次分析排查在{r}"),
        Some(r) => format!("分析排查记录日期{r}晚于今天，不计入"),
        None => "没有分析排查记录".to_string(),
    };
    Some(Flag {
        code: RuleCode::ReviewDue,
        rule: SOURCE_REVIEW.into(),
        message: format!(
            "{last}，{}（{}至{}）尚未开展，应在{}前完成。",
            p.label, p.start, p.end, p.end
        ),
        period: Some(p),
    })
}

/// The first day after the 届期: `term_start` plus `term_years`.
pub fn term_end(rules: &DelegateRules, term_start: NaiveDate) -> NaiveDate {
    add_months(term_start, rules.term_years.saturating_mul(12))
}

/// Set for a delegate not terminated whose 届期 is over on `today`.
pub fn term_over(rules: &DelegateRules, delegate: &Delegate, today: NaiveDate) -> Option<Flag> {
    let end = term_end(rules, delegate.term_start);
    if delegate.terminated.is_some() || today < end {
        return None;
    }
    Some(Flag {
        code: RuleCode::TermOver,
        rule: SOURCE_TERM.into(),
        message: format!(
            "{}{}任期自{}起，{end}届满{}年；下一届党代表大会召开后任期终止，请核实换届情况。",
            delegate.congress.delegate_label(),
            delegate.name,
            delegate.term_start,
            rules.term_years
        ),
        period: None,
    })
}

/// Whether `t` may be recorded for `delegate` on `today`. Checked in this order: already
/// terminated, reason, before the term start, after today; the first failing rule is returned.
pub fn check_termination(
    delegate: &Delegate,
    t: &Termination,
    today: NaiveDate,
) -> Result<(), Refusal> {
    let who = format!("{}{}", delegate.congress.delegate_label(), delegate.name);
    let rule = format!(
        "{SOURCE_TERM_REGULATION}{}（{}）",
        t.kind.article(),
        t.kind.label()
    );
    let refuse = |code, message| {
        Err(Refusal {
            code,
            rule: rule.clone(),
            message,
        })
    };
    if let Some(prev) = &delegate.terminated {
        return refuse(
            RuleCode::AlreadyTerminated,
            format!(
                "{who}已于{}终止资格（{}），不能再次终止。",
                prev.on,
                prev.kind.label()
            ),
        );
    }
    if t.reason.trim().is_empty() {
        return refuse(
            RuleCode::ReasonMissing,
            format!("终止{who}的资格须写明理由。"),
        );
    }
    if t.on < delegate.term_start {
        return refuse(
            RuleCode::BeforeTermStart,
            format!(
                "终止日期{}早于{who}的任期开始日期{}，不能办理。",
                t.on, delegate.term_start
            ),
        );
    }
    if t.on > today {
        return refuse(
            RuleCode::InFuture,
            format!("终止日期{}晚于今天{today}，请在该日期到来后办理。", t.on),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn delegate() -> Delegate {
        Delegate {
            name: "郭三".into(),
            congress: Congress::County,
            term_start: d(2021, 9, 20),
            terminated: None,
        }
    }

    fn termination(on: NaiveDate, reason: &str) -> Termination {
        Termination {
            on,
            kind: TerminationKind::LeftArea,
            reason: reason.into(),
        }
    }

    #[test]
    fn vocabularies() {
        assert_eq!(Congress::ALL.len(), 3);
        assert_eq!(Congress::parse("市党代表大会"), Some(Congress::City));
        assert_eq!(Congress::Province.delegate_label(), "省党代表");
        assert_eq!(TerminationKind::Resigned.article(), "第二十五条");
        assert_eq!(TerminationKind::LeftArea.article(), "第二十六条");
        assert_eq!(TerminationKind::Other.article(), "第二十七条");
        let r: DelegateRules = toml::from_str("").unwrap();
        assert_eq!(r, DelegateRules::default());
        assert!(toml::from_str::<DelegateRules>("term = 5").is_err());
    }

    #[test]
    fn review_due_turns_at_the_quarter_boundary() {
        let r = DelegateRules::default();
        // Reviewed on the last day of Q3: fine until Q3 ends, due from 1 October.
        let last = Some(d(2026, 9, 30));
        assert!(review_due(&r, last, d(2026, 9, 30)).is_none());
        let f = review_due(&r, last, d(2026, 10, 1)).unwrap();
        assert_eq!(f.code, RuleCode::ReviewDue);
        assert_eq!(f.period.as_ref().unwrap().label, "2026年第四季度");
        assert_eq!(
            f.message,
            "最近一次分析排查在2026-09-30，2026年第四季度（2026-10-01至2026-12-31）尚未开展，应在2026-12-31前完成。"
        );
        // Reviewed on the first day of Q4: fine through 31 December, due again on 1 January.
        let last = Some(d(2026, 10, 1));
        assert!(review_due(&r, last, d(2026, 10, 1)).is_none());
        assert!(review_due(&r, last, d(2026, 12, 31)).is_none());
        let f = review_due(&r, last, d(2027, 1, 1)).unwrap();
        assert_eq!(f.period.unwrap().label, "2027年第一季度");
        // Never reviewed; a review dated after today does not count.
        assert!(review_due(&r, None, d(2026, 5, 1))
            .unwrap()
            .message
            .starts_with("没有分析排查记录，2026年第二季度"));
        let f = review_due(&r, Some(d(2026, 5, 2)), d(2026, 5, 1)).unwrap();
        assert!(
            f.message
                .starts_with("分析排查记录日期2026-05-02晚于今天，不计入"),
            "{}",
            f.message
        );
    }

    #[test]
    fn term_over_after_five_years() {
        let r = DelegateRules::default();
        assert_eq!(term_end(&r, d(2021, 9, 20)), d(2026, 9, 20));
        assert!(term_over(&r, &delegate(), d(2026, 9, 19)).is_none());
        let f = term_over(&r, &delegate(), d(2026, 9, 20)).unwrap();
        assert_eq!(f.code, RuleCode::TermOver);
        assert_eq!(
            f.message,
            "县党代表郭三任期自2021-09-20起，2026-09-20届满5年；下一届党代表大会召开后任期终止，请核实换届情况。"
        );
        let mut gone = delegate();
        gone.terminated = Some(termination(d(2023, 1, 1), "调出本县"));
        assert!(term_over(&r, &gone, d(2027, 1, 1)).is_none());
    }

    #[test]
    fn termination_on_the_term_start_but_not_before() {
        let today = d(2026, 5, 1);
        assert!(check_termination(
            &delegate(),
            &termination(d(2021, 9, 20), "职务调整调出本县"),
            today
        )
        .is_ok());
        let r = check_termination(
            &delegate(),
            &termination(d(2021, 9, 19), "职务调整调出本县"),
            today,
        )
        .unwrap_err();
        assert_eq!(r.code, RuleCode::BeforeTermStart);
        assert_eq!(
            r.message,
            "终止日期2021-09-19早于县党代表郭三的任期开始日期2021-09-20，不能办理。"
        );
        assert!(
            r.rule.contains("第二十六条（调离同级党代表大会所属范围）"),
            "{}",
            r.rule
        );
    }

    #[test]
    fn termination_needs_a_reason_a_past_date_and_happens_once() {
        let today = d(2026, 5, 1);
        let r =
            check_termination(&delegate(), &termination(d(2026, 4, 1), "  "), today).unwrap_err();
        assert_eq!(
            (r.code, r.message.as_str()),
            (
                RuleCode::ReasonMissing,
                "终止县党代表郭三的资格须写明理由。"
            )
        );
        assert!(check_termination(&delegate(), &termination(today, "调出本县"), today).is_ok());
        let r = check_termination(&delegate(), &termination(d(2026, 5, 2), "调出本县"), today)
            .unwrap_err();
        assert_eq!(r.code, RuleCode::InFuture);
        assert_eq!(
            r.message,
            "终止日期2026-05-02晚于今天2026-05-01，请在该日期到来后办理。"
        );
        let mut gone = delegate();
        gone.terminated = Some(Termination {
            on: d(2024, 3, 1),
            kind: TerminationKind::Resigned,
            reason: "本人申请".into(),
        });
        let r =
            check_termination(&gone, &termination(d(2026, 4, 1), "调出本县"), today).unwrap_err();
        assert_eq!(r.code, RuleCode::AlreadyTerminated);
        assert_eq!(
            r.message,
            "县党代表郭三已于2024-03-01终止资格（辞去代表职务被接受），不能再次终止。"
        );
    }
}
