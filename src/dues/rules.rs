//! Party dues (党费): how much a member owes each month, and why.
//!
//! Pure rules — no database, no HTTP, no floating point. Money is always an
//! integer number of fen (分, 1/100 yuan) in an `i64`; rates are integer basis
//! points (1 bp = 0.01 %, so 0.5 % = 50 bp). Every number comes from
//! [`DuesRules`], whose defaults follow 中组发〔2008〕3号《关于中国共产党党费收缴、
//! 使用和管理的规定》 and name the article they come from.
//!
//! * [`assess`] — one month, one member: amount, bracket, cited rule and a
//!   one-sentence Chinese explanation; applies an approved reduction (减交) or
//!   waiver (免交).
//! * [`basis_for`], [`adjustment_for`], [`ledger`] — month by month over a
//!   history of wage/pension changes, adjustments and payments.
//! * [`arrears_fen`], [`unpaid_streak`] — what is still owed, and the
//!   consecutive unpaid months behind the six-month flag of 党章第九条.
//!
//! [`YearMonth`] accepts `2026-03`, `2026-3`, `2026/03` and `2026年3月`; it is
//! always written back as `2026-03`.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The document the default rules come from.
pub const SOURCE: &str = "中组发〔2008〕3号《关于中国共产党党费收缴、使用和管理的规定》";

/// 《中国共产党章程》第九条：党员如果没有正当理由，连续六个月不参加党的组织生活，或不交纳
/// 党费，或不做党所分配的工作，就被认为是自行脱党。Compare [`unpaid_streak`] with this to raise the flag; the decision
/// (正当理由) stays with the branch.
pub const LAPSE_UNPAID_MONTHS: usize = 6;

// ---------------------------------------------------------------------------
// Categories
// ---------------------------------------------------------------------------

/// Which rule sets a member's dues. Stable `code()` for the API and database,
/// Chinese `label()` for people; [`DuesCategory::parse`] accepts either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DuesCategory {
    /// 在职：按月领取工资的党员（第一条、第二条）. Also members on an annual salary
    /// (第三条: the pay actually received that month) and self-employed members
    /// without a monthly wage (第四条: last quarter's average monthly net income):
    /// the caller enters that figure as the base.
    Employed,
    /// 离退休：以实际领取的离退休费总额或养老金总额为基数（第五条）.
    Retiree,
    /// 农民：每月定额（第六条）.
    Farmer,
    /// 学生、下岗失业、依靠抚恤或救济生活、领取最低生活保障金的党员：每月定额（第六条）.
    StudentUnemployedRelief,
}

impl DuesCategory {
    pub const ALL: &'static [DuesCategory] =
        &[DuesCategory::Employed, DuesCategory::Retiree, DuesCategory::Farmer, DuesCategory::StudentUnemployedRelief];

    pub fn code(self) -> &'static str {
        match self {
            DuesCategory::Employed => "employed",
            DuesCategory::Retiree => "retiree",
            DuesCategory::Farmer => "farmer",
            DuesCategory::StudentUnemployedRelief => "student_unemployed_relief",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DuesCategory::Employed => "在职",
            DuesCategory::Retiree => "离退休",
            DuesCategory::Farmer => "农民",
            DuesCategory::StudentUnemployedRelief => "学生、下岗失业、生活困难",
        }
    }

    /// Accepts the code or the Chinese label, optionally followed by “党员”
    /// (“在职党员”), surrounding whitespace ignored.
    pub fn parse(s: &str) -> Option<DuesCategory> {
        let s = s.trim();
        let bare = s.strip_suffix("党员").unwrap_or(s);
        DuesCategory::ALL.iter().copied().find(|c| c.code() == s || c.label() == s || c.label() == bare)
    }

    /// The accepted labels, for error messages.
    pub fn labels() -> String {
        DuesCategory::ALL.iter().map(|c| c.label()).collect::<Vec<_>>().join("、")
    }

    /// What the base is called, for categories computed from a base.
    fn base_name(self) -> &'static str {
        match self {
            DuesCategory::Retiree => "月离退休费（养老金）",
            _ => "税后月工资",
        }
    }
}

impl fmt::Display for DuesCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Serialize for DuesCategory {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for DuesCategory {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DuesCategory::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("无效的党费类别“{}”，可选：{}", s, DuesCategory::labels())))
    }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why dues could not be computed. `code()` is stable (for the API); the
/// message (`Display`) is Chinese, for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DuesError {
    #[error("“{0}”不是有效的年月，请写作 2026-03（也接受 2026/03、2026年3月）")]
    InvalidMonth(String),
    #[error("{}党员须填写{}，才能计算党费", .category.label(), .category.base_name())]
    MissingBase { category: DuesCategory },
    #[error("{}不能为负数（{} 元）", .category.base_name(), yuan_ref(.base_fen))]
    NegativeBase { category: DuesCategory, base_fen: i64 },
    #[error("农民党员每月党费定额 {} 元超出规定范围（{} 元至 {} 元）", yuan_ref(.amount_fen), yuan_ref(.min_fen), yuan_ref(.max_fen))]
    FarmerOutOfRange { amount_fen: i64, min_fen: i64, max_fen: i64 },
    #[error("减交后的数额不能为负数（{} 元）", yuan_ref(.amount_fen))]
    NegativeReduction { amount_fen: i64 },
    #[error("减交后的数额 {} 元应低于按标准应交的 {} 元；如不再交纳，请选择免交", yuan_ref(.amount_fen), yuan_ref(.standard_fen))]
    ReductionNotLower { amount_fen: i64, standard_fen: i64 },
    #[error("减交或免交须写明原因")]
    EmptyReason,
    #[error("减交或免交须写明批准的党组织")]
    EmptyApprover,
    #[error("减交或免交的截止月份 {to} 早于起始月份 {from}")]
    AdjustmentRange { from: YearMonth, to: YearMonth },
    #[error("起始月份 {from} 晚于截止月份 {to}")]
    MonthRange { from: YearMonth, to: YearMonth },
    #[error("{month} 的交纳金额合计为负数（{} 元），请核对更正记录", yuan_ref(.amount_fen))]
    NegativePayment { month: YearMonth, amount_fen: i64 },
    #[error("{month} 的交纳金额合计超出可计算范围")]
    AmountOverflow { month: YearMonth },
    #[error("党费标准配置有误：{0}")]
    InvalidRules(String),
    /// An error met while computing one month of a [`ledger`]; `code()` is the inner one.
    #[error("{month}：{inner}")]
    InMonth { month: YearMonth, inner: Box<DuesError> },
}

impl DuesError {
    pub fn code(&self) -> &'static str {
        match self {
            DuesError::InvalidMonth(_) => "invalid_month",
            DuesError::MissingBase { .. } => "missing_base",
            DuesError::NegativeBase { .. } => "negative_base",
            DuesError::FarmerOutOfRange { .. } => "farmer_amount_out_of_range",
            DuesError::NegativeReduction { .. } => "negative_reduction",
            DuesError::ReductionNotLower { .. } => "reduction_not_lower",
            DuesError::EmptyReason => "empty_reason",
            DuesError::EmptyApprover => "empty_approver",
            DuesError::AdjustmentRange { .. } => "adjustment_range",
            DuesError::MonthRange { .. } => "month_range",
            DuesError::NegativePayment { .. } => "negative_payment",
            DuesError::AmountOverflow { .. } => "amount_overflow",
            DuesError::InvalidRules(_) => "invalid_dues_rules",
            DuesError::InMonth { inner, .. } => inner.code(),
        }
    }

    fn in_month(self, month: YearMonth) -> DuesError {
        match self {
            e @ DuesError::InMonth { .. } => e,
            e => DuesError::InMonth { month, inner: Box::new(e) },
        }
    }
}

// ---------------------------------------------------------------------------
// Months
// ---------------------------------------------------------------------------

/// A calendar month. Ordered chronologically. Written `2026-03`; parsing also
/// accepts `2026-3`, `2026/03`, `2026/3` and `2026年3月` / `2026年03月` (year:
/// exactly four ASCII digits; month 1–12, one or two digits; surrounding
/// whitespace ignored). Anything else — `2026-13`, `2026-00`, `26-03`,
/// `2026-03-01`, `202603` — is refused.
///
/// The fields are public; a hand-built value with a month outside 1–12 is
/// invalid ([`YearMonth::is_valid`]) and [`ledger`] refuses it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i32,
    pub month: u32,
}

impl YearMonth {
    /// `None` unless `month` is 1–12 and the year is within chrono's range.
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        let ym = YearMonth { year, month };
        ym.is_valid().then_some(ym)
    }

    pub fn is_valid(self) -> bool {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).is_some()
    }

    pub fn parse(s: &str) -> Result<YearMonth, DuesError> {
        let bad = || DuesError::InvalidMonth(s.to_string());
        let t = s.trim();
        let (y, m) = if let Some((y, rest)) = t.split_once('年') {
            (y, rest.strip_suffix('月').ok_or_else(bad)?)
        } else if let Some(pair) = t.split_once('-') {
            pair
        } else {
            t.split_once('/').ok_or_else(bad)?
        };
        let digits =
            |x: &str, min: usize, max: usize| (min..=max).contains(&x.len()) && x.bytes().all(|b| b.is_ascii_digit());
        if !digits(y, 4, 4) || !digits(m, 1, 2) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        YearMonth::new(year, month).ok_or_else(bad)
    }

    pub fn of(date: NaiveDate) -> YearMonth {
        YearMonth { year: date.year(), month: date.month() }
    }

    /// # Panics
    /// If the value is not [valid](YearMonth::is_valid).
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_else(|| panic!("invalid year-month {self}"))
    }

    pub fn next(self) -> YearMonth {
        if self.month >= 12 {
            YearMonth { year: self.year + 1, month: 1 }
        } else {
            YearMonth { year: self.year, month: self.month + 1 }
        }
    }

    pub fn prev(self) -> YearMonth {
        if self.month <= 1 {
            YearMonth { year: self.year - 1, month: 12 }
        } else {
            YearMonth { year: self.year, month: self.month - 1 }
        }
    }

    /// Every month from `self` to `end`, both included; empty if `end < self`.
    pub fn iter_to(self, end: YearMonth) -> MonthIter {
        MonthIter { next: (self <= end).then_some(self), end }
    }
}

/// Iterator returned by [`YearMonth::iter_to`].
#[derive(Clone, Debug)]
pub struct MonthIter {
    next: Option<YearMonth>,
    end: YearMonth,
}

impl Iterator for MonthIter {
    type Item = YearMonth;
    fn next(&mut self) -> Option<YearMonth> {
        let cur = self.next?;
        self.next = (cur < self.end).then(|| cur.next());
        Some(cur)
    }
}

impl std::iter::FusedIterator for MonthIter {}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = DuesError;
    fn from_str(s: &str) -> Result<YearMonth, DuesError> {
        YearMonth::parse(s)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        YearMonth::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// One bracket of a rate table. Brackets are listed in ascending order; a base
/// falls in the first bracket whose `up_to_fen` it does not exceed, and that
/// bracket's ONE rate applies to the whole base (not marginal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bracket {
    /// Inclusive upper bound in fen; `None` (omitted) = no bound. Only the last
    /// bracket may be unbounded, and it must be.
    #[serde(default)]
    pub up_to_fen: Option<i64>,
    /// Rate in basis points (0.01 %): 0.5 % = 50, 1 % = 100, 1.5 % = 150, 2 % = 200.
    pub rate_bp: i64,
}

impl Bracket {
    fn new(up_to_fen: Option<i64>, rate_bp: i64) -> Bracket {
        Bracket { up_to_fen, rate_bp }
    }
}

/// The dues schedule. Every default follows 中组发〔2008〕3号《关于中国共产党党费收缴、
/// 使用和管理的规定》; a rules file may override any field (missing fields keep
/// their defaults).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DuesRules {
    /// 中组发〔2008〕3号第一条、第二条：按月领取工资的党员，每月以工资总额中相对固定的、
    /// 经常性的工资收入（税后）为计算基数；每月工资收入（税后）在3000元以下（含3000元）者
    /// 交纳0.5%，3000元以上至5000元（含5000元）者交纳1%，5000元以上至10000元（含10000元）
    /// 者交纳1.5%，10000元以上者交纳2%。One rate applies to the whole base.
    pub employed_brackets: Vec<Bracket>,
    /// 中组发〔2008〕3号第五条：离退休干部、职工中的党员，每月以实际领取的离退休费总额或
    /// 养老金总额为计算基数，5000元以下（含5000元）的按0.5%交纳，5000元以上的按1%交纳。
    pub retiree_brackets: Vec<Bracket>,
    /// 中组发〔2008〕3号第六条：农民党员每月交纳党费0.2元至1元。The amount used when
    /// the branch has not set one for the member: the minimum, 20 fen.
    pub farmer_default_fen: i64,
    /// 中组发〔2008〕3号第六条：农民党员每月交纳党费0.2元至1元 — lower end, 20 fen.
    pub farmer_min_fen: i64,
    /// 中组发〔2008〕3号第六条：农民党员每月交纳党费0.2元至1元 — upper end, 100 fen.
    pub farmer_max_fen: i64,
    /// 中组发〔2008〕3号第六条：学生党员、下岗失业的党员、依靠抚恤或救济生活的党员、
    /// 领取当地最低生活保障金的党员，每月交纳党费0.2元 — 20 fen.
    pub student_unemployed_relief_fen: i64,
    /// The rule text shown to members with each assessment. Defaults quote
    /// 中组发〔2008〕3号 with article numbers; an organization applying a local
    /// implementing document (实施细则) replaces them together with the numbers.
    pub citations: DuesCitations,
}

impl Default for DuesRules {
    fn default() -> Self {
        DuesRules {
            employed_brackets: vec![
                Bracket::new(Some(300_000), 50),
                Bracket::new(Some(500_000), 100),
                Bracket::new(Some(1_000_000), 150),
                Bracket::new(None, 200),
            ],
            retiree_brackets: vec![Bracket::new(Some(500_000), 50), Bracket::new(None, 100)],
            farmer_default_fen: 20,
            farmer_min_fen: 20,
            farmer_max_fen: 100,
            student_unemployed_relief_fen: 20,
            citations: DuesCitations::default(),
        }
    }
}

/// Rule texts cited in [`DuesAssessment::rule`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DuesCitations {
    /// 中组发〔2008〕3号第一条、第二条 (employed members).
    pub employed: String,
    /// 中组发〔2008〕3号第五条 (retirees).
    pub retiree: String,
    /// 中组发〔2008〕3号第六条 (farmers).
    pub farmer: String,
    /// 中组发〔2008〕3号第六条 (students, the unemployed, members on relief).
    pub student_unemployed_relief: String,
    /// 中组发〔2008〕3号第七条 (reduction and waiver).
    pub adjustment: String,
}

impl Default for DuesCitations {
    fn default() -> Self {
        DuesCitations {
            employed: format!(
                "{SOURCE}第一条、第二条：按月领取工资的党员，每月以工资总额中相对固定的、经常性的工资收入（税后）\
                 为计算基数；每月工资收入（税后）在3000元以下（含3000元）者，交纳月工资收入的0.5%，\
                 3000元以上至5000元（含5000元）者交纳1%，5000元以上至10000元（含10000元）者交纳1.5%，\
                 10000元以上者交纳2%"
            ),
            retiree: format!(
                "{SOURCE}第五条：离退休干部、职工中的党员，每月以实际领取的离退休费总额或养老金总额为计算基数，\
                 5000元以下（含5000元）的按0.5%交纳党费，5000元以上的按1%交纳党费"
            ),
            farmer: format!("{SOURCE}第六条：农民党员每月交纳党费0.2元至1元"),
            student_unemployed_relief: format!(
                "{SOURCE}第六条：学生党员、下岗失业的党员、依靠抚恤或救济生活的党员、\
                 领取当地最低生活保障金的党员，每月交纳党费0.2元"
            ),
            adjustment: format!(
                "{SOURCE}第七条：交纳党费确有困难的党员，经党支部研究，报上一级党委批准后，可以少交或者免交"
            ),
        }
    }
}

impl DuesRules {
    /// Checks the configuration: each rate table non-empty, ascending strictly
    /// increasing non-negative bounds, only (and always) the last bracket
    /// unbounded, rates 0–10000 bp; 0 ≤ farmer min ≤ default ≤ max; fixed amounts ≥ 0.
    pub fn validate(&self) -> Result<(), DuesError> {
        check_brackets("在职党员比例表", &self.employed_brackets)?;
        check_brackets("离退休党员比例表", &self.retiree_brackets)?;
        let bad = |m: String| Err(DuesError::InvalidRules(m));
        if self.farmer_min_fen < 0 || self.farmer_min_fen > self.farmer_max_fen {
            return bad(format!(
                "农民党员定额范围 {} 元至 {} 元无效",
                yuan(self.farmer_min_fen),
                yuan(self.farmer_max_fen)
            ));
        }
        if !(self.farmer_min_fen..=self.farmer_max_fen).contains(&self.farmer_default_fen) {
            return bad(format!(
                "农民党员默认定额 {} 元不在 {} 元至 {} 元之间",
                yuan(self.farmer_default_fen),
                yuan(self.farmer_min_fen),
                yuan(self.farmer_max_fen)
            ));
        }
        if self.student_unemployed_relief_fen < 0 {
            return bad("学生、下岗失业、生活困难党员定额不能为负数".into());
        }
        Ok(())
    }

    /// The rate table for a category computed from a base; `None` for fixed-amount categories.
    pub fn brackets(&self, category: DuesCategory) -> Option<&[Bracket]> {
        match category {
            DuesCategory::Employed => Some(&self.employed_brackets),
            DuesCategory::Retiree => Some(&self.retiree_brackets),
            _ => None,
        }
    }

    /// Human-readable schedule for a category, one line per bracket (or the
    /// fixed amount), in the same wording as [`DuesAssessment::bracket`].
    pub fn schedule(&self, category: DuesCategory) -> Vec<String> {
        match self.brackets(category) {
            Some(bs) => (0..bs.len()).map(|i| bracket_label(category, bs, i)).collect(),
            None => vec![self.fixed_label(category)],
        }
    }

    fn fixed_label(&self, category: DuesCategory) -> String {
        if category == DuesCategory::Farmer {
            format!("农民党员每月定额 {} 元至 {} 元", yuan(self.farmer_min_fen), yuan(self.farmer_max_fen))
        } else {
            format!("学生、下岗失业、生活困难党员每月定额 {} 元", yuan(self.student_unemployed_relief_fen))
        }
    }

    fn citation(&self, category: DuesCategory) -> &str {
        match category {
            DuesCategory::Employed => &self.citations.employed,
            DuesCategory::Retiree => &self.citations.retiree,
            DuesCategory::Farmer => &self.citations.farmer,
            DuesCategory::StudentUnemployedRelief => &self.citations.student_unemployed_relief,
        }
    }
}

fn check_brackets(name: &str, brackets: &[Bracket]) -> Result<(), DuesError> {
    let bad = |m: &str| Err(DuesError::InvalidRules(format!("{name}{m}")));
    if brackets.is_empty() {
        return bad("不能为空");
    }
    let last = brackets.len() - 1;
    let mut prev: Option<i64> = None;
    for (i, b) in brackets.iter().enumerate() {
        if !(0..=10_000).contains(&b.rate_bp) {
            return bad("的比例应在 0% 至 100% 之间");
        }
        match (b.up_to_fen, i == last) {
            (None, true) => {}
            (None, false) => return bad("只有最后一档可以不设上限"),
            (Some(_), true) => return bad("最后一档不能设上限"),
            (Some(up), false) => {
                if up < 0 || prev.is_some_and(|p| up <= p) {
                    return bad("的上限应为非负数且逐档递增");
                }
                prev = Some(up);
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Assessment
// ---------------------------------------------------------------------------

/// What a member's dues are computed from in a given month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuesBasis {
    pub category: DuesCategory,
    /// Employed: after-tax fixed monthly wage; retiree: monthly pension — in
    /// fen. Required for those two categories, ignored for the others.
    #[serde(default)]
    pub base_fen: Option<i64>,
    /// Farmers: the monthly amount the branch set for this member, in fen;
    /// `None` = [`DuesRules::farmer_default_fen`]. Ignored for other categories.
    #[serde(default)]
    pub fixed_fen: Option<i64>,
}

/// 减交 / 免交.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// 减交: pay this amount (fen) instead; must be ≥ 0 and below the standard amount.
    Reduce { amount_fen: i64 },
    /// 免交: pay nothing.
    Waive,
}

impl AdjustmentKind {
    pub fn label(&self) -> &'static str {
        match self {
            AdjustmentKind::Reduce { .. } => "减交",
            AdjustmentKind::Waive => "免交",
        }
    }
}

/// An approved reduction or waiver. 中组发〔2008〕3号第七条：交纳党费确有困难的党员，
/// 经党支部研究，报上一级党委批准后，可以少交或者免交 — `approved_by` records who
/// decided (e.g. “XX党支部研究，XX党委批准”); both it and `reason` are required.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub kind: AdjustmentKind,
    pub reason: String,
    pub approved_by: String,
    /// First month covered.
    pub from: YearMonth,
    /// Last month covered, inclusive; `None` = until further notice.
    #[serde(default)]
    pub to: Option<YearMonth>,
}

impl Adjustment {
    pub fn covers(&self, month: YearMonth) -> bool {
        self.from <= month && self.to.is_none_or(|t| month <= t)
    }

    /// Checks what can be checked without a month's amount: reason and approver
    /// present, months valid and in order, reduced amount not negative.
    pub fn validate(&self) -> Result<(), DuesError> {
        if self.reason.trim().is_empty() {
            return Err(DuesError::EmptyReason);
        }
        if self.approved_by.trim().is_empty() {
            return Err(DuesError::EmptyApprover);
        }
        for m in std::iter::once(self.from).chain(self.to) {
            if !m.is_valid() {
                return Err(DuesError::InvalidMonth(m.to_string()));
            }
        }
        if let Some(to) = self.to {
            if to < self.from {
                return Err(DuesError::AdjustmentRange { from: self.from, to });
            }
        }
        if let AdjustmentKind::Reduce { amount_fen } = self.kind {
            if amount_fen < 0 {
                return Err(DuesError::NegativeReduction { amount_fen });
            }
        }
        Ok(())
    }
}

/// The amount owed for one month, with the explanation a member sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DuesAssessment {
    /// What is owed, after any adjustment.
    pub amount_fen: i64,
    /// What the schedule alone gives, before any adjustment (equal to
    /// `amount_fen` when there is none).
    pub standard_fen: i64,
    pub category: DuesCategory,
    /// The wage or pension used (employed, retiree).
    pub base_fen: Option<i64>,
    /// The rate applied (employed, retiree).
    pub rate_bp: Option<i64>,
    /// The bracket or fixed amount that applied, e.g.
    /// “税后月工资 3,000 元以上至 5,000 元（含）：1%”.
    pub bracket: String,
    /// The cited rule text; with an adjustment, the adjustment rule follows after “；”.
    pub rule: String,
    /// The reduction or waiver that applied.
    pub adjustment: Option<Adjustment>,
    /// One Chinese sentence, e.g. “按税后月工资 4,000.00 元，适用 1% 档，应交 40.00 元”.
    pub explanation: String,
}

/// Dues for one month. `adjustment` is applied as given — choosing the one that
/// covers the month is [`adjustment_for`]'s job.
pub fn assess(
    rules: &DuesRules,
    basis: &DuesBasis,
    adjustment: Option<&Adjustment>,
) -> Result<DuesAssessment, DuesError> {
    rules.validate()?;
    let category = basis.category;
    let mut a = match rules.brackets(category) {
        Some(brackets) => {
            let base = basis.base_fen.ok_or(DuesError::MissingBase { category })?;
            if base < 0 {
                return Err(DuesError::NegativeBase { category, base_fen: base });
            }
            let idx = brackets
                .iter()
                .position(|b| b.up_to_fen.is_none_or(|up| base <= up))
                .expect("validated: the last bracket is unbounded");
            let rate = brackets[idx].rate_bp;
            let amount = apply_rate(base, rate);
            DuesAssessment {
                amount_fen: amount,
                standard_fen: amount,
                category,
                base_fen: Some(base),
                rate_bp: Some(rate),
                bracket: bracket_label(category, brackets, idx),
                rule: rules.citation(category).to_string(),
                adjustment: None,
                explanation: format!(
                    "按{} {} 元，适用 {} 档，应交 {} 元",
                    category.base_name(),
                    yuan(base),
                    percent(rate),
                    yuan(amount)
                ),
            }
        }
        None => {
            let (amount, who) = if category == DuesCategory::Farmer {
                let amount = basis.fixed_fen.unwrap_or(rules.farmer_default_fen);
                if !(rules.farmer_min_fen..=rules.farmer_max_fen).contains(&amount) {
                    return Err(DuesError::FarmerOutOfRange {
                        amount_fen: amount,
                        min_fen: rules.farmer_min_fen,
                        max_fen: rules.farmer_max_fen,
                    });
                }
                (amount, "农民党员")
            } else {
                (rules.student_unemployed_relief_fen, "学生、下岗失业、生活困难党员")
            };
            DuesAssessment {
                amount_fen: amount,
                standard_fen: amount,
                category,
                base_fen: None,
                rate_bp: None,
                bracket: rules.fixed_label(category),
                rule: rules.citation(category).to_string(),
                adjustment: None,
                explanation: format!("{who}每月定额交纳，应交 {} 元", yuan(amount)),
            }
        }
    };
    if let Some(adj) = adjustment {
        adj.validate()?;
        let reason = adj.reason.trim();
        let approver = adj.approved_by.trim();
        match adj.kind {
            AdjustmentKind::Reduce { amount_fen } => {
                if amount_fen >= a.standard_fen {
                    return Err(DuesError::ReductionNotLower { amount_fen, standard_fen: a.standard_fen });
                }
                a.amount_fen = amount_fen;
                a.explanation.push_str(&format!("；因{reason}，经{approver}批准减交为 {} 元", yuan(amount_fen)));
            }
            AdjustmentKind::Waive => {
                a.amount_fen = 0;
                a.explanation.push_str(&format!("；因{reason}，经{approver}批准免交"));
            }
        }
        a.rule.push('；');
        a.rule.push_str(&rules.citations.adjustment);
        a.adjustment = Some(adj.clone());
    }
    Ok(a)
}

/// `base × rate`, rounded half-up to the fen, in integers: a product of exactly
/// x.5 fen rounds up, anything below .5 rounds down. Cannot overflow: the rate
/// is at most 10000 bp, so the result never exceeds the base.
fn apply_rate(base_fen: i64, rate_bp: i64) -> i64 {
    debug_assert!(base_fen >= 0 && (0..=10_000).contains(&rate_bp));
    let product = base_fen as i128 * rate_bp as i128;
    ((product + 5_000) / 10_000) as i64
}

fn bracket_label(category: DuesCategory, brackets: &[Bracket], idx: usize) -> String {
    let name = category.base_name();
    let lower = idx.checked_sub(1).and_then(|i| brackets[i].up_to_fen);
    let rate = percent(brackets[idx].rate_bp);
    match (lower, brackets[idx].up_to_fen) {
        (None, Some(hi)) => format!("{name} {} 元以下（含）：{rate}", yuan_bound(hi)),
        (Some(lo), Some(hi)) => {
            format!("{name} {} 元以上至 {} 元（含）：{rate}", yuan_bound(lo), yuan_bound(hi))
        }
        (Some(lo), None) => format!("{name} {} 元以上：{rate}", yuan_bound(lo)),
        (None, None) => format!("{name}（不分档）：{rate}"),
    }
}

// ---------------------------------------------------------------------------
// History and ledger
// ---------------------------------------------------------------------------

/// A change of basis effective from a month. 中组发〔2008〕3号第十条：党员工资收入发生
/// 变化后，从按新工资标准领取工资的当月起，以新的工资收入为基数交纳党费 — so `from`
/// is the month the new wage is first paid. (第八条：预备党员从支部大会通过其为预备党员
/// 之日起交纳党费 — the first change starts in that month.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisChange {
    pub from: YearMonth,
    pub basis: DuesBasis,
}

/// Which basis applies in `month`: the latest change with `from <= month`
/// (the later entry in the slice if two share a month); `None` before the
/// first. The slice need not be sorted.
pub fn basis_for(history: &[BasisChange], month: YearMonth) -> Option<&DuesBasis> {
    history.iter().filter(|c| c.from <= month).max_by_key(|c| c.from).map(|c| &c.basis)
}

/// The adjustment covering `month`, if any. When several cover it, the one
/// starting latest wins (the later entry in the slice if two start in the same
/// month): a newer branch decision supersedes an older open-ended one, so an
/// append-only record can always be corrected by adding a decision.
pub fn adjustment_for(adjustments: &[Adjustment], month: YearMonth) -> Option<&Adjustment> {
    adjustments.iter().filter(|a| a.covers(month)).max_by_key(|a| a.from)
}

/// One payment, attributed by the caller to the month it pays for (a payment
/// covering several months is recorded once per month). A negative amount is a
/// correction of an earlier entry; a month's total must not be negative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub month: YearMonth,
    pub amount_fen: i64,
}

/// One month of a [`ledger`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthLine {
    pub month: YearMonth,
    /// 0 before the first basis change.
    pub owed_fen: i64,
    /// Sum of the payments attributed to this month.
    pub paid_fen: i64,
    /// `None` before the first basis change.
    pub assessment: Option<DuesAssessment>,
}

impl MonthLine {
    /// `owed − paid`: positive = still owed, negative = paid more than owed.
    pub fn balance_fen(&self) -> i64 {
        self.owed_fen.saturating_sub(self.paid_fen)
    }

    /// What is still owed for this month: `max(owed − paid, 0)`.
    pub fn outstanding_fen(&self) -> i64 {
        self.balance_fen().max(0)
    }
}

/// Month by month from `from` to `to` (inclusive): what was owed (the basis of
/// [`basis_for`] with the adjustment of [`adjustment_for`]) and what was paid.
/// Payments outside the range are ignored. Refuses invalid or reversed months,
/// a month whose payments total less than zero, invalid adjustments (all of
/// them, not only those in range), and any month that cannot be assessed — the
/// error then names the month (`DuesError::InMonth`, code of the cause).
pub fn ledger(
    rules: &DuesRules,
    history: &[BasisChange],
    adjustments: &[Adjustment],
    payments: &[Payment],
    from: YearMonth,
    to: YearMonth,
) -> Result<Vec<MonthLine>, DuesError> {
    for m in [from, to] {
        if !m.is_valid() {
            return Err(DuesError::InvalidMonth(m.to_string()));
        }
    }
    if from > to {
        return Err(DuesError::MonthRange { from, to });
    }
    rules.validate()?;
    for adj in adjustments {
        adj.validate()?;
    }
    let mut paid: BTreeMap<YearMonth, i64> = BTreeMap::new();
    for p in payments.iter().filter(|p| (from..=to).contains(&p.month)) {
        let sum = paid.entry(p.month).or_insert(0);
        *sum = sum.checked_add(p.amount_fen).ok_or(DuesError::AmountOverflow { month: p.month })?;
    }
    if let Some((&month, &amount_fen)) = paid.iter().find(|(_, &sum)| sum < 0) {
        return Err(DuesError::NegativePayment { month, amount_fen });
    }
    from.iter_to(to)
        .map(|month| {
            let assessment = match basis_for(history, month) {
                None => None,
                Some(basis) => {
                    let adj = adjustment_for(adjustments, month);
                    Some(assess(rules, basis, adj).map_err(|e| e.in_month(month))?)
                }
            };
            Ok(MonthLine {
                month,
                owed_fen: assessment.as_ref().map_or(0, |a| a.amount_fen),
                paid_fen: paid.get(&month).copied().unwrap_or(0),
                assessment,
            })
        })
        .collect()
}

/// Total still owed: the sum of `max(owed − paid, 0)` — an overpaid month does
/// not offset another (money is attributed to months by the caller).
pub fn arrears_fen(lines: &[MonthLine]) -> i64 {
    lines.iter().fold(0i64, |sum, l| sum.saturating_add(l.outstanding_fen()))
}

/// Consecutive months, counting back from the last line (lines in month order,
/// as [`ledger`] returns them), with something owed and nothing paid. A month
/// with any payment, or with nothing owed (waived, or before the first basis),
/// ends the streak. Compare with [`LAPSE_UNPAID_MONTHS`] (党章第九条：连续六个月
/// 不交纳党费 … 视为自行脱党); whether there was a 正当理由 is for the branch.
pub fn unpaid_streak(lines: &[MonthLine]) -> usize {
    lines.iter().rev().take_while(|l| l.owed_fen > 0 && l.paid_fen == 0).count()
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

/// Fen as yuan with two decimals and thousands separators: 400000 → "4,000.00".
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", group(abs / 100), abs % 100)
}

fn yuan_ref(fen: &i64) -> String {
    yuan(*fen)
}

/// A bracket bound: whole yuan without decimals ("3,000"), otherwise as [`yuan`].
fn yuan_bound(fen: i64) -> String {
    if fen % 100 == 0 {
        let sign = if fen < 0 { "-" } else { "" };
        format!("{sign}{}", group(fen.unsigned_abs() / 100))
    } else {
        yuan(fen)
    }
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Basis points as a percentage without trailing zeros: 50 → "0.5%", 100 → "1%", 125 → "1.25%".
pub fn percent(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let bp = bp.unsigned_abs();
    let (whole, frac) = (bp / 100, bp % 100);
    if frac == 0 {
        format!("{sign}{whole}%")
    } else if frac % 10 == 0 {
        format!("{sign}{whole}.{}%", frac / 10)
    } else {
        format!("{sign}{whole}.{frac:02}%")
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(s: &str) -> YearMonth {
        YearMonth::parse(s).unwrap()
    }

    fn employed(base_fen: i64) -> DuesBasis {
        DuesBasis { category: DuesCategory::Employed, base_fen: Some(base_fen), fixed_fen: None }
    }

    fn retiree(base_fen: i64) -> DuesBasis {
        DuesBasis { category: DuesCategory::Retiree, base_fen: Some(base_fen), fixed_fen: None }
    }

    fn farmer(fixed: Option<i64>) -> DuesBasis {
        DuesBasis { category: DuesCategory::Farmer, base_fen: None, fixed_fen: fixed }
    }

    fn owed(basis: &DuesBasis) -> i64 {
        assess(&DuesRules::default(), basis, None).unwrap().amount_fen
    }

    fn adj(kind: AdjustmentKind, from: &str, to: Option<&str>) -> Adjustment {
        Adjustment {
            kind, reason: "生活困难".into(), approved_by: "机关党委".into(), from: ym(from), to: to.map(ym)
        }
    }

    // --- categories -------------------------------------------------------

    #[test]
    fn category_codes_labels_parse() {
        for &c in DuesCategory::ALL {
            assert_eq!(DuesCategory::parse(c.code()), Some(c));
            assert_eq!(DuesCategory::parse(c.label()), Some(c));
            assert_eq!(DuesCategory::parse(&format!(" {}党员 ", c.label())), Some(c));
        }
        assert_eq!(DuesCategory::StudentUnemployedRelief.code(), "student_unemployed_relief");
        assert_eq!(DuesCategory::parse("离退休"), Some(DuesCategory::Retiree));
        assert_eq!(DuesCategory::parse("工人"), None);
        assert_eq!(serde_json::to_string(&DuesCategory::Farmer).unwrap(), "\"farmer\"");
        let c: DuesCategory = serde_json::from_str("\"在职\"").unwrap();
        assert_eq!(c, DuesCategory::Employed);
        assert!(serde_json::from_str::<DuesCategory>("\"x\"").is_err());
    }

    // --- employed brackets --------------------------------------------------

    #[test]
    fn employed_brackets_at_every_boundary() {
        // (base in fen, expected fen, expected rate bp)
        let cases = [
            (0, 0, 50),
            (300_000, 1_500, 50),     // 3,000.00 → 15.00 (0.5%)
            (300_001, 3_000, 100),    // 300001 × 1% = 3000.01 fen → 3000
            (500_000, 5_000, 100),    // 5,000.00 → 50.00
            (500_001, 7_500, 150),    // 500001 × 1.5% = 7500.015 fen → 7500
            (1_000_000, 15_000, 150), // 10,000.00 → 150.00
            (1_000_001, 20_000, 200), // 1000001 × 2% = 20000.02 fen → 20000
        ];
        for (base, expected, rate) in cases {
            let a = assess(&DuesRules::default(), &employed(base), None).unwrap();
            assert_eq!(a.amount_fen, expected, "base {base}");
            assert_eq!(a.standard_fen, expected);
            assert_eq!(a.rate_bp, Some(rate), "base {base}");
            assert_eq!(a.base_fen, Some(base));
            assert!(a.adjustment.is_none());
        }
    }

    #[test]
    fn employed_labels_and_explanation() {
        let a = assess(&DuesRules::default(), &employed(400_000), None).unwrap();
        assert_eq!(a.amount_fen, 4_000);
        assert_eq!(a.bracket, "税后月工资 3,000 元以上至 5,000 元（含）：1%");
        assert_eq!(a.explanation, "按税后月工资 4,000.00 元，适用 1% 档，应交 40.00 元");
        assert!(a.rule.starts_with("中组发〔2008〕3号《关于中国共产党党费收缴、使用和管理的规定》第一条、第二条"));
        assert_eq!(
            DuesRules::default().schedule(DuesCategory::Employed),
            vec![
                "税后月工资 3,000 元以下（含）：0.5%",
                "税后月工资 3,000 元以上至 5,000 元（含）：1%",
                "税后月工资 5,000 元以上至 10,000 元（含）：1.5%",
                "税后月工资 10,000 元以上：2%",
            ]
        );
        let top = assess(&DuesRules::default(), &employed(1_234_567), None).unwrap();
        assert_eq!(top.bracket, "税后月工资 10,000 元以上：2%");
        assert_eq!(top.amount_fen, 24_691); // 24691.34 → 24691
        assert_eq!(top.explanation, "按税后月工资 12,345.67 元，适用 2% 档，应交 246.91 元");
    }

    // --- retirees -------------------------------------------------------------

    #[test]
    fn retiree_boundary() {
        let a = assess(&DuesRules::default(), &retiree(500_000), None).unwrap();
        assert_eq!((a.amount_fen, a.rate_bp), (2_500, Some(50)));
        assert_eq!(a.bracket, "月离退休费（养老金） 5,000 元以下（含）：0.5%");
        assert_eq!(a.explanation, "按月离退休费（养老金） 5,000.00 元，适用 0.5% 档，应交 25.00 元");
        assert!(a.rule.contains("第五条"));
        let b = assess(&DuesRules::default(), &retiree(500_001), None).unwrap();
        assert_eq!((b.amount_fen, b.rate_bp), (5_000, Some(100))); // 5000.01 → 5000
        assert_eq!(b.bracket, "月离退休费（养老金） 5,000 元以上：1%");
    }

    // --- rounding ---------------------------------------------------------------

    #[test]
    fn half_up_rounding() {
        // Exactly .5 fen rounds up.
        assert_eq!(apply_rate(100, 50), 1); // 0.5
        assert_eq!(apply_rate(1_100, 50), 6); // 5.5
        assert_eq!(apply_rate(300_050, 100), 3_001); // 3000.5
        assert_eq!(owed(&employed(300_050)), 3_001); // 3,000.50 yuan is in the 1% bracket
        assert_eq!(owed(&employed(100_100)), 501); // 0.5% of 100,100 fen = 500.5 → 501
        assert_eq!(owed(&employed(500_700)), 7_511); // 1.5% of 500,700 = 7510.5 → 7511
                                                     // Below .5 rounds down.
        assert_eq!(apply_rate(98, 50), 0); // 0.49
        assert_eq!(owed(&employed(1_001)), 5); // 5.005 → 5
        assert_eq!(owed(&employed(1_099)), 5); // 5.495 → 5
        assert_eq!(owed(&employed(100_099)), 500); // 500.495 → 500
                                                   // Above .5 rounds up.
        assert_eq!(owed(&employed(1_101)), 6); // 5.505 → 6
                                               // Huge bases do not overflow.
        assert_eq!(apply_rate(i64::MAX, 10_000), i64::MAX);
        assert_eq!(owed(&employed(i64::MAX)), apply_rate(i64::MAX, 200));
    }

    // --- fixed amounts ------------------------------------------------------------

    #[test]
    fn farmers_fixed_amounts() {
        let rules = DuesRules::default();
        let a = assess(&rules, &farmer(None), None).unwrap();
        assert_eq!(a.amount_fen, 20);
        assert_eq!((a.base_fen, a.rate_bp), (None, None));
        assert_eq!(a.bracket, "农民党员每月定额 0.20 元至 1.00 元");
        assert_eq!(a.explanation, "农民党员每月定额交纳，应交 0.20 元");
        assert!(a.rule.ends_with("第六条：农民党员每月交纳党费0.2元至1元"));
        assert_eq!(owed(&farmer(Some(20))), 20);
        assert_eq!(owed(&farmer(Some(50))), 50);
        assert_eq!(owed(&farmer(Some(100))), 100);
        for bad in [19, 101, 0, -20] {
            let e = assess(&rules, &farmer(Some(bad)), None).unwrap_err();
            assert_eq!(e.code(), "farmer_amount_out_of_range");
        }
        let e = assess(&rules, &farmer(Some(101)), None).unwrap_err();
        assert_eq!(e.to_string(), "农民党员每月党费定额 1.01 元超出规定范围（0.20 元至 1.00 元）");
    }

    #[test]
    fn students_unemployed_relief_pay_20_fen() {
        let basis =
            DuesBasis { category: DuesCategory::StudentUnemployedRelief, base_fen: Some(999_999), fixed_fen: Some(77) };
        let a = assess(&DuesRules::default(), &basis, None).unwrap();
        assert_eq!(a.amount_fen, 20);
        assert_eq!(a.bracket, "学生、下岗失业、生活困难党员每月定额 0.20 元");
        assert_eq!(a.explanation, "学生、下岗失业、生活困难党员每月定额交纳，应交 0.20 元");
        assert!(a.rule.contains("领取当地最低生活保障金的党员，每月交纳党费0.2元"));
    }

    // --- refusals ---------------------------------------------------------------

    #[test]
    fn base_refusals() {
        let rules = DuesRules::default();
        let e = assess(&rules, &employed(-1), None).unwrap_err();
        assert_eq!(e.code(), "negative_base");
        assert_eq!(e.to_string(), "税后月工资不能为负数（-0.01 元）");
        for category in [DuesCategory::Employed, DuesCategory::Retiree] {
            let e = assess(&rules, &DuesBasis { category, base_fen: None, fixed_fen: Some(20) }, None).unwrap_err();
            assert_eq!(e.code(), "missing_base");
        }
        let e = assess(&rules, &DuesBasis { category: DuesCategory::Retiree, base_fen: None, fixed_fen: None }, None)
            .unwrap_err();
        assert_eq!(e.to_string(), "离退休党员须填写月离退休费（养老金），才能计算党费");
    }

    // --- adjustments --------------------------------------------------------------

    #[test]
    fn reduction_and_waiver() {
        let rules = DuesRules::default();
        let reduce = adj(AdjustmentKind::Reduce { amount_fen: 1_000 }, "2026-01", None);
        let a = assess(&rules, &employed(400_000), Some(&reduce)).unwrap();
        assert_eq!((a.amount_fen, a.standard_fen), (1_000, 4_000));
        assert_eq!(
            a.explanation,
            "按税后月工资 4,000.00 元，适用 1% 档，应交 40.00 元；因生活困难，经机关党委批准减交为 10.00 元"
        );
        assert!(a.rule.contains("；中组发〔2008〕3号《关于中国共产党党费收缴、使用和管理的规定》第七条"));
        assert_eq!(a.adjustment.as_ref(), Some(&reduce));

        // Reducing to zero is allowed (it is a reduction, not a waiver in name).
        let zero = adj(AdjustmentKind::Reduce { amount_fen: 0 }, "2026-01", None);
        assert_eq!(assess(&rules, &employed(400_000), Some(&zero)).unwrap().amount_fen, 0);

        let waive = Adjustment { approved_by: " 机关党委 ".into(), ..adj(AdjustmentKind::Waive, "2026-01", None) };
        let w = assess(&rules, &retiree(300_000), Some(&waive)).unwrap();
        assert_eq!((w.amount_fen, w.standard_fen), (0, 1_500));
        assert_eq!(
            w.explanation,
            "按月离退休费（养老金） 3,000.00 元，适用 0.5% 档，应交 15.00 元；因生活困难，经机关党委批准免交"
        );
        let f = assess(&rules, &farmer(Some(50)), Some(&waive)).unwrap();
        assert_eq!(f.amount_fen, 0);
    }

    #[test]
    fn adjustment_refusals() {
        let rules = DuesRules::default();
        let b = employed(400_000); // 40.00 yuan
        let code = |a: &Adjustment| assess(&rules, &b, Some(a)).unwrap_err().code();
        assert_eq!(code(&adj(AdjustmentKind::Reduce { amount_fen: 4_000 }, "2026-01", None)), "reduction_not_lower");
        assert_eq!(code(&adj(AdjustmentKind::Reduce { amount_fen: 5_000 }, "2026-01", None)), "reduction_not_lower");
        assert_eq!(code(&adj(AdjustmentKind::Reduce { amount_fen: -1 }, "2026-01", None)), "negative_reduction");
        let no_reason = Adjustment { reason: "  ".into(), ..adj(AdjustmentKind::Waive, "2026-01", None) };
        assert_eq!(code(&no_reason), "empty_reason");
        let no_approver = Adjustment { approved_by: String::new(), ..adj(AdjustmentKind::Waive, "2026-01", None) };
        assert_eq!(code(&no_approver), "empty_approver");
        assert_eq!(code(&adj(AdjustmentKind::Waive, "2026-05", Some("2026-04"))), "adjustment_range");
        // Nothing owed: any reduction is "not lower".
        let e = assess(&rules, &employed(0), Some(&adj(AdjustmentKind::Reduce { amount_fen: 0 }, "2026-01", None)))
            .unwrap_err();
        assert_eq!(e.code(), "reduction_not_lower");
        assert_eq!(e.to_string(), "减交后的数额 0.00 元应低于按标准应交的 0.00 元；如不再交纳，请选择免交");
    }

    // --- months -------------------------------------------------------------------

    #[test]
    fn year_month_parse_and_display() {
        assert_eq!(ym("2026-03"), YearMonth { year: 2026, month: 3 });
        assert_eq!(ym("2026-3"), YearMonth { year: 2026, month: 3 });
        assert_eq!(ym(" 2026/03 "), YearMonth { year: 2026, month: 3 });
        assert_eq!(ym("2026/12"), YearMonth { year: 2026, month: 12 });
        assert_eq!(ym("2026年3月"), YearMonth { year: 2026, month: 3 });
        assert_eq!(ym("2026年03月"), YearMonth { year: 2026, month: 3 });
        assert_eq!(ym("2026/3").to_string(), "2026-03");
        for bad in [
            "2026-13",
            "2026-00",
            "2026-0",
            "26-03",
            "2026-003",
            "2026-03-01",
            "202603",
            "2026 03",
            "2026-",
            "-03",
            "2026年3",
            "2026-+3",
            "２０２６-03",
            "",
            "abcd-ef",
            "2026.03",
        ] {
            let e = YearMonth::parse(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_month", "{bad:?}");
        }
        assert_eq!(
            YearMonth::parse("2026-13").unwrap_err().to_string(),
            "“2026-13”不是有效的年月，请写作 2026-03（也接受 2026/03、2026年3月）"
        );
        assert_eq!("2026-07".parse::<YearMonth>().unwrap(), ym("2026-07"));
        assert_eq!(serde_json::to_string(&ym("2026-07")).unwrap(), "\"2026-07\"");
        assert_eq!(serde_json::from_str::<YearMonth>("\"2026/7\"").unwrap(), ym("2026-07"));
        assert!(serde_json::from_str::<YearMonth>("\"2026-13\"").is_err());
        assert_eq!(YearMonth::new(2026, 13), None);
        assert!(!YearMonth { year: 2026, month: 0 }.is_valid());
    }

    #[test]
    fn year_month_arithmetic() {
        assert_eq!(ym("2025-12").next(), ym("2026-01"));
        assert_eq!(ym("2026-01").prev(), ym("2025-12"));
        assert_eq!(ym("2026-06").next(), ym("2026-07"));
        assert_eq!(ym("2026-07").prev(), ym("2026-06"));
        let d = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        assert_eq!(YearMonth::of(d), ym("2026-02"));
        assert_eq!(ym("2026-02").first_day(), NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
        let months: Vec<String> = ym("2025-11").iter_to(ym("2026-02")).map(|m| m.to_string()).collect();
        assert_eq!(months, ["2025-11", "2025-12", "2026-01", "2026-02"]);
        assert_eq!(ym("2026-03").iter_to(ym("2026-03")).count(), 1);
        assert_eq!(ym("2026-03").iter_to(ym("2026-02")).count(), 0);
        assert!(ym("2025-12") < ym("2026-01"));
    }

    // --- history and ledger -------------------------------------------------------

    #[test]
    fn basis_for_across_changes() {
        let history = vec![
            // unsorted on purpose
            BasisChange { from: ym("2026-07"), basis: employed(600_000) }, // raise from July
            BasisChange { from: ym("2025-01"), basis: employed(400_000) },
        ];
        assert_eq!(basis_for(&history, ym("2024-12")), None);
        assert_eq!(basis_for(&history, ym("2025-01")), Some(&employed(400_000)));
        assert_eq!(basis_for(&history, ym("2026-06")), Some(&employed(400_000)));
        assert_eq!(basis_for(&history, ym("2026-07")), Some(&employed(600_000)));
        assert_eq!(basis_for(&history, ym("2030-01")), Some(&employed(600_000)));
        // Same month twice: the later entry wins.
        let twice = vec![
            BasisChange { from: ym("2026-01"), basis: employed(1) },
            BasisChange { from: ym("2026-01"), basis: employed(2) },
        ];
        assert_eq!(basis_for(&twice, ym("2026-01")), Some(&employed(2)));
    }

    #[test]
    fn ledger_across_year_boundary_with_arrears() {
        let rules = DuesRules::default();
        let history = vec![
            BasisChange { from: ym("2025-11"), basis: employed(400_000) }, // 40.00
            BasisChange { from: ym("2026-02"), basis: employed(600_000) }, // 90.00
        ];
        let adjustments = vec![adj(AdjustmentKind::Waive, "2026-03", Some("2026-03"))];
        let payments = vec![
            Payment { month: ym("2025-11"), amount_fen: 4_000 },
            Payment { month: ym("2025-12"), amount_fen: 1_000 },
            Payment { month: ym("2025-12"), amount_fen: 1_000 },
            Payment { month: ym("2026-01"), amount_fen: 5_000 }, // overpaid by 10.00
            Payment { month: ym("2026-09"), amount_fen: 9_000 }, // outside the range: ignored
        ];
        let lines = ledger(&rules, &history, &adjustments, &payments, ym("2025-10"), ym("2026-04")).unwrap();
        let got: Vec<(String, i64, i64)> =
            lines.iter().map(|l| (l.month.to_string(), l.owed_fen, l.paid_fen)).collect();
        assert_eq!(
            got,
            vec![
                ("2025-10".to_string(), 0, 0),
                ("2025-11".to_string(), 4_000, 4_000),
                ("2025-12".to_string(), 4_000, 2_000),
                ("2026-01".to_string(), 4_000, 5_000),
                ("2026-02".to_string(), 9_000, 0),
                ("2026-03".to_string(), 0, 0),
                ("2026-04".to_string(), 9_000, 0),
            ]
        );
        assert!(lines[0].assessment.is_none());
        let march = lines[5].assessment.as_ref().unwrap();
        assert_eq!((march.standard_fen, march.amount_fen), (9_000, 0));
        assert!(march.adjustment.is_some());
        assert_eq!(lines[3].balance_fen(), -1_000);
        assert_eq!(lines[3].outstanding_fen(), 0);
        // 20.00 (Dec) + 90.00 (Feb) + 90.00 (Apr); January's overpayment does not offset.
        assert_eq!(arrears_fen(&lines), 20_000);
        // April unpaid, March waived (owed 0) ends the streak.
        assert_eq!(unpaid_streak(&lines), 1);
    }

    #[test]
    fn ledger_refusals() {
        let rules = DuesRules::default();
        let history = vec![BasisChange { from: ym("2026-01"), basis: employed(400_000) }];
        let e = ledger(&rules, &history, &[], &[], ym("2026-05"), ym("2026-04")).unwrap_err();
        assert_eq!(e.code(), "month_range");
        let bad = YearMonth { year: 2026, month: 13 };
        assert_eq!(ledger(&rules, &history, &[], &[], ym("2026-01"), bad).unwrap_err().code(), "invalid_month");
        // Corrections (negative entries) net out; a negative month total is refused.
        let pay = [
            Payment { month: ym("2026-01"), amount_fen: 4_000 },
            Payment { month: ym("2026-01"), amount_fen: -4_000 }, // entered against the wrong month
            Payment { month: ym("2026-02"), amount_fen: 4_000 },
        ];
        let lines = ledger(&rules, &history, &[], &pay, ym("2026-01"), ym("2026-02")).unwrap();
        assert_eq!((lines[0].paid_fen, lines[1].paid_fen), (0, 4_000));
        let pay =
            [Payment { month: ym("2026-01"), amount_fen: 100 }, Payment { month: ym("2026-01"), amount_fen: -101 }];
        let e = ledger(&rules, &history, &[], &pay, ym("2026-01"), ym("2026-02")).unwrap_err();
        assert_eq!(e.code(), "negative_payment");
        assert_eq!(e.to_string(), "2026-01 的交纳金额合计为负数（-0.01 元），请核对更正记录");
        // Outside the range: ignored.
        let pay = [Payment { month: ym("2025-01"), amount_fen: -1 }];
        assert!(ledger(&rules, &history, &[], &pay, ym("2026-01"), ym("2026-02")).is_ok());
        // A reduction that stops being lower after a pay cut: the error names the month.
        let history = vec![
            BasisChange { from: ym("2026-01"), basis: employed(400_000) },
            BasisChange { from: ym("2026-03"), basis: employed(100_000) }, // 5.00
        ];
        let reduce = [adj(AdjustmentKind::Reduce { amount_fen: 1_000 }, "2026-01", None)];
        let e = ledger(&rules, &history, &reduce, &[], ym("2026-01"), ym("2026-06")).unwrap_err();
        assert_eq!(e.code(), "reduction_not_lower");
        assert!(e.to_string().starts_with("2026-03：减交后的数额 10.00 元"), "{e}");
        // A missing base, likewise.
        let history = vec![BasisChange {
            from: ym("2026-02"),
            basis: DuesBasis { category: DuesCategory::Employed, base_fen: None, fixed_fen: None },
        }];
        let e = ledger(&rules, &history, &[], &[], ym("2026-01"), ym("2026-03")).unwrap_err();
        assert_eq!((e.code(), e.to_string().starts_with("2026-02：")), ("missing_base", true));
    }

    #[test]
    fn newer_adjustment_supersedes() {
        let adjustments = vec![
            adj(AdjustmentKind::Waive, "2026-01", None),
            adj(AdjustmentKind::Reduce { amount_fen: 100 }, "2026-03", Some("2026-04")),
        ];
        assert_eq!(adjustment_for(&adjustments, ym("2025-12")), None);
        assert_eq!(adjustment_for(&adjustments, ym("2026-02")), Some(&adjustments[0]));
        assert_eq!(adjustment_for(&adjustments, ym("2026-03")), Some(&adjustments[1]));
        assert_eq!(adjustment_for(&adjustments, ym("2026-05")), Some(&adjustments[0]));
        let history = vec![BasisChange { from: ym("2026-01"), basis: employed(400_000) }];
        let lines = ledger(&DuesRules::default(), &history, &adjustments, &[], ym("2026-01"), ym("2026-05")).unwrap();
        let owed: Vec<i64> = lines.iter().map(|l| l.owed_fen).collect();
        assert_eq!(owed, [0, 0, 100, 100, 0]);
        // Same start month: the later entry wins.
        let same = [
            adj(AdjustmentKind::Waive, "2026-01", None),
            adj(AdjustmentKind::Reduce { amount_fen: 1 }, "2026-01", None),
        ];
        assert_eq!(adjustment_for(&same, ym("2026-01")), Some(&same[1]));
    }

    #[test]
    fn unpaid_streak_of_six() {
        let rules = DuesRules::default();
        let history = vec![BasisChange { from: ym("2025-01"), basis: retiree(300_000) }];
        let mut payments: Vec<Payment> =
            ym("2025-01").iter_to(ym("2025-08")).map(|month| Payment { month, amount_fen: 1_500 }).collect();
        let lines = ledger(&rules, &history, &[], &payments, ym("2025-01"), ym("2026-02")).unwrap();
        assert_eq!(unpaid_streak(&lines), 6); // 2025-09 … 2026-02
        assert!(unpaid_streak(&lines) >= LAPSE_UNPAID_MONTHS);
        assert_eq!(arrears_fen(&lines), 6 * 1_500);
        // A partial payment in December breaks the streak.
        payments.push(Payment { month: ym("2025-12"), amount_fen: 1 });
        let lines = ledger(&rules, &history, &[], &payments, ym("2025-01"), ym("2026-02")).unwrap();
        assert_eq!(unpaid_streak(&lines), 2);
        assert_eq!(unpaid_streak(&[]), 0);
    }

    // --- configuration ------------------------------------------------------------

    #[test]
    fn rules_validation_and_toml() {
        assert!(DuesRules::default().validate().is_ok());
        let mut r = DuesRules::default();
        r.employed_brackets[3].up_to_fen = Some(2_000_000);
        assert_eq!(r.validate().unwrap_err().code(), "invalid_dues_rules");
        let mut r = DuesRules::default();
        r.employed_brackets.swap(0, 1);
        assert!(r.validate().is_err());
        let mut r = DuesRules::default();
        r.retiree_brackets.clear();
        assert!(r.validate().is_err());
        let r = DuesRules { farmer_default_fen: 200, ..DuesRules::default() };
        assert!(assess(&r, &farmer(None), None).is_err());

        // A local document: farmers 0.50 yuan flat, one retiree rate.
        let text = r#"
            farmer_default_fen = 50
            farmer_min_fen = 50
            farmer_max_fen = 50
            retiree_brackets = [{ rate_bp = 50 }]
            [citations]
            farmer = "某省实施细则第七条：从事农牧渔业生产的农民党员每月交纳党费0.5元"
        "#;
        let r: DuesRules = toml::from_str(text).unwrap();
        assert_eq!(r.employed_brackets, DuesRules::default().employed_brackets);
        assert_eq!(r.citations.retiree, DuesCitations::default().retiree);
        let f = assess(&r, &farmer(None), None).unwrap();
        assert_eq!(f.amount_fen, 50);
        assert!(f.rule.starts_with("某省实施细则"));
        let ret = assess(&r, &retiree(900_000), None).unwrap();
        assert_eq!((ret.amount_fen, ret.bracket.as_str()), (4_500, "月离退休费（养老金）（不分档）：0.5%"));
        // Round trip.
        let back: DuesRules = toml::from_str(&toml::to_string(&DuesRules::default()).unwrap()).unwrap();
        assert_eq!(back, DuesRules::default());
    }

    #[test]
    fn formatting() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(-150), "-1.50");
        assert_eq!(yuan(i64::MIN), "-92,233,720,368,547,758.08");
        assert_eq!(yuan_bound(300_050), "3,000.50");
        assert_eq!(yuan_bound(100_000_000), "1,000,000");
        assert_eq!(percent(50), "0.5%");
        assert_eq!(percent(150), "1.5%");
        assert_eq!(percent(200), "2%");
        assert_eq!(percent(125), "1.25%");
        assert_eq!(percent(5), "0.05%");
    }

    #[test]
    fn serde_shapes() {
        let a = adj(AdjustmentKind::Reduce { amount_fen: 100 }, "2026-01", None);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["kind"], serde_json::json!({"kind": "reduce", "amount_fen": 100}));
        assert_eq!(json["from"], "2026-01");
        let back: Adjustment = serde_json::from_value(json).unwrap();
        assert_eq!(back, a);
        let w: AdjustmentKind = serde_json::from_str(r#"{"kind":"waive"}"#).unwrap();
        assert_eq!(w, AdjustmentKind::Waive);
        let b: DuesBasis = serde_json::from_str(r#"{"category":"retiree","base_fen":500000}"#).unwrap();
        assert_eq!(b, retiree(500_000));
        let s = serde_json::to_value(assess(&DuesRules::default(), &b, None).unwrap()).unwrap();
        assert_eq!(s["amount_fen"], 2_500);
        assert_eq!(s["category"], "retiree");
    }
}
