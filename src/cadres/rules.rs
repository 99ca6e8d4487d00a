//! Village cadre rules. Pure: no DB, no HTTP, no clock (`today` is a parameter).
//!
//! - [`missing_docs`]: the 一人一档 documents a secretary's archive lacks.
//! - [`reserve_warnings`]: a village's 后备干部库 against “不少于5名，其中1至2名党组织书记后备”.
//! - [`one_shoulder_ratio`]: the share of villages whose secretary is also the 村委会主任, in
//!   integer basis points (88 of 133 → 6617, the seed's 66.17%).
//! - [`first_secretary_flags`]: a 选派第一书记's term ending soon or over.
//! - [`warning_signs`]: the “四不一起” signs the system can compute.
//! - [`team_warnings`]: a leadership team with no current 书记, several, or a post ending before
//!   it starts.
//!
//! Decisions (each covered by a test):
//! - **The 13 documents.** The seed [004] says the county set “13类人档资料” but does not list
//!   them. [`ArchiveDoc`] is a local default list of 13 from common 村党组织书记“一人一档” practice;
//!   a county sets its own in [`CadreRules::required_docs`].
//! - **“四不一起”** in the seed: 不胜任、不称职、工作被动且教育培训起色不大、村级集体经济年收益低于
//!   5万元且发展思路不清、年龄超过60周岁且精神懈怠. Computed: age over 60, the village's
//!   collective income below 50,000 yuan, and an annual assessment of 不称职 (when the grade is
//!   recorded). Each is only the measurable half: “且精神懈怠”, “且发展思路不清” are for the
//!   organization to judge, and the flag says so. Not computable: 不胜任, 工作被动且教育培训起色
//!   不大, 精神懈怠, 发展思路不清.
//! - **“超过60周岁”** excludes 60 itself (《民法典》第一千二百五十九条：“超过”不包括本数): on the
//!   60th birthday a person is 满60周岁, not over; the flag fires from the next day.
//! - **“低于5万元”** excludes 50,000.00 yuan: 4,999,999 fen is flagged, 5,000,000 is not. Money is
//!   integer fen.
//! - **Terms.** A first secretary who started on S has served two years on `add_months(S, 24)`
//!   (the recruitment module's “满一年” rule): the term is over from that day; “ending soon”
//!   starts `first_secretary_notice_months` before it.
//! - **Team posts.** `end` is the day the post ends (免职日期): the holder is in post from `start`
//!   up to the day before `end`, so a successor starting on the same day does not make two
//!   secretaries. A post with `end == start` held no day; `end < start` is flagged.
//! - **Ratio rounding.** Half up to the basis point; no villages → `None`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::dues::rules::yuan;
use crate::recruitment::rules::{add_months, birthday};

/// The reserves rule in the seed.
pub const SOURCE_RESERVES: &str = "《绛县农村基层干部差异化管理办法(试行)》[004]：每村后备力量总数不少于5名，其中1至2名党组织书记后备";
/// The “四不一起” list in the seed.
pub const SOURCE_FOUR: &str = "县级党建工作总结[004]：调整退出不胜任、不称职、工作被动且教育培训起色不大、村级集体经济年收益低于5万元且发展思路不清、年龄超过60周岁且精神懈怠的“四不一起”村党组织书记";
/// The 一人一档 archive in the seed.
pub const SOURCE_ARCHIVE: &str =
    "《绛县村(社区)党组织书记备案管理档案建立说明》[004]：规范设置13类人档资料（类目为本地默认）";
/// The first secretary's term. Title as commonly cited; the article was not verified.
pub const SOURCE_FIRST_SECRETARY: &str =
    "中共中央办公厅《关于向重点乡村持续选派驻村第一书记和工作队的意见》（2021年）：一般每届任期2年";
/// The 一肩挑 figure in the seed.
pub const SOURCE_ONE_SHOULDER: &str =
    "县级党建工作总结[004]：村“两委”主干“一肩挑”，全县实现“一肩挑”行政村88个，占比66.17%";

// ---------------------------------------------------------------------------------------------
// Vocabularies
// ---------------------------------------------------------------------------------------------

crate::code_enum!(
    /// The 13 kinds of documents of a secretary's 一人一档 archive (local default, see the
    /// module doc).
    ArchiveDoc {
        BasicInfo = ("basic_info", "基本信息表"),
        IdCard = ("id_card", "身份证复印件"),
        Education = ("education", "学历证明"),
        PartyAdmission = ("party_admission", "入党材料"),
        Appointment = ("appointment", "任职文件"),
        AnnualReport = ("annual_report", "年度述职报告"),
        AnnualAssessment = ("annual_assessment", "年度考核结果"),
        PersonalMatters = ("personal_matters", "个人有关事项报告"),
        Training = ("training", "培训记录"),
        RewardsPenalties = ("rewards_penalties", "奖惩情况"),
        JointReview = ("joint_review", "联审资格审查"),
        IntegrityTalk = ("integrity_talk", "廉政谈话记录"),
        PublicReview = ("public_review", "群众评议"),
    }
);

crate::code_enum!(
    /// Grades of a cadre's annual assessment.
    AssessmentGrade {
        Excellent = ("excellent", "优秀"),
        Competent = ("competent", "称职"),
        BasicallyCompetent = ("basically_competent", "基本称职"),
        Incompetent = ("incompetent", "不称职"),
    }
);

crate::code_enum!(
    /// Posts in an organization's leadership team.
    TeamPost {
        Secretary = ("secretary", "书记"),
        DeputySecretary = ("deputy_secretary", "副书记"),
        Member = ("member", "委员"),
    }
);

crate::code_enum!(
    /// What a [`Flag`] is about. Stable codes for the API.
    FlagCode {
        ReservesTooFew = ("reserves_too_few", "后备力量不足"),
        SecretaryReservesTooFew = ("secretary_reserves_too_few", "书记后备不足"),
        SecretaryReservesTooMany = ("secretary_reserves_too_many", "书记后备超过要求"),
        ReserveCountsInconsistent = ("reserve_counts_inconsistent", "后备人数矛盾"),
        FirstSecretaryTermEnding = ("first_secretary_term_ending", "第一书记任期将满"),
        FirstSecretaryTermOver = ("first_secretary_term_over", "第一书记任期已满"),
        AgeOver = ("age_over", "年龄超过60周岁"),
        IncomeLow = ("income_low", "村集体经济年收益低于5万元"),
        AssessedIncompetent = ("assessed_incompetent", "年度考核不称职"),
        NoSecretary = ("no_secretary", "无在任书记"),
        SeveralSecretaries = ("several_secretaries", "在任书记多于一名"),
        EndBeforeStart = ("end_before_start", "任职结束早于开始"),
    }
);

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// A county's cadre rules; every field has a published or local default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CadreRules {
    /// The documents every secretary's archive holds. All 13 of [`ArchiveDoc`]: the seed's count
    /// (13类) [004]; the list itself is 本地默认.
    pub required_docs: Vec<ArchiveDoc>,
    /// Reserves per village, at least. 5: seed [004] (每村后备力量总数不少于5名).
    pub reserves_min: u32,
    /// Reserves for secretary among them. 1 to 2: seed [004] (其中1至2名党组织书记后备).
    pub secretary_reserves_min: u32,
    pub secretary_reserves_max: u32,
    /// A 选派第一书记's term. 24 months: 中办2021年意见 (一般每届任期2年).
    pub first_secretary_term_months: u32,
    /// “Term ending” is raised this many months before the term is over. 3: 本地默认.
    pub first_secretary_notice_months: u32,
    /// Flag a secretary older than this. 60: seed [004] (年龄超过60周岁).
    pub age_over_years: u32,
    /// Flag a village whose yearly collective income is below this, in fen. 5,000,000 (5万元):
    /// seed [004] (村级集体经济年收益低于5万元).
    pub income_below_fen: i64,
}

impl Default for CadreRules {
    fn default() -> Self {
        CadreRules {
            required_docs: ArchiveDoc::ALL.to_vec(),
            reserves_min: 5,
            secretary_reserves_min: 1,
            secretary_reserves_max: 2,
            first_secretary_term_months: 24,
            first_secretary_notice_months: 3,
            age_over_years: 60,
            income_below_fen: 5_000_000,
        }
    }
}

/// A configuration that cannot be applied as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("{field}不能为0")]
    Zero { field: &'static str },
    #[error("secretary_reserves_min（{min}）不能大于secretary_reserves_max（{max}）")]
    Inverted { min: u32, max: u32 },
}

impl CadreRules {
    /// Refuses a zero term or age and an inverted secretary-reserve range.
    pub fn validate(&self) -> Result<(), RulesError> {
        let zero = [
            (
                "first_secretary_term_months",
                self.first_secretary_term_months,
            ),
            ("age_over_years", self.age_over_years),
        ];
        if let Some((field, _)) = zero.iter().find(|(_, v)| *v == 0) {
            return Err(RulesError::Zero { field });
        }
        if self.secretary_reserves_min > self.secretary_reserves_max {
            return Err(RulesError::Inverted {
                min: self.secretary_reserves_min,
                max: self.secretary_reserves_max,
            });
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------------------------

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

/// Who heads a village: its Party secretary and its 村委会主任, as member ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VillageHeads {
    pub village_id: i64,
    pub secretary_id: Option<i64>,
    pub director_id: Option<i64>,
}

impl VillageHeads {
    /// One person holds both posts.
    pub fn one_shoulder(&self) -> bool {
        matches!((self.secretary_id, self.director_id), (Some(s), Some(d)) if s == d)
    }
}

/// The 一肩挑 ratio over a set of villages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OneShoulderRatio {
    pub villages: u32,
    pub one_shoulder: u32,
    /// `one_shoulder / villages` in basis points (10000 = 100%), half up; `None` with no villages.
    pub basis_points: Option<u32>,
}

impl OneShoulderRatio {
    /// “66.17%”, or “—” with no villages.
    pub fn percent(&self) -> String {
        self.basis_points
            .map_or("—".into(), |bp| format!("{}.{:02}%", bp / 100, bp % 100))
    }
}

/// A 选派第一书记.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstSecretary {
    pub name: String,
    pub village: String,
    pub started_on: NaiveDate,
    /// The day the posting ended (recalled, rotated), if it did.
    pub ended_on: Option<NaiveDate>,
}

/// A village's collective income for one year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearIncome {
    pub year: i32,
    pub fen: i64,
}

/// One year's assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub year: i32,
    pub grade: AssessmentGrade,
}

/// What the system holds about a village secretary for the “四不一起” signs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretaryFacts {
    pub name: String,
    pub village: String,
    pub birth_date: Option<NaiveDate>,
    /// The latest year of the village's collective income on record.
    pub collective_income: Option<YearIncome>,
    /// The latest annual assessment on record.
    pub latest_assessment: Option<Assessment>,
}

/// One post held in a leadership team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSeat {
    pub member_id: i64,
    pub name: String,
    pub post: TeamPost,
    pub start: NaiveDate,
    /// The day the post ends (免职日期): not in post from that day.
    pub end: Option<NaiveDate>,
}

impl TeamSeat {
    /// In post on `day`.
    pub fn holds_on(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|e| day < e)
    }
}

// ---------------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------------

/// The required documents not in `present`, in the order of [`CadreRules::required_docs`].
pub fn missing_docs(rules: &CadreRules, present: &[ArchiveDoc]) -> Vec<ArchiveDoc> {
    let mut out: Vec<ArchiveDoc> = Vec::new();
    for doc in &rules.required_docs {
        if !present.contains(doc) && !out.contains(doc) {
            out.push(*doc);
        }
    }
    out
}

/// A village's reserves (`count`, of which `for_secretary` for secretary) against the rule.
pub fn reserve_warnings(rules: &CadreRules, count: u32, for_secretary: u32) -> Vec<Flag> {
    let flag = |code, message: String| Flag {
        code,
        rule: SOURCE_RESERVES.into(),
        message,
        since: None,
    };
    let (min, smin, smax) = (
        rules.reserves_min,
        rules.secretary_reserves_min,
        rules.secretary_reserves_max,
    );
    let mut out = Vec::new();
    if for_secretary > count {
        out.push(flag(
            FlagCode::ReserveCountsInconsistent,
            format!("书记后备{for_secretary}名多于后备力量总数{count}名，请核对。"),
        ));
    }
    if count < min {
        out.push(flag(
            FlagCode::ReservesTooFew,
            format!("后备力量{count}名，少于{min}名，还需{}名。", min - count),
        ));
    }
    if for_secretary < smin {
        out.push(flag(
            FlagCode::SecretaryReservesTooFew,
            format!("党组织书记后备{for_secretary}名，少于{smin}名。"),
        ));
    }
    if for_secretary > smax {
        out.push(flag(
            FlagCode::SecretaryReservesTooMany,
            format!("党组织书记后备{for_secretary}名，多于要求的{smin}至{smax}名。"),
        ));
    }
    out
}

/// The 一肩挑 ratio over `villages`.
pub fn one_shoulder_ratio(villages: &[VillageHeads]) -> OneShoulderRatio {
    let total = villages.len() as u64;
    let one = villages.iter().filter(|v| v.one_shoulder()).count() as u64;
    let basis_points = (total > 0).then(|| ((one * 20_000 + total) / (2 * total)) as u32);
    OneShoulderRatio {
        villages: total as u32,
        one_shoulder: one as u32,
        basis_points,
    }
}

/// A first secretary's term ending within the notice period, or over, while still posted.
pub fn first_secretary_flags(
    rules: &CadreRules,
    fs: &FirstSecretary,
    today: NaiveDate,
) -> Vec<Flag> {
    if today < fs.started_on || fs.ended_on.is_some_and(|e| e <= today) {
        return Vec::new();
    }
    let term = rules.first_secretary_term_months;
    let over = add_months(fs.started_on, term);
    let notice = add_months(
        fs.started_on,
        term.saturating_sub(rules.first_secretary_notice_months),
    );
    let years = if term.is_multiple_of(12) {
        format!("{}年", term / 12)
    } else {
        format!("{term}个月")
    };
    let (name, village, start) = (&fs.name, &fs.village, fs.started_on);
    let flag = if today >= over {
        Flag {
            code: FlagCode::FirstSecretaryTermOver,
            rule: SOURCE_FIRST_SECRETARY.into(),
            message: format!(
                "{village}第一书记{name}自{start}起选派，{over}任期满{years}，至{today}仍在任，应考核后轮换或按规定续派。"
            ),
            since: Some(over),
        }
    } else if today >= notice {
        Flag {
            code: FlagCode::FirstSecretaryTermEnding,
            rule: SOURCE_FIRST_SECRETARY.into(),
            message: format!(
                "{village}第一书记{name}自{start}起选派，将于{over}任期满{years}，应提前做好考核和轮换准备。"
            ),
            since: Some(notice),
        }
    } else {
        return Vec::new();
    };
    vec![flag]
}

/// The “四不一起” signs the system can compute for a secretary on `today` (see the module doc).
pub fn warning_signs(rules: &CadreRules, facts: &SecretaryFacts, today: NaiveDate) -> Vec<Flag> {
    let mut out = Vec::new();
    let (name, village) = (&facts.name, &facts.village);
    if let Some(birth) = facts.birth_date {
        let years = rules.age_over_years;
        let full = birthday(birth, years);
        let over = full.succ_opt().unwrap_or(full);
        if today >= over {
            out.push(Flag {
                code: FlagCode::AgeOver,
                rule: SOURCE_FOUR.into(),
                message: format!(
                    "{village}党组织书记{name}生于{birth}，{full}满{years}周岁，自{over}起年龄超过{years}周岁；“四不一起”此项为“年龄超过{years}周岁且精神懈怠”，是否精神懈怠须由组织研判。"
                ),
                since: Some(over),
            });
        }
    }
    if let Some(inc) = facts
        .collective_income
        .as_ref()
        .filter(|i| i.fen < rules.income_below_fen)
    {
        out.push(Flag {
            code: FlagCode::IncomeLow,
            rule: SOURCE_FOUR.into(),
            message: format!(
                "{village}{}年村级集体经济收益{}元，低于{}元；“四不一起”此项为“年收益低于5万元且发展思路不清”，发展思路是否清晰须由组织研判。",
                inc.year,
                yuan(inc.fen),
                yuan(rules.income_below_fen)
            ),
            since: None,
        });
    }
    if let Some(a) = facts
        .latest_assessment
        .as_ref()
        .filter(|a| a.grade == AssessmentGrade::Incompetent)
    {
        out.push(Flag {
            code: FlagCode::AssessedIncompetent,
            rule: SOURCE_FOUR.into(),
            message: format!("{village}党组织书记{name}{}年度考核为“不称职”，属“四不一起”中的“不称职”情形，须由组织研判。", a.year),
            since: None,
        });
    }
    out
}

/// A leadership team's posts on `today`: each post ending before it starts, then no current
/// 书记 or more than one.
pub fn team_warnings(seats: &[TeamSeat], today: NaiveDate) -> Vec<Flag> {
    let mut out = Vec::new();
    for s in seats {
        if let Some(end) = s.end.filter(|&e| e < s.start) {
            out.push(Flag {
                code: FlagCode::EndBeforeStart,
                rule: "任职结束日期不能早于开始日期".into(),
                message: format!(
                    "{}任{}自{}起，结束日期{end}早于开始日期，请核对。",
                    s.name,
                    s.post.label(),
                    s.start
                ),
                since: None,
            });
        }
    }
    let current: Vec<&TeamSeat> = seats
        .iter()
        .filter(|s| {
            s.post == TeamPost::Secretary && s.end.is_none_or(|e| e >= s.start) && s.holds_on(today)
        })
        .collect();
    let rule = "一个党组织同一时间有且只有一名书记（任免记录校验，本地规则）";
    match current.len() {
        0 => out.push(Flag {
            code: FlagCode::NoSecretary,
            rule: rule.into(),
            message: format!("{today}没有在任书记。"),
            since: None,
        }),
        1 => {}
        n => out.push(Flag {
            code: FlagCode::SeveralSecretaries,
            rule: rule.into(),
            message: format!(
                "{today}在任书记有{n}名：{}，请核对任免记录。",
                current
                    .iter()
                    .map(|s| format!("{}（自{}起）", s.name, s.start))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            since: None,
        }),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn codes(v: &[Flag]) -> Vec<&'static str> {
        v.iter().map(|f| f.code.code()).collect()
    }

    #[test]
    fn thirteen_documents_and_what_is_missing() {
        let rules = CadreRules::default();
        assert_eq!(ArchiveDoc::ALL.len(), 13);
        assert_eq!(rules.required_docs.len(), 13);
        assert_eq!(
            ArchiveDoc::parse("联审资格审查"),
            Some(ArchiveDoc::JointReview)
        );
        assert_eq!(missing_docs(&rules, ArchiveDoc::ALL), []);
        let present: Vec<ArchiveDoc> = ArchiveDoc::ALL
            .iter()
            .copied()
            .filter(|d| *d != ArchiveDoc::IdCard)
            .collect();
        assert_eq!(missing_docs(&rules, &present), [ArchiveDoc::IdCard]);
        assert_eq!(missing_docs(&rules, &[]).len(), 13);
        let local = CadreRules {
            required_docs: vec![ArchiveDoc::BasicInfo, ArchiveDoc::Appointment],
            ..rules
        };
        assert_eq!(
            missing_docs(&local, &[ArchiveDoc::Appointment]),
            [ArchiveDoc::BasicInfo]
        );
    }

    #[test]
    fn config_defaults_and_validation() {
        let r: CadreRules = toml::from_str("").unwrap();
        assert_eq!(r, CadreRules::default());
        let r: CadreRules =
            toml::from_str("required_docs = [\"基本信息表\", \"id_card\"]\nreserves_min = 6")
                .unwrap();
        assert_eq!(r.required_docs, [ArchiveDoc::BasicInfo, ArchiveDoc::IdCard]);
        assert_eq!(r.reserves_min, 6);
        assert!(toml::from_str::<CadreRules>("reserve_min = 6").is_err());
        assert!(CadreRules::default().validate().is_ok());
        let bad = CadreRules {
            secretary_reserves_min: 3,
            ..CadreRules::default()
        };
        assert_eq!(bad.validate(), Err(RulesError::Inverted { min: 3, max: 2 }));
        let bad = CadreRules {
            age_over_years: 0,
            ..CadreRules::default()
        };
        assert_eq!(
            bad.validate(),
            Err(RulesError::Zero {
                field: "age_over_years"
            })
        );
    }

    #[test]
    fn reserves_five_with_one_or_two_for_secretary() {
        let r = CadreRules::default();
        assert!(reserve_warnings(&r, 5, 1).is_empty());
        assert!(reserve_warnings(&r, 5, 2).is_empty());
        let four = reserve_warnings(&r, 4, 1);
        assert_eq!(codes(&four), ["reserves_too_few"]);
        assert_eq!(four[0].message, "后备力量4名，少于5名，还需1名。");
        assert!(four[0].rule.contains("不少于5名"));
        assert_eq!(
            codes(&reserve_warnings(&r, 5, 0)),
            ["secretary_reserves_too_few"]
        );
        let three = reserve_warnings(&r, 6, 3);
        assert_eq!(codes(&three), ["secretary_reserves_too_many"]);
        assert_eq!(three[0].message, "党组织书记后备3名，多于要求的1至2名。");
        assert_eq!(
            codes(&reserve_warnings(&r, 0, 0)),
            ["reserves_too_few", "secretary_reserves_too_few"]
        );
        assert_eq!(
            codes(&reserve_warnings(&r, 1, 2)),
            ["reserve_counts_inconsistent", "reserves_too_few"]
        );
    }

    fn heads(id: i64, s: Option<i64>, d: Option<i64>) -> VillageHeads {
        VillageHeads {
            village_id: id,
            secretary_id: s,
            director_id: d,
        }
    }

    #[test]
    fn one_shoulder_ratio_in_basis_points() {
        // The seed: 88 of 133 villages, 66.17%.
        let villages: Vec<VillageHeads> = (0..133)
            .map(|i| {
                if i < 88 {
                    heads(i, Some(i), Some(i))
                } else {
                    heads(i, Some(i), Some(1000 + i))
                }
            })
            .collect();
        let r = one_shoulder_ratio(&villages);
        assert_eq!(
            (r.villages, r.one_shoulder, r.basis_points),
            (133, 88, Some(6617))
        );
        assert_eq!(r.percent(), "66.17%");
        // A vacancy is not 一肩挑 but counts in the denominator.
        let r = one_shoulder_ratio(&[
            heads(1, None, None),
            heads(2, Some(5), None),
            heads(3, Some(7), Some(7)),
        ]);
        assert_eq!((r.one_shoulder, r.basis_points), (1, Some(3333)));
        assert_eq!(r.percent(), "33.33%");
        // Half up: 2/3 = 6666.67 → 6667; 1/8 = 1250 exactly; 1/16 = 625; 1/32 = 312.5 → 313.
        let n = |one: i64, total: i64| {
            let v: Vec<VillageHeads> = (0..total)
                .map(|i| {
                    if i < one {
                        heads(i, Some(i), Some(i))
                    } else {
                        heads(i, None, None)
                    }
                })
                .collect();
            one_shoulder_ratio(&v).basis_points
        };
        assert_eq!(n(2, 3), Some(6667));
        assert_eq!(n(1, 8), Some(1250));
        assert_eq!(n(1, 32), Some(313));
        assert_eq!(n(5, 5), Some(10000));
        assert_eq!(n(0, 5), Some(0));
        let none = one_shoulder_ratio(&[]);
        assert_eq!((none.basis_points, none.percent()), (None, "—".to_string()));
    }

    fn fs(start: NaiveDate) -> FirstSecretary {
        FirstSecretary {
            name: "刘一".into(),
            village: "东村".into(),
            started_on: start,
            ended_on: None,
        }
    }

    #[test]
    fn first_secretary_term_ending_and_over() {
        let r = CadreRules::default();
        let f = fs(d(2024, 3, 1));
        assert!(first_secretary_flags(&r, &f, d(2025, 11, 30)).is_empty());
        let ending = first_secretary_flags(&r, &f, d(2025, 12, 1));
        assert_eq!(codes(&ending), ["first_secretary_term_ending"]);
        assert_eq!(ending[0].since, Some(d(2025, 12, 1)));
        assert_eq!(
            ending[0].message,
            "东村第一书记刘一自2024-03-01起选派，将于2026-03-01任期满2年，应提前做好考核和轮换准备。"
        );
        assert_eq!(
            codes(&first_secretary_flags(&r, &f, d(2026, 2, 28))),
            ["first_secretary_term_ending"]
        );
        let over = first_secretary_flags(&r, &f, d(2026, 3, 1));
        assert_eq!(codes(&over), ["first_secretary_term_over"]);
        assert_eq!(
            over[0].message,
            "东村第一书记刘一自2024-03-01起选派，2026-03-01任期满2年，至2026-03-01仍在任，应考核后轮换或按规定续派。"
        );
        // Recalled: nothing from the day the posting ended.
        let mut gone = f.clone();
        gone.ended_on = Some(d(2026, 3, 1));
        assert_eq!(
            codes(&first_secretary_flags(&r, &gone, d(2026, 2, 28))),
            ["first_secretary_term_ending"]
        );
        assert!(first_secretary_flags(&r, &gone, d(2026, 3, 1)).is_empty());
        // Started on a 29 February: two years end on 28 February.
        let leap = fs(d(2024, 2, 29));
        assert_eq!(
            codes(&first_secretary_flags(&r, &leap, d(2026, 2, 27))),
            ["first_secretary_term_ending"]
        );
        assert_eq!(
            codes(&first_secretary_flags(&r, &leap, d(2026, 2, 28))),
            ["first_secretary_term_over"]
        );
    }

    fn facts() -> SecretaryFacts {
        SecretaryFacts {
            name: "陈二".into(),
            village: "西村".into(),
            birth_date: None,
            collective_income: None,
            latest_assessment: None,
        }
    }

    #[test]
    fn over_sixty_from_the_day_after_the_sixtieth_birthday() {
        let r = CadreRules::default();
        let f = SecretaryFacts {
            birth_date: Some(d(1966, 5, 10)),
            ..facts()
        };
        assert!(warning_signs(&r, &f, d(2026, 5, 10)).is_empty());
        let w = warning_signs(&r, &f, d(2026, 5, 11));
        assert_eq!(codes(&w), ["age_over"]);
        assert_eq!(w[0].since, Some(d(2026, 5, 11)));
        assert_eq!(
            w[0].message,
            "西村党组织书记陈二生于1966-05-10，2026-05-10满60周岁，自2026-05-11起年龄超过60周岁；“四不一起”此项为“年龄超过60周岁且精神懈怠”，是否精神懈怠须由组织研判。"
        );
        // Born on 29 February 1964: 满60 on 29 February 2024, over from 1 March.
        let leap = SecretaryFacts {
            birth_date: Some(d(1964, 2, 29)),
            ..facts()
        };
        assert!(warning_signs(&r, &leap, d(2024, 2, 29)).is_empty());
        assert_eq!(
            codes(&warning_signs(&r, &leap, d(2024, 3, 1))),
            ["age_over"]
        );
    }

    #[test]
    fn income_below_fifty_thousand_yuan_exclusive() {
        let r = CadreRules::default();
        let at = |fen| SecretaryFacts {
            collective_income: Some(YearIncome { year: 2025, fen }),
            ..facts()
        };
        assert!(warning_signs(&r, &at(5_000_000), d(2026, 1, 1)).is_empty());
        let w = warning_signs(&r, &at(4_999_999), d(2026, 1, 1));
        assert_eq!(codes(&w), ["income_low"]);
        assert_eq!(
            w[0].message,
            "西村2025年村级集体经济收益49,999.99元，低于50,000.00元；“四不一起”此项为“年收益低于5万元且发展思路不清”，发展思路是否清晰须由组织研判。"
        );
        assert_eq!(
            codes(&warning_signs(&r, &at(-100), d(2026, 1, 1))),
            ["income_low"]
        );
        assert!(warning_signs(&r, &facts(), d(2026, 1, 1)).is_empty());
    }

    #[test]
    fn incompetent_assessment_and_all_three_together() {
        let r = CadreRules::default();
        let f = SecretaryFacts {
            birth_date: Some(d(1950, 1, 1)),
            collective_income: Some(YearIncome { year: 2025, fen: 0 }),
            latest_assessment: Some(Assessment {
                year: 2025,
                grade: AssessmentGrade::Incompetent,
            }),
            ..facts()
        };
        let w = warning_signs(&r, &f, d(2026, 1, 1));
        assert_eq!(
            codes(&w),
            ["age_over", "income_low", "assessed_incompetent"]
        );
        assert!(w.iter().all(|x| x.rule == SOURCE_FOUR));
        assert_eq!(w[2].message, "西村党组织书记陈二2025年度考核为“不称职”，属“四不一起”中的“不称职”情形，须由组织研判。");
        for grade in [
            AssessmentGrade::Excellent,
            AssessmentGrade::Competent,
            AssessmentGrade::BasicallyCompetent,
        ] {
            let f = SecretaryFacts {
                latest_assessment: Some(Assessment { year: 2025, grade }),
                ..facts()
            };
            assert!(warning_signs(&r, &f, d(2026, 1, 1)).is_empty(), "{grade:?}");
        }
    }

    fn seat(
        id: i64,
        name: &str,
        post: TeamPost,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) -> TeamSeat {
        TeamSeat {
            member_id: id,
            name: name.into(),
            post,
            start,
            end,
        }
    }

    #[test]
    fn team_posts() {
        let old = seat(
            1,
            "甲",
            TeamPost::Secretary,
            d(2021, 6, 1),
            Some(d(2026, 6, 1)),
        );
        let new = seat(2, "乙", TeamPost::Secretary, d(2026, 6, 1), None);
        let deputy = seat(3, "丙", TeamPost::DeputySecretary, d(2021, 6, 1), None);
        assert_eq!(TeamPost::parse("副书记"), Some(TeamPost::DeputySecretary));
        // A handover on one day: one secretary each day.
        let team = [old.clone(), new.clone(), deputy.clone()];
        assert!(team_warnings(&team, d(2026, 5, 31)).is_empty());
        assert!(team_warnings(&team, d(2026, 6, 1)).is_empty());
        // The old one's end missing: two from the new one's first day.
        let mut stale = old.clone();
        stale.end = None;
        assert!(team_warnings(&[stale.clone(), new.clone()], d(2026, 5, 31)).is_empty());
        let two = team_warnings(&[stale, new.clone()], d(2026, 6, 1));
        assert_eq!(codes(&two), ["several_secretaries"]);
        assert_eq!(
            two[0].message,
            "2026-06-01在任书记有2名：甲（自2021-06-01起）、乙（自2026-06-01起），请核对任免记录。"
        );
        // Only a deputy: no secretary. Before the first start: none either.
        let none = team_warnings(std::slice::from_ref(&deputy), d(2026, 1, 1));
        assert_eq!(codes(&none), ["no_secretary"]);
        assert_eq!(none[0].message, "2026-01-01没有在任书记。");
        assert_eq!(
            codes(&team_warnings(std::slice::from_ref(&new), d(2026, 5, 31))),
            ["no_secretary"]
        );
        // End before start: flagged and not counted as in post.
        let bad = seat(
            4,
            "丁",
            TeamPost::Secretary,
            d(2026, 3, 1),
            Some(d(2026, 2, 28)),
        );
        let w = team_warnings(&[bad, new.clone()], d(2026, 7, 1));
        assert_eq!(codes(&w), ["end_before_start"]);
        assert_eq!(
            w[0].message,
            "丁任书记自2026-03-01起，结束日期2026-02-28早于开始日期，请核对。"
        );
        // End on the start day: held no day, not flagged.
        let zero = seat(
            5,
            "戊",
            TeamPost::Member,
            d(2026, 3, 1),
            Some(d(2026, 3, 1)),
        );
        assert!(!zero.holds_on(d(2026, 3, 1)));
        assert!(team_warnings(&[zero, new], d(2026, 7, 1)).is_empty());
    }
}
