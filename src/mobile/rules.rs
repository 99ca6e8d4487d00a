//! 流动党员 rules. Pure: no DB, no HTTP, no clock (`today` is a parameter).
//!
//! - [`flags`]: what is wrong with one mobile member on a day — no 《流动党员活动证》, a stay long
//!   enough that the relationship should be transferred, an overdue “七个清楚” ledger, a transfer
//!   letter (介绍信) expired without its receipt (回执), the 自行脱党 check, no known place.
//! - [`quarter_gaps`]: who has no ledger entry yet in the current quarter (a to-do list; the
//!   quarter is not over, so this is not yet a flag).
//! - [`places`]: members away, grouped by place, and where 3 or more may form a 在外临时党支部.
//!
//! Decisions (each covered by a test):
//! - **Who is away.** From `left_on` (the first day away) up to the day before `returned_on`; on
//!   `returned_on` the member is back. Stay, certificate, ledger and place rules apply only while
//!   away; the letter and the 自行脱党 check apply to any member.
//! - **Six months.** A period of N months from day U is met on `add_months(U, N)` (the recruitment
//!   rule: 2026-01-31 + 1 month = 2026-02-28). A member who left on 2026-01-15 is away six months on
//!   2026-07-15: the first day “should transfer” is raised; on 2026-07-14 the member still needs the
//!   certificate.
//! - **Certificate or transfer.** Under 6 months, or 6+ months without a fixed place: the
//!   certificate. 6+ months at a fixed place ([`MobileMember::place_fixed`]): transfer the
//!   relationship. A member with a transfer letter issued is under the letter rule instead.
//! - **Ledger.** Calendar quarters (configurable frequency). Every quarter from the one the member
//!   left in needs an entry; an entry covers its own quarter. The ledger is overdue from the day
//!   after the first quarter without one ends: last entry 2026-03-31 → Q2 needs one → overdue from
//!   2026-07-01. No entry at all → the leaving quarter needs one.
//! - **Transfer letter.** Valid for the period written on it, else 3 months from issue, last day
//!   included (issued 2026-01-15 → valid to 2026-04-15, expired from 2026-04-16), as the
//!   recruitment deadlines are counted. Flagged while the 回执 has not come back.
//! - **自行脱党.** 党章第九条 says six consecutive months without organizational life, **or** without
//!   paying dues, **or** without doing assigned work. The flag follows the charter's “or” by default
//!   ([`LapseCondition::Either`]); a county that reads DOMAIN's “no organizational life and no
//!   dues” literally sets [`LapseCondition::Both`]. The message states both facts and which held.
//!   “不做党所分配的工作” is not recorded anywhere, so it is not computed. The six months run from
//!   the first day not covered: the day after the last meeting attended; the first day of the month
//!   after the last month paid (a month may be paid until it ends). With no record, from `left_on`.
//!   The flag starts the check only: 正当理由 is for the branch to establish, and 除名 is decided by
//!   the 支部大会 and approved above.
//! - **Places** are compared after [`normalize_place`]: whitespace removed (full-width too), ASCII
//!   lower-cased, one trailing “市” dropped when two or more characters remain, so “北京市”, “北京”
//!   and “ 北京 ” are one place but “沙市” stays “沙市”. Nothing else is merged: “北京市朝阳区” is
//!   its own place, so the store should keep the city.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::dues::rules::YearMonth;
use crate::meetings::rules::{periods, Frequency, Period};
use crate::recruitment::rules::add_months;

/// 《中国共产党章程》第九条 (自行脱党).
pub const SOURCE_CHARTER_9: &str = "《中国共产党章程》第九条：党员如果没有正当理由，连续六个月不参加党的组织生活，或不交纳党费，或不做党所分配的工作，就被认为是自行脱党";
/// The certificate, the transfer and the temporary branch. Title as commonly cited; the article
/// numbers were not verified.
pub const SOURCE_CERTIFICATE: &str = "中央组织部《流动党员活动证》使用管理规定：短期外出（6个月以内）或长期外出但暂时无法转移组织关系的党员使用活动证；长期（6个月以上）外出且有固定地点的，应转移正式组织关系；地点相对集中且有3名以上党员的，可建立临时党支部";
/// The quarterly ledger and its seven items.
pub const SOURCE_LEDGER: &str =
    "县级党建工作总结[004]：每季度更新在外流动党员情况台账，做到“七个清楚”";
/// The transfer letter.
pub const SOURCE_LETTER: &str =
    "《中国共产党党员组织关系介绍信》：有效期由开具的党组织填写，一般最长不超过3个月，实行回执制度";

// ---------------------------------------------------------------------------------------------
// Vocabularies
// ---------------------------------------------------------------------------------------------

crate::code_enum!(
    /// The “七个清楚” of the quarterly ledger, in the seed's words [004].
    LedgerItem {
        Time = ("time", "流动时间"),
        Whereabouts = ("whereabouts", "去向住址"),
        Contact = ("contact", "联系方式"),
        Employment = ("employment", "就业情况"),
        OrgLife = ("org_life", "组织生活"),
        Thinking = ("thinking", "思想动态"),
        Role = ("role", "作用发挥"),
    }
);

crate::code_enum!(
    /// Which facts raise the 自行脱党 flag.
    LapseCondition {
        // 党章第九条: either six months without organizational life or six without dues.
        Either = ("either", "任一情形"),
        // Both at once (DOMAIN.md's wording).
        Both = ("both", "两者同时"),
    }
);

crate::code_enum!(
    /// What a [`Flag`] is about. Stable codes for the API.
    FlagCode {
        DatesInconsistent = ("dates_inconsistent", "返回日期早于外出日期"),
        PlaceMissing = ("place_missing", "去向住址不清"),
        CertificateMissing = ("certificate_missing", "未发放流动党员活动证"),
        ShouldTransfer = ("should_transfer", "应转接组织关系"),
        LedgerOverdue = ("ledger_overdue", "台账逾期未更新"),
        LetterExpired = ("letter_expired", "介绍信逾期未回执"),
        Lapse = ("lapse", "按自行脱党核实"),
        TempBranchPossible = ("temp_branch_possible", "可建立在外临时党支部"),
    }
);

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// A county's mobile-member rules; every field has a published default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MobileRules {
    /// How often the “七个清楚” ledger is updated. Quarterly: seed [004] (每季度更新台账).
    pub ledger_frequency: Frequency,
    /// Away under this many months: the certificate; this many or more at a fixed place: transfer
    /// the relationship. 6: 《流动党员活动证》使用管理规定 (6个月以内 / 6个月以上).
    pub transfer_after_months: u32,
    /// Members away at one place who may form a 在外临时党支部. 3: 《流动党员活动证》使用管理规定
    /// (3名以上党员), DOMAIN.md §2.
    pub temp_branch_min_members: usize,
    /// A transfer letter with no validity written on it is valid this many months. 3: 介绍信
    /// 有效期一般最长不超过3个月.
    pub letter_valid_months: u32,
    /// Consecutive months without organizational life / dues. 6: 党章第九条.
    pub lapse_months: u32,
    /// Which of the two raises the flag. Either: 党章第九条 (“或”); see the module doc.
    pub lapse_condition: LapseCondition,
}

impl Default for MobileRules {
    fn default() -> Self {
        MobileRules {
            ledger_frequency: Frequency::Quarterly,
            transfer_after_months: 6,
            temp_branch_min_members: 3,
            letter_valid_months: 3,
            lapse_months: 6,
            lapse_condition: LapseCondition::Either,
        }
    }
}

/// A configuration that cannot be applied as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("{field}不能为0")]
    Zero { field: &'static str },
}

impl MobileRules {
    /// Refuses zero periods and counts.
    pub fn validate(&self) -> Result<(), RulesError> {
        let zero = [
            ("transfer_after_months", self.transfer_after_months as usize),
            ("temp_branch_min_members", self.temp_branch_min_members),
            ("letter_valid_months", self.letter_valid_months as usize),
            ("lapse_months", self.lapse_months as usize),
        ];
        match zero.iter().find(|(_, v)| *v == 0) {
            Some((field, _)) => Err(RulesError::Zero { field }),
            None => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------------------------

/// A transfer letter (组织关系介绍信) issued to a mobile member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferLetter {
    pub issued_on: NaiveDate,
    /// The last valid day written on the letter, when it has one.
    pub valid_until: Option<NaiveDate>,
    /// The receipt (回执) has come back: the receiving organization took the member in.
    pub returned: bool,
}

/// One member away, as the store knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MobileMember {
    pub member_id: i64,
    pub name: String,
    /// The first day away (外出报备).
    pub left_on: NaiveDate,
    /// Where the member lives away (city), as entered.
    pub place: String,
    /// The place is relatively fixed (a transfer is possible); false for members who move around.
    pub place_fixed: bool,
    /// The day the member came back, if they did.
    pub returned_on: Option<NaiveDate>,
    pub has_certificate: bool,
    /// The latest “七个清楚” ledger entry.
    pub last_ledger_on: Option<NaiveDate>,
    /// The last organizational life (meeting) attended, wherever.
    pub last_life_on: Option<NaiveDate>,
    /// The last month paid.
    pub last_dues_month: Option<YearMonth>,
    pub letter: Option<TransferLetter>,
    /// The 在外临时党支部 the member belongs to.
    pub temp_branch_id: Option<i64>,
}

impl MobileMember {
    /// Away on `day`: left on or before it and not yet back.
    pub fn away_on(&self, day: NaiveDate) -> bool {
        self.left_on <= day && self.returned_on.is_none_or(|r| r > day)
    }
}

/// Something to act on, with the rule and the records behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub code: FlagCode,
    /// The rule and its source.
    pub rule: String,
    /// Chinese; names the records and dates.
    pub message: String,
    /// The first day the flag holds, when it comes from a date.
    pub since: Option<NaiveDate>,
}

/// A member with no ledger entry yet in the current period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuarterGap {
    pub member_id: i64,
    pub name: String,
    pub quarter: Period,
    pub last_entry: Option<NaiveDate>,
    pub message: String,
}

/// Members away at one place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlaceSummary {
    /// [`normalize_place`]'s key; empty when the place is not filled in.
    pub place: String,
    /// The spellings seen, trimmed, in first-seen order.
    pub spellings: Vec<String>,
    pub member_ids: Vec<i64>,
    pub count: usize,
    /// Temporary branches the members there belong to.
    pub temp_branch_ids: Vec<i64>,
    /// `count` reaches [`MobileRules::temp_branch_min_members`] (never for an unknown place).
    pub may_form_temp_branch: bool,
    /// Set when a branch may be formed and none of the members there belongs to one.
    pub flag: Option<Flag>,
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The period of `f` holding `d`.
fn period_of(f: Frequency, d: NaiveDate) -> Period {
    periods(f, d, d).pop().unwrap_or(Period {
        start: d,
        end: d,
        label: d.to_string(),
    })
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap_or(d)
}

/// “六个月”, “3个月”.
fn months_cn(n: u32) -> String {
    match n {
        3 => "三个月".into(),
        6 => "六个月".into(),
        n => format!("{n}个月"),
    }
}

/// The key places are grouped by (see the module doc).
pub fn normalize_place(s: &str) -> String {
    let mut key: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if key.chars().count() >= 3 && key.ends_with('市') {
        key.pop();
    }
    key
}

/// The items of the “七个清楚” not in `present`, in order.
pub fn ledger_items_missing(present: &[LedgerItem]) -> Vec<LedgerItem> {
    LedgerItem::ALL
        .iter()
        .copied()
        .filter(|i| !present.contains(i))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------

/// Everything to act on for `m` on `today`, in a fixed order: dates, place, certificate or
/// transfer, ledger, letter, 自行脱党.
pub fn flags(rules: &MobileRules, m: &MobileMember, today: NaiveDate) -> Vec<Flag> {
    let name = &m.name;
    if let Some(r) = m.returned_on.filter(|&r| r < m.left_on) {
        return vec![Flag {
            code: FlagCode::DatesInconsistent,
            rule: "返回日期不能早于外出日期".into(),
            message: format!(
                "{name}的外出日期为{}，返回日期为{r}，早于外出日期，请核对。",
                m.left_on
            ),
            since: None,
        }];
    }
    let mut out = Vec::new();
    if m.away_on(today) {
        if m.place.trim().is_empty() {
            out.push(Flag {
                code: FlagCode::PlaceMissing,
                rule: SOURCE_LEDGER.into(),
                message: format!(
                    "{name}于{}外出，去向住址未填写，“七个清楚”缺去向住址。",
                    m.left_on
                ),
                since: Some(m.left_on),
            });
        }
        out.extend(stay_flag(rules, m, today));
        out.extend(ledger_flag(rules, m, today));
    }
    out.extend(letter_flag(rules, m, today));
    out.extend(lapse_flag(rules, m, today));
    out
}

/// The certificate or the transfer, for a member away on `today` with no letter issued.
fn stay_flag(rules: &MobileRules, m: &MobileMember, today: NaiveDate) -> Option<Flag> {
    if m.letter.is_some() {
        return None;
    }
    let n = rules.transfer_after_months;
    let long_from = add_months(m.left_on, n);
    let (name, place, left) = (&m.name, m.place.trim(), m.left_on);
    if today >= long_from && m.place_fixed {
        return Some(Flag {
            code: FlagCode::ShouldTransfer,
            rule: SOURCE_CERTIFICATE.into(),
            message: format!(
                "{name}于{left}外出至{place}，自{long_from}起已满{}且地点相对固定，至{today}仍未转接组织关系，应开具组织关系介绍信转入当地党组织。",
                months_cn(n)
            ),
            since: Some(long_from),
        });
    }
    if m.has_certificate {
        return None;
    }
    let why = if today >= long_from {
        format!(
            "自{long_from}起已满{}但地点不固定，暂无法转接组织关系",
            months_cn(n)
        )
    } else {
        format!("外出不满{}（{long_from}满{}）", months_cn(n), months_cn(n))
    };
    Some(Flag {
        code: FlagCode::CertificateMissing,
        rule: SOURCE_CERTIFICATE.into(),
        message: format!(
            "{name}于{left}外出至{place}，{why}，应持《流动党员活动证》，至{today}尚未发放。"
        ),
        since: Some(left),
    })
}

/// The first ledger period that needs an entry and has none, for a member away.
fn ledger_due_period(rules: &MobileRules, m: &MobileMember) -> Period {
    let f = rules.ledger_frequency;
    let first = period_of(f, m.left_on);
    match m.last_ledger_on {
        Some(last) if last >= first.start => period_of(f, next_day(period_of(f, last).end)),
        _ => first,
    }
}

fn ledger_flag(rules: &MobileRules, m: &MobileMember, today: NaiveDate) -> Option<Flag> {
    let due = ledger_due_period(rules, m);
    if today <= due.end {
        return None;
    }
    let last = match m.last_ledger_on {
        Some(d) if d >= period_of(rules.ledger_frequency, m.left_on).start => {
            format!("最近一次台账更新在{d}")
        }
        _ => format!("{}外出后没有台账记录", m.left_on),
    };
    Some(Flag {
        code: FlagCode::LedgerOverdue,
        rule: SOURCE_LEDGER.into(),
        message: format!(
            "{}{last}，{}（{}至{}）未更新“七个清楚”台账，自{}起逾期。",
            m.name,
            due.label,
            due.start,
            due.end,
            next_day(due.end)
        ),
        since: Some(next_day(due.end)),
    })
}

/// The last day a letter is valid.
pub fn letter_last_valid_day(rules: &MobileRules, letter: &TransferLetter) -> NaiveDate {
    letter
        .valid_until
        .unwrap_or_else(|| add_months(letter.issued_on, rules.letter_valid_months))
}

fn letter_flag(rules: &MobileRules, m: &MobileMember, today: NaiveDate) -> Option<Flag> {
    let letter = m.letter.as_ref().filter(|l| !l.returned)?;
    let last = letter_last_valid_day(rules, letter);
    if today <= last {
        return None;
    }
    let validity = match letter.valid_until {
        Some(_) => "介绍信注明".to_string(),
        None => format!("未注明有效期，按{}计", months_cn(rules.letter_valid_months)),
    };
    Some(Flag {
        code: FlagCode::LetterExpired,
        rule: SOURCE_LETTER.into(),
        message: format!(
            "{}的组织关系介绍信于{}开具，有效期至{last}（{validity}），自{}起已过期，至{today}未收到回执，应核实是否报到。",
            m.name,
            letter.issued_on,
            next_day(last)
        ),
        since: Some(next_day(last)),
    })
}

/// One half of the 自行脱党 check. `uncovered` is the first day the record does not cover and
/// the sentence naming the record (`None`: no record, count from `left_on`). Returns the day the
/// six months are met and that sentence.
fn lapse_part(
    rules: &MobileRules,
    m: &MobileMember,
    uncovered: Option<(NaiveDate, String)>,
    what: &str,
) -> (NaiveDate, String) {
    let (from, record) = uncovered.unwrap_or_else(|| {
        (
            m.left_on,
            format!("没有{what}记录，自外出日{}起算", m.left_on),
        )
    });
    (add_months(from, rules.lapse_months), record)
}

fn lapse_flag(rules: &MobileRules, m: &MobileMember, today: NaiveDate) -> Option<Flag> {
    let n = months_cn(rules.lapse_months);
    let life = lapse_part(
        rules,
        m,
        m.last_life_on
            .map(|d| (next_day(d), format!("最后一次参加组织生活在{d}"))),
        "参加组织生活",
    );
    let dues = lapse_part(
        rules,
        m,
        m.last_dues_month
            .map(|ym| (ym.next().first_day(), format!("最后交纳党费的月份为{ym}"))),
        "交纳党费",
    );
    let (life_held, dues_held) = (today >= life.0, today >= dues.0);
    // A part holds exactly when its day is on or before `today`, so the earlier day is the
    // first day “either” holds and the later the first day “both” hold.
    let (fires, since) = match rules.lapse_condition {
        LapseCondition::Either => (life_held || dues_held, life.0.min(dues.0)),
        LapseCondition::Both => (life_held && dues_held, life.0.max(dues.0)),
    };
    if !fires {
        return None;
    }
    let clause = |held: bool, (met, record): &(NaiveDate, String), act: &str| {
        if held {
            format!("{record}，至{met}已满连续{n}{act}")
        } else {
            format!("{record}，连续{act}尚不满{n}（{met}满）")
        }
    };
    Some(Flag {
        code: FlagCode::Lapse,
        rule: format!(
            "{SOURCE_CHARTER_9}（本系统：{}）",
            match rules.lapse_condition {
                LapseCondition::Either => "两项之一即提示",
                LapseCondition::Both => "两项同时满足才提示",
            }
        ),
        message: format!(
            "{}：{}；{}。请党支部核实有无正当理由；除名由支部大会决定并报上级党组织批准。",
            m.name,
            clause(life_held, &life, "未参加组织生活"),
            clause(dues_held, &dues, "未交纳党费"),
        ),
        since: Some(since),
    })
}

/// Members away on `today` with no ledger entry yet in the current period (quarter by default).
pub fn quarter_gaps(
    rules: &MobileRules,
    members: &[MobileMember],
    today: NaiveDate,
) -> Vec<QuarterGap> {
    let quarter = period_of(rules.ledger_frequency, today);
    members
        .iter()
        .filter(|m| m.away_on(today))
        .filter(|m| m.last_ledger_on.is_none_or(|d| d < quarter.start))
        .map(|m| {
            let last = m.last_ledger_on.map_or("没有台账记录".to_string(), |d| {
                format!("最近一次台账更新在{d}")
            });
            QuarterGap {
                member_id: m.member_id,
                name: m.name.clone(),
                message: format!(
                    "{}{last}，{}（{}至{}）尚未更新“七个清楚”台账，应在{}前更新。",
                    m.name, quarter.label, quarter.start, quarter.end, quarter.end
                ),
                quarter: quarter.clone(),
                last_entry: m.last_ledger_on,
            }
        })
        .collect()
}

/// Members away on `today`, grouped by [`normalize_place`], the largest first (ties by place).
pub fn places(
    rules: &MobileRules,
    members: &[MobileMember],
    today: NaiveDate,
) -> Vec<PlaceSummary> {
    let mut groups: BTreeMap<String, Vec<&MobileMember>> = BTreeMap::new();
    for m in members.iter().filter(|m| m.away_on(today)) {
        groups.entry(normalize_place(&m.place)).or_default().push(m);
    }
    let min = rules.temp_branch_min_members;
    let mut out: Vec<PlaceSummary> = groups
        .into_iter()
        .map(|(place, ms)| {
            let mut spellings: Vec<String> = Vec::new();
            let mut temp_branch_ids: Vec<i64> = Vec::new();
            for m in &ms {
                let s = m.place.trim().to_string();
                if !spellings.contains(&s) {
                    spellings.push(s);
                }
                if let Some(b) = m.temp_branch_id.filter(|b| !temp_branch_ids.contains(b)) {
                    temp_branch_ids.push(b);
                }
            }
            let count = ms.len();
            let may_form_temp_branch = !place.is_empty() && count >= min;
            let flag = (may_form_temp_branch && temp_branch_ids.is_empty()).then(|| Flag {
                code: FlagCode::TempBranchPossible,
                rule: SOURCE_CERTIFICATE.into(),
                message: format!(
                    "{today}在{}（{}）的流动党员有{count}名（{}），达到{min}名，尚未建立在外临时党支部，可以建立。",
                    place,
                    spellings.join("、"),
                    ms.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join("、"),
                ),
                since: None,
            });
            PlaceSummary {
                member_ids: ms.iter().map(|m| m.member_id).collect(),
                place,
                spellings,
                count,
                temp_branch_ids,
                may_form_temp_branch,
                flag,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.place.cmp(&b.place)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ym(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    /// Away since `left` at `place`, certificate held, and every record as of `left`.
    fn member(id: i64, name: &str, left: NaiveDate, place: &str) -> MobileMember {
        MobileMember {
            member_id: id,
            name: name.into(),
            left_on: left,
            place: place.into(),
            place_fixed: true,
            returned_on: None,
            has_certificate: true,
            last_ledger_on: Some(left),
            last_life_on: Some(left),
            last_dues_month: Some(YearMonth::of(left)),
            letter: None,
            temp_branch_id: None,
        }
    }

    /// The ledger, organizational life and dues all up to date on `today`.
    fn current(mut m: MobileMember, today: NaiveDate) -> MobileMember {
        m.last_ledger_on = Some(today);
        m.last_life_on = Some(today);
        m.last_dues_month = Some(YearMonth::of(today));
        m
    }

    fn codes(v: &[Flag]) -> Vec<&'static str> {
        v.iter().map(|f| f.code.code()).collect()
    }

    fn flags_on(m: &MobileMember, today: NaiveDate) -> Vec<Flag> {
        flags(&MobileRules::default(), m, today)
    }

    fn one(v: Vec<Flag>, code: FlagCode) -> Flag {
        let mut hits: Vec<Flag> = v.into_iter().filter(|f| f.code == code).collect();
        assert_eq!(hits.len(), 1, "{code:?}");
        hits.remove(0)
    }

    #[test]
    fn the_seven_items_in_the_seeds_words() {
        let labels: Vec<&str> = LedgerItem::ALL.iter().map(|i| i.label()).collect();
        assert_eq!(
            labels,
            [
                "流动时间",
                "去向住址",
                "联系方式",
                "就业情况",
                "组织生活",
                "思想动态",
                "作用发挥"
            ]
        );
        assert_eq!(LedgerItem::parse("去向住址"), Some(LedgerItem::Whereabouts));
        assert_eq!(LedgerItem::parse("org_life"), Some(LedgerItem::OrgLife));
        assert_eq!(
            ledger_items_missing(&[LedgerItem::Time, LedgerItem::Contact, LedgerItem::Role]),
            [
                LedgerItem::Whereabouts,
                LedgerItem::Employment,
                LedgerItem::OrgLife,
                LedgerItem::Thinking
            ]
        );
        assert!(ledger_items_missing(LedgerItem::ALL).is_empty());
    }

    #[test]
    fn defaults_from_an_empty_config_and_unknown_keys_refused() {
        let r: MobileRules = toml::from_str("").unwrap();
        assert_eq!(r, MobileRules::default());
        assert_eq!(r.lapse_condition, LapseCondition::Either);
        let r: MobileRules =
            toml::from_str("lapse_condition = \"两者同时\"\nledger_frequency = \"monthly\"")
                .unwrap();
        assert_eq!(r.lapse_condition, LapseCondition::Both);
        assert_eq!(r.ledger_frequency, Frequency::Monthly);
        assert!(toml::from_str::<MobileRules>("lapse_month = 6").is_err());
        assert!(MobileRules::default().validate().is_ok());
        let zero = MobileRules {
            letter_valid_months: 0,
            ..MobileRules::default()
        };
        assert_eq!(
            zero.validate(),
            Err(RulesError::Zero {
                field: "letter_valid_months"
            })
        );
    }

    #[test]
    fn six_months_away_the_first_day_transfer_is_raised() {
        let m = member(1, "张三", d(2026, 1, 15), "北京市");
        let eve = d(2026, 7, 14);
        assert!(flags_on(&current(m.clone(), eve), eve).is_empty());
        let day = d(2026, 7, 15);
        let f = one(
            flags_on(&current(m.clone(), day), day),
            FlagCode::ShouldTransfer,
        );
        assert_eq!(f.since, Some(day));
        assert_eq!(
            f.message,
            "张三于2026-01-15外出至北京市，自2026-07-15起已满六个月且地点相对固定，至2026-07-15仍未转接组织关系，应开具组织关系介绍信转入当地党组织。"
        );
        assert!(f.rule.contains("6个月以上"));
        // A letter issued: the transfer is under way, the letter rule applies instead.
        let mut with_letter = current(m, day);
        with_letter.letter = Some(TransferLetter {
            issued_on: day,
            valid_until: None,
            returned: false,
        });
        assert!(flags_on(&with_letter, day).is_empty());
    }

    #[test]
    fn six_months_from_a_month_end() {
        let m = member(1, "张三", d(2026, 8, 31), "西安");
        let (eve, day) = (d(2027, 2, 27), d(2027, 2, 28));
        assert!(codes(&flags_on(&current(m.clone(), eve), eve)).is_empty());
        assert_eq!(codes(&flags_on(&current(m, day), day)), ["should_transfer"]);
    }

    #[test]
    fn no_certificate_before_six_months_or_without_a_fixed_place() {
        let mut m = member(1, "李四", d(2026, 1, 15), "上海");
        m.has_certificate = false;
        let f = one(
            flags_on(&current(m.clone(), d(2026, 1, 15)), d(2026, 1, 15)),
            FlagCode::CertificateMissing,
        );
        assert_eq!(f.since, Some(d(2026, 1, 15)));
        assert_eq!(
            f.message,
            "李四于2026-01-15外出至上海，外出不满六个月（2026-07-15满六个月），应持《流动党员活动证》，至2026-01-15尚未发放。"
        );
        // Not yet left: nothing.
        assert!(flags_on(&current(m.clone(), d(2026, 1, 14)), d(2026, 1, 14)).is_empty());
        // Six months, no fixed place: still the certificate.
        m.place_fixed = false;
        let day = d(2026, 7, 15);
        let f = one(
            flags_on(&current(m.clone(), day), day),
            FlagCode::CertificateMissing,
        );
        assert!(
            f.message.contains("自2026-07-15起已满六个月但地点不固定"),
            "{}",
            f.message
        );
        m.has_certificate = true;
        assert!(flags_on(&current(m, day), day).is_empty());
    }

    #[test]
    fn back_on_the_return_day() {
        let mut m = member(1, "王五", d(2026, 1, 15), "太原");
        m.has_certificate = false;
        m.returned_on = Some(d(2026, 3, 1));
        assert!(m.away_on(d(2026, 2, 28)));
        assert!(!m.away_on(d(2026, 3, 1)));
        assert_eq!(
            codes(&flags_on(
                &current(m.clone(), d(2026, 2, 28)),
                d(2026, 2, 28)
            )),
            ["certificate_missing"]
        );
        assert!(flags_on(&current(m.clone(), d(2026, 3, 1)), d(2026, 3, 1)).is_empty());
        m.returned_on = Some(d(2026, 1, 14));
        let f = flags_on(&m, d(2026, 3, 1));
        assert_eq!(codes(&f), ["dates_inconsistent"]);
        assert_eq!(
            f[0].message,
            "王五的外出日期为2026-01-15，返回日期为2026-01-14，早于外出日期，请核对。"
        );
    }

    #[test]
    fn an_unknown_place_is_flagged() {
        let m = member(1, "赵六", d(2026, 1, 15), "  ");
        assert_eq!(
            codes(&flags_on(&current(m, d(2026, 2, 1)), d(2026, 2, 1))),
            ["place_missing"]
        );
    }

    #[test]
    fn ledger_overdue_from_the_day_after_the_quarter_without_an_entry() {
        let mut m = member(1, "张三", d(2026, 1, 15), "北京");
        m.last_ledger_on = Some(d(2026, 3, 31));
        let rules = MobileRules::default();
        for day in [d(2026, 4, 1), d(2026, 6, 30)] {
            let mut x = current(m.clone(), day);
            x.last_ledger_on = m.last_ledger_on;
            assert!(flags(&rules, &x, day).is_empty(), "{day}");
        }
        let day = d(2026, 7, 1);
        let mut x = current(m.clone(), day);
        x.last_ledger_on = m.last_ledger_on;
        let f = one(flags(&rules, &x, day), FlagCode::LedgerOverdue);
        assert_eq!(f.since, Some(day));
        assert_eq!(
            f.message,
            "张三最近一次台账更新在2026-03-31，2026年第二季度（2026-04-01至2026-06-30）未更新“七个清楚”台账，自2026-07-01起逾期。"
        );
        // An entry on the first day of Q2 covers Q2.
        x.last_ledger_on = Some(d(2026, 4, 1));
        assert!(flags(&rules, &x, day).is_empty());
    }

    #[test]
    fn ledger_with_no_entry_needs_one_in_the_leaving_quarter() {
        let mut m = member(1, "张三", d(2026, 2, 10), "北京");
        m.last_ledger_on = None;
        let eve = d(2026, 3, 31);
        let mut x = current(m.clone(), eve);
        x.last_ledger_on = None;
        assert!(flags_on(&x, eve).is_empty());
        let day = d(2026, 4, 1);
        let mut x = current(m.clone(), day);
        x.last_ledger_on = None;
        let f = one(flags_on(&x, day), FlagCode::LedgerOverdue);
        assert!(
            f.message
                .starts_with("张三2026-02-10外出后没有台账记录，2026年第一季度"),
            "{}",
            f.message
        );
        // An entry from an earlier trip does not count.
        x.last_ledger_on = Some(d(2025, 12, 31));
        assert_eq!(codes(&flags_on(&x, day)), ["ledger_overdue"]);
        // Across the year end: an entry in 2025 Q4 → 2026 Q1 is overdue from 2026-04-01.
        let mut y = member(2, "李四", d(2025, 11, 1), "北京");
        y = current(y, day);
        y.last_ledger_on = Some(d(2025, 12, 31));
        assert!(one(flags_on(&y, day), FlagCode::LedgerOverdue)
            .message
            .contains("2026年第一季度"));
        y.last_ledger_on = Some(d(2026, 1, 1));
        assert!(flags_on(&y, day).is_empty());
    }

    #[test]
    fn quarter_gaps_turn_at_the_quarter_boundary() {
        let rules = MobileRules::default();
        let mut a = member(1, "张三", d(2026, 1, 15), "北京");
        a.last_ledger_on = Some(d(2026, 3, 31));
        let mut b = member(2, "李四", d(2026, 1, 15), "北京");
        b.last_ledger_on = Some(d(2026, 4, 1));
        let mut c = member(3, "王五", d(2026, 1, 15), "北京");
        c.last_ledger_on = None;
        let mut back = member(4, "赵六", d(2026, 1, 15), "北京");
        back.last_ledger_on = None;
        back.returned_on = Some(d(2026, 3, 20));
        let all = [a, b, c, back];
        let on_31 = quarter_gaps(&rules, &all, d(2026, 3, 31));
        assert_eq!(on_31.iter().map(|g| g.member_id).collect::<Vec<_>>(), [3]);
        let on_1 = quarter_gaps(&rules, &all, d(2026, 4, 1));
        assert_eq!(on_1.iter().map(|g| g.member_id).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(on_1[0].quarter.label, "2026年第二季度");
        assert_eq!(on_1[0].last_entry, Some(d(2026, 3, 31)));
        assert_eq!(
            on_1[0].message,
            "张三最近一次台账更新在2026-03-31，2026年第二季度（2026-04-01至2026-06-30）尚未更新“七个清楚”台账，应在2026-06-30前更新。"
        );
        let q4 = quarter_gaps(&rules, &all, d(2026, 12, 31));
        assert_eq!(q4[0].quarter.label, "2026年第四季度");
        assert_eq!(q4.len(), 3);
    }

    #[test]
    fn letter_expires_the_day_after_its_last_valid_day() {
        let mut m = member(1, "张三", d(2026, 1, 10), "北京");
        m.letter = Some(TransferLetter {
            issued_on: d(2026, 1, 15),
            valid_until: None,
            returned: false,
        });
        let last = d(2026, 4, 15);
        assert_eq!(
            letter_last_valid_day(&MobileRules::default(), m.letter.as_ref().unwrap()),
            last
        );
        assert!(flags_on(&current(m.clone(), last), last).is_empty());
        let day = d(2026, 4, 16);
        let f = one(
            flags_on(&current(m.clone(), day), day),
            FlagCode::LetterExpired,
        );
        assert_eq!(f.since, Some(day));
        assert_eq!(
            f.message,
            "张三的组织关系介绍信于2026-01-15开具，有效期至2026-04-15（未注明有效期，按三个月计），自2026-04-16起已过期，至2026-04-16未收到回执，应核实是否报到。"
        );
        // The receipt came back: nothing. After return home: still checked.
        m.letter.as_mut().unwrap().returned = true;
        assert!(flags_on(&current(m.clone(), day), day).is_empty());
        m.letter = Some(TransferLetter {
            issued_on: d(2026, 1, 15),
            valid_until: Some(d(2026, 2, 14)),
            returned: false,
        });
        m.returned_on = Some(d(2026, 2, 1));
        assert!(flags_on(&current(m.clone(), d(2026, 2, 14)), d(2026, 2, 14)).is_empty());
        let f = one(
            flags_on(&current(m, d(2026, 2, 15)), d(2026, 2, 15)),
            FlagCode::LetterExpired,
        );
        assert!(
            f.message.contains("有效期至2026-02-14（介绍信注明）"),
            "{}",
            f.message
        );
    }

    #[test]
    fn letter_from_a_month_end() {
        let mut m = member(1, "张三", d(2025, 11, 1), "北京");
        m.letter = Some(TransferLetter {
            issued_on: d(2025, 11, 30),
            valid_until: None,
            returned: false,
        });
        assert!(flags_on(&current(m.clone(), d(2026, 2, 28)), d(2026, 2, 28)).is_empty());
        assert_eq!(
            codes(&flags_on(&current(m, d(2026, 3, 1)), d(2026, 3, 1))),
            ["letter_expired"]
        );
    }

    /// Ledger current and a certificate, so only the lapse can fire.
    fn lapse_case(
        life: Option<NaiveDate>,
        dues: Option<YearMonth>,
        today: NaiveDate,
    ) -> MobileMember {
        let mut m = member(1, "张三", d(2025, 12, 1), "北京");
        m.place_fixed = false;
        m.last_ledger_on = Some(today);
        m.last_life_on = life;
        m.last_dues_month = dues;
        m
    }

    #[test]
    fn lapse_either_six_months_without_organizational_life() {
        let life = Some(d(2026, 1, 10));
        let dues = Some(ym(2026, 6));
        let eve = d(2026, 7, 10);
        assert!(flags_on(&lapse_case(life, dues, eve), eve).is_empty());
        let day = d(2026, 7, 11);
        let f = one(flags_on(&lapse_case(life, dues, day), day), FlagCode::Lapse);
        assert_eq!(f.since, Some(day));
        assert_eq!(
            f.message,
            "张三：最后一次参加组织生活在2026-01-10，至2026-07-11已满连续六个月未参加组织生活；最后交纳党费的月份为2026-06，连续未交纳党费尚不满六个月（2027-01-01满）。请党支部核实有无正当理由；除名由支部大会决定并报上级党组织批准。"
        );
        assert!(f.rule.starts_with(SOURCE_CHARTER_9));
        assert!(f.rule.contains("两项之一即提示"));
    }

    #[test]
    fn lapse_either_six_months_without_dues() {
        let life = Some(d(2026, 7, 1));
        let dues = Some(ym(2026, 1));
        // 2026-02 … 2026-07 unpaid: six months once July is over.
        let eve = d(2026, 7, 31);
        assert!(flags_on(&lapse_case(life, dues, eve), eve).is_empty());
        let day = d(2026, 8, 1);
        let f = one(flags_on(&lapse_case(life, dues, day), day), FlagCode::Lapse);
        assert_eq!(f.since, Some(day));
        assert!(
            f.message
                .contains("最后交纳党费的月份为2026-01，至2026-08-01已满连续六个月未交纳党费"),
            "{}",
            f.message
        );
        assert!(
            f.message
                .contains("连续未参加组织生活尚不满六个月（2027-01-02满）"),
            "{}",
            f.message
        );
    }

    #[test]
    fn lapse_both_needs_both() {
        let rules = MobileRules {
            lapse_condition: LapseCondition::Both,
            ..MobileRules::default()
        };
        let life = Some(d(2026, 1, 10)); // met 2026-07-11
        let dues = Some(ym(2026, 2)); // met 2026-09-01
        let only_life = d(2026, 8, 31);
        assert!(flags(&rules, &lapse_case(life, dues, only_life), only_life).is_empty());
        let day = d(2026, 9, 1);
        let f = one(
            flags(&rules, &lapse_case(life, dues, day), day),
            FlagCode::Lapse,
        );
        assert_eq!(f.since, Some(day));
        assert!(f.rule.contains("两项同时满足才提示"));
        // The default (either) flagged it from the first.
        assert_eq!(
            one(flags_on(&lapse_case(life, dues, day), day), FlagCode::Lapse).since,
            Some(d(2026, 7, 11))
        );
    }

    #[test]
    fn lapse_with_no_records_counts_from_leaving() {
        // Left 2025-12-01: six months on 2026-06-01.
        let eve = d(2026, 5, 31);
        assert!(flags_on(&lapse_case(None, None, eve), eve).is_empty());
        let day = d(2026, 6, 1);
        let f = one(flags_on(&lapse_case(None, None, day), day), FlagCode::Lapse);
        assert!(
            f.message
                .contains("没有参加组织生活记录，自外出日2025-12-01起算，至2026-06-01已满"),
            "{}",
            f.message
        );
        assert!(
            f.message
                .contains("没有交纳党费记录，自外出日2025-12-01起算，至2026-06-01已满"),
            "{}",
            f.message
        );
    }

    #[test]
    fn places_are_normalized() {
        assert_eq!(normalize_place(" 北京市 "), "北京");
        assert_eq!(normalize_place("北 京"), "北京");
        assert_eq!(normalize_place("\u{3000}北京\u{3000}"), "北京");
        assert_eq!(normalize_place("沙市"), "沙市");
        assert_eq!(normalize_place("Beijing"), "beijing");
        assert_eq!(normalize_place("北京市朝阳区"), "北京市朝阳区");
    }

    #[test]
    fn three_at_one_place_may_form_a_temporary_branch_two_may_not() {
        let rules = MobileRules::default();
        let today = d(2026, 5, 1);
        let mut ms = vec![
            member(1, "张三", d(2026, 1, 1), "北京"),
            member(2, "李四", d(2026, 1, 1), "北京市"),
            member(3, "王五", d(2026, 1, 1), "西安"),
            member(4, "赵六", d(2026, 1, 1), "西安市"),
            member(5, "孙七", d(2026, 1, 1), ""),
            member(6, "周八", d(2026, 1, 1), " "),
            member(7, "吴九", d(2026, 1, 1), "北京"),
        ];
        ms[6].returned_on = Some(d(2026, 4, 1)); // back: not counted
        let two = places(&rules, &ms, today);
        assert_eq!(
            two.iter()
                .map(|p| (p.place.as_str(), p.count))
                .collect::<Vec<_>>(),
            [("", 2), ("北京", 2), ("西安", 2)]
        );
        assert!(two
            .iter()
            .all(|p| !p.may_form_temp_branch && p.flag.is_none()));

        ms[6].returned_on = None;
        ms[6].place = " 北京 ".into();
        let three = places(&rules, &ms, today);
        let bj = &three[0];
        assert_eq!((bj.place.as_str(), bj.count), ("北京", 3));
        assert_eq!(bj.spellings, ["北京", "北京市"]);
        assert_eq!(bj.member_ids, [1, 2, 7]);
        assert!(bj.may_form_temp_branch);
        let f = bj.flag.as_ref().unwrap();
        assert_eq!(f.code, FlagCode::TempBranchPossible);
        assert_eq!(
            f.message,
            "2026-05-01在北京（北京、北京市）的流动党员有3名（张三、李四、吴九），达到3名，尚未建立在外临时党支部，可以建立。"
        );

        // A temporary branch exists there: may form, nothing to flag.
        ms[0].temp_branch_id = Some(9);
        let with_branch = places(&rules, &ms, today);
        assert!(with_branch[0].may_form_temp_branch);
        assert_eq!(with_branch[0].temp_branch_ids, [9]);
        assert!(with_branch[0].flag.is_none());

        // Three with no place filled in are not a place.
        let blanks: Vec<MobileMember> = (1..=3)
            .map(|i| member(i, "某", d(2026, 1, 1), ""))
            .collect();
        let p = places(&rules, &blanks, today);
        assert_eq!(p[0].count, 3);
        assert!(!p[0].may_form_temp_branch);
    }
}
