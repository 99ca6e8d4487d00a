//! Star rating (星级评定) of branches. Pure: no DB, no HTTP, no clock.
//!
//! - [`Rubric`]: the 百分考评细则 over the five elements of seed [003] and the “十有” checklist,
//!   the star cut-offs and the titles; a county sets its own (nearest ancestor's, else this default).
//! - [`BranchFacts`]: what the records say about a branch's year (gathered by the store).
//! - [`score`]: the scorecard — every item with its points and where they come from (records, an
//!   assessor's entry with evidence, or still missing), the “十有”, the stars and why.
//!
//! Points are integer tenths (94.9 is 949), so a cut-off is compared exactly.
//!
//! Decisions (本地默认, within seed [003]'s frame): items measured from records are not entered
//! by hand (the records are corrected instead); an item the assessors have not entered scores 0
//! and says so; five stars also need every “十有” item met; below the one-star cut-off a branch is
//! 未定星.

use serde::{Deserialize, Serialize};

/// Seed [003]: 围绕“组织设置、队伍建设、组织活动、制度建设、基础保障”五个要素……使每个党支部都达到
/// “十有”标准；按照《百分考评细则》每年分领域进行评审、挂牌。Cut-offs: DOMAIN.md §12 (one county:
/// 95 five stars, 85 four, 75 three, 65 two, 60 one). Item points and the measures are 本地默认.
pub const SOURCE: &str = "县级材料[003]：围绕组织设置、队伍建设、组织活动、制度建设、基础保障五个要素，使每个党支部都达到“十有”标准，按《百分考评细则》每年评审挂牌；星级分数线为本地默认（95/85/75/65/60）";

crate::code_enum!(
    /// The five elements of seed [003].
    Section {
        Setup = ("setup", "组织设置"),
        Team = ("team", "队伍建设"),
        Life = ("life", "组织活动"),
        System = ("system", "制度建设"),
        Support = ("support", "基础保障"),
    }
);

crate::code_enum!(
    /// What the system measures from its own records.
    Measure {
        Committee = ("committee", "班子健全（书记在任，应设支委会的已设立）"),
        Size = ("size", "党员人数符合设置要求"),
        Recruitment = ("recruitment", "近年发展党员"),
        Training = ("training", "党员年度学习培训达标"),
        Meetings = ("meetings", "三会一课等组织生活按期开展"),
        Dues = ("dues", "党费按月足额收缴"),
        Requests = ("requests", "群众诉求按时办结"),
    }
);

crate::code_enum!(
    /// Where an item's points come from.
    Source {
        Records = ("records", "系统记录"),
        Assessor = ("assessor", "考评录入"),
        Missing = ("missing", "待录入"),
    }
);

/// One line of the 百分考评细则.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricItem {
    /// Stable code, unique in the rubric (`a-z0-9_`).
    pub code: String,
    /// setup, team, life, system, support
    pub section: String,
    pub title: String,
    /// Whole points; the rubric's items add up to 100.
    pub points: i64,
    /// A measure from records (committee, size, recruitment, training, meetings, dues, requests);
    /// none: entered by the assessors with evidence.
    #[serde(default)]
    pub measure: Option<String>,
    /// What the assessors look at (shown beside the entry form).
    #[serde(default)]
    pub guide: String,
}

/// One of the “十有”.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenHave {
    pub code: String,
    pub title: String,
    /// Met when this measure scores full points; none: checked by the assessors.
    #[serde(default)]
    pub measure: Option<String>,
}

/// A title a county confers, with the stars it asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TitleRule {
    pub code: String,
    pub name: String,
    /// The branch's latest rating must have at least these stars.
    pub min_stars: u8,
}

/// A county's rubric; every value has a default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Rubric {
    pub items: Vec<RubricItem>,
    pub ten_haves: Vec<TenHave>,
    /// Scores for five, four, three, two and one star, in tenths of a point (950 = 95.0).
    pub cutoffs_tenths: [i64; 5],
    /// Five stars also need every “十有” item met.
    pub five_stars_need_ten_haves: bool,
    /// 发展党员: an admission within this many years scores the item in full.
    pub recruit_years: i32,
    /// Share of members meeting the yearly training hours for full points, in percent.
    pub training_full_pct: i64,
    /// A “十有” judged from a measure is met when the measure scores at least this share of its
    /// points, in percent (本地默认 80).
    pub ten_have_min_pct: i64,
    pub titles: Vec<TitleRule>,
}

fn item(code: &str, section: Section, title: &str, points: i64, measure: Option<Measure>, guide: &str) -> RubricItem {
    RubricItem {
        code: code.into(),
        section: section.code().into(),
        title: title.into(),
        points,
        measure: measure.map(|m| m.code().into()),
        guide: guide.into(),
    }
}

fn have(code: &str, title: &str, measure: Option<Measure>) -> TenHave {
    TenHave { code: code.into(), title: title.into(), measure: measure.map(|m| m.code().into()) }
}

impl Default for Rubric {
    fn default() -> Self {
        use Measure::*;
        use Section::*;
        Rubric {
            items: vec![
                item("committee", Setup, "班子健全", 8, Some(Committee), ""),
                item("size", Setup, "设置规范", 4, Some(Size), ""),
                item("term", Setup, "按期换届", 3, None, "查阅换届选举请示、批复和选举结果报告"),
                item("recruitment", Team, "发展党员", 8, Some(Recruitment), ""),
                item("training", Team, "党员教育培训", 10, Some(Training), ""),
                item("secretary", Team, "书记队伍", 7, None, "书记履职、述职评议和群众评价"),
                item("meetings", Life, "三会一课", 20, Some(Meetings), ""),
                item("requests", Life, "服务群众", 10, Some(Requests), ""),
                item("dues", System, "党费收缴", 8, Some(Dues), ""),
                item("records", System, "制度台账", 7, None, "制度上墙、会议记录、党员档案等台账齐全规范"),
                item("venue", Support, "活动阵地", 8, None, "有固定活动场所，标识规范，设施齐全"),
                item("funds", Support, "工作经费", 7, None, "工作经费和服务群众专项经费落实、使用规范"),
            ],
            ten_haves: vec![
                have("team", "有一个好班子", Some(Committee)),
                have("members", "有一支好队伍", Some(Size)),
                have("reserve", "有后备力量", Some(Recruitment)),
                have("life", "有规范的组织生活", Some(Meetings)),
                have("study", "有经常性的学习教育", Some(Training)),
                have("dues", "有按期交纳的党费", Some(Dues)),
                have("venue", "有活动场所", None),
                have("rules", "有健全的制度", None),
                have("funds", "有工作经费", None),
                have("service", "有服务群众的载体和成效", None),
            ],
            cutoffs_tenths: [950, 850, 750, 650, 600],
            five_stars_need_ten_haves: true,
            recruit_years: 3,
            training_full_pct: 100,
            ten_have_min_pct: 80,
            titles: vec![
                TitleRule { code: "shuangqiang".into(), name: "双强六好示范党组织".into(), min_stars: 4 },
                TitleRule { code: "biaogan".into(), name: "标杆党组织".into(), min_stars: 5 },
                TitleRule { code: "siqiang".into(), name: "四强党支部".into(), min_stars: 4 },
            ],
        }
    }
}

fn valid_code(c: &str) -> bool {
    !c.is_empty() && c.len() <= 32 && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Rubric {
    /// Checks codes, sections, measures, that the items add up to 100 and the cut-offs descend.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for i in &self.items {
            if !valid_code(&i.code) || !seen.insert(i.code.as_str()) {
                return Err(format!("细则项目代码“{}”须为小写字母、数字或下划线，且不重复", i.code));
            }
            if Section::parse(&i.section).is_none() {
                return Err(format!("细则项目“{}”的要素“{}”应为 setup/team/life/system/support 之一", i.title, i.section));
            }
            if let Some(m) = &i.measure {
                if Measure::parse(m).is_none() {
                    return Err(format!("细则项目“{}”的计分来源“{m}”不存在", i.title));
                }
            }
            if i.title.trim().is_empty() || !(0..=100).contains(&i.points) {
                return Err(format!("细则项目“{}”须有名称，分值在0至100之间", i.code));
            }
        }
        let total: i64 = self.items.iter().map(|i| i.points).sum();
        if total != 100 {
            return Err(format!("百分考评细则各项分值合计应为100分，现为{total}分"));
        }
        let mut seen = std::collections::HashSet::new();
        for h in &self.ten_haves {
            if !valid_code(&h.code) || !seen.insert(h.code.as_str()) || h.title.trim().is_empty() {
                return Err(format!("“十有”项目代码“{}”须为小写字母、数字或下划线且不重复，并有名称", h.code));
            }
            if let Some(m) = &h.measure {
                if Measure::parse(m).is_none() {
                    return Err(format!("“十有”项目“{}”的计分来源“{m}”不存在", h.title));
                }
            }
        }
        let c = self.cutoffs_tenths;
        if !(c.windows(2).all(|w| w[0] > w[1]) && c[0] <= 1000 && c[4] > 0) {
            return Err("星级分数线应从五星到一星依次降低，且在0至100分之间".into());
        }
        if !(1..=20).contains(&self.recruit_years) || !(1..=100).contains(&self.training_full_pct) || !(1..=100).contains(&self.ten_have_min_pct) {
            return Err("发展党员年限应在1至20年之间，培训达标比例和“十有”达标得分率在1%至100%之间".into());
        }
        let mut seen = std::collections::HashSet::new();
        for t in &self.titles {
            if !valid_code(&t.code) || !seen.insert(t.code.as_str()) || t.name.trim().is_empty() || t.min_stars > 5 {
                return Err(format!("称号“{}”须有代码和名称，所需星级在0至5之间", t.name));
            }
        }
        Ok(())
    }

    pub fn item(&self, code: &str) -> Option<&RubricItem> {
        self.items.iter().find(|i| i.code == code)
    }
    pub fn ten_have(&self, code: &str) -> Option<&TenHave> {
        self.ten_haves.iter().find(|h| h.code == code)
    }
    pub fn title(&self, code: &str) -> Option<&TitleRule> {
        self.titles.iter().find(|t| t.code == code)
    }
}

/// What the records say about a branch's year.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BranchFacts {
    pub year: i32,
    /// Members on the roll (the branch and its groups), and full members among them.
    pub members: i64,
    pub full_members: i64,
    /// The secretary in office, if any.
    pub secretary: Option<String>,
    /// Committee seats held (书记、副书记、委员).
    pub committee_seats: i64,
    /// Full members from which a committee is required, and its smallest size.
    pub committee_from_full: i64,
    pub committee_min: i64,
    /// Members per branch at most, and full members at least.
    pub size_min_full: i64,
    pub size_max: i64,
    /// The latest 入党 date on the roll or admission on file (YYYY-MM-DD), and files still open.
    pub latest_admission: Option<String>,
    pub open_files: i64,
    /// Members meeting the yearly training hours, of members judged.
    pub training_met: i64,
    pub training_of: i64,
    /// Meeting requirements met and missed so far this year (the branch and its groups).
    pub meetings_met: i64,
    pub meetings_missed: i64,
    /// The first requirements missed: "要求（期间）".
    pub meetings_missed_list: Vec<String>,
    /// Dues owed and paid (capped at owed) for the months of the year so far, in fen.
    pub dues_owed_fen: i64,
    pub dues_paid_fen: i64,
    /// Requests fulfilled or closed this year, and those on time.
    pub requests_closed: i64,
    pub requests_on_time: i64,
}

/// An assessor's entry for an item or a “十有”.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub item: String,
    /// Tenths of a point (for a “十有”: 1 met, 0 not met).
    pub tenths: i64,
    pub note: String,
    pub by: String,
    pub on: String,
    pub file_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ItemScore {
    pub code: String,
    pub section: String,
    pub section_label: String,
    pub title: String,
    pub max_tenths: i64,
    pub tenths: i64,
    /// records, assessor, missing
    pub source: String,
    pub explanation: String,
    pub file_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SectionScore {
    pub section: String,
    pub label: String,
    pub max_tenths: i64,
    pub tenths: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HaveCheck {
    pub code: String,
    pub title: String,
    /// None: not yet checked.
    pub met: Option<bool>,
    pub explanation: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Scorecard {
    pub items: Vec<ItemScore>,
    pub sections: Vec<SectionScore>,
    pub total_tenths: i64,
    /// Points measured from records, of the total.
    pub from_records_tenths: i64,
    /// Items still to be entered by the assessors.
    pub missing: usize,
    pub ten_haves: Vec<HaveCheck>,
    pub stars: u8,
    pub stars_explanation: String,
}

/// "94.9".
pub fn fmt_tenths(t: i64) -> String {
    let sign = if t < 0 { "-" } else { "" };
    format!("{sign}{}.{}", t.abs() / 10, t.abs() % 10)
}

fn pct(num: i64, den: i64) -> String {
    if den == 0 {
        "—".into()
    } else {
        format!("{:.1}%", num as f64 * 100.0 / den as f64)
    }
}

/// `max × num ÷ den`, rounded down to a tenth; full when there is nothing to judge.
fn share(max: i64, num: i64, den: i64) -> i64 {
    if den <= 0 {
        max
    } else {
        max * num.clamp(0, den) / den
    }
}

/// Points for a measure, with the explanation naming the records.
pub fn measure(rubric: &Rubric, m: Measure, max: i64, f: &BranchFacts) -> (i64, String) {
    match m {
        Measure::Committee => {
            let Some(sec) = &f.secretary else {
                return (0, "书记空缺：班子不健全，本项不得分（依据：《中国共产党支部工作条例（试行）》党支部设书记）".into());
            };
            if f.full_members >= f.committee_from_full && f.committee_seats < f.committee_min {
                return (
                    max / 2,
                    format!(
                        "书记{sec}在任；正式党员{}人（{}人以上应设支部委员会），支委仅{}人（应不少于{}人），得一半分",
                        f.full_members, f.committee_from_full, f.committee_seats, f.committee_min
                    ),
                );
            }
            let committee = if f.full_members >= f.committee_from_full {
                format!("，支部委员会{}人", f.committee_seats)
            } else {
                format!("，正式党员{}人，不需设支部委员会", f.full_members)
            };
            (max, format!("书记{sec}在任{committee}"))
        }
        Measure::Size => {
            if f.full_members < f.size_min_full {
                (0, format!("正式党员{}人，少于成立党支部所需的{}人（《中国共产党支部工作条例（试行）》）", f.full_members, f.size_min_full))
            } else if f.members > f.size_max {
                (0, format!("党员{}人，超过党支部一般不超过{}人的规定，应调整设置（《中国共产党支部工作条例（试行）》）", f.members, f.size_max))
            } else {
                (max, format!("党员{}人（正式党员{}人），符合设置要求", f.members, f.full_members))
            }
        }
        Measure::Recruitment => {
            let since = f.year - rubric.recruit_years + 1;
            match &f.latest_admission {
                Some(d) if d.get(..4).and_then(|y| y.parse::<i32>().ok()).is_some_and(|y| y >= since) => {
                    (max, format!("最近一次发展党员（入党）在{d}，在近{}年内", rubric.recruit_years))
                }
                latest => {
                    let when = latest.as_deref().map(|d| format!("最近一次在{d}")).unwrap_or_else(|| "无入党记录".into());
                    if f.open_files > 0 {
                        (max / 2, format!("近{}年未发展党员（{when}），现有{}份在办的发展党员档案，得一半分", rubric.recruit_years, f.open_files))
                    } else {
                        (0, format!("近{}年未发展党员（{when}），也无在办的发展党员档案", rubric.recruit_years))
                    }
                }
            }
        }
        Measure::Training => {
            if f.training_of == 0 {
                return (max, "本年度尚无需考核学时的党员".into());
            }
            let need = f.training_of * rubric.training_full_pct;
            let pts = if f.training_met * 100 >= need { max } else { max * f.training_met * 100 / need };
            (
                pts,
                format!("{}名党员中{}人达到年度学时要求（{}），{}%达标得满分", f.training_of, f.training_met, pct(f.training_met, f.training_of), rubric.training_full_pct),
            )
        }
        Measure::Meetings => {
            let due = f.meetings_met + f.meetings_missed;
            if due == 0 {
                return (max, "本年度尚无到期的组织生活要求".into());
            }
            let mut s = format!("到期要求{due}项，按期完成{}项（{}）", f.meetings_met, pct(f.meetings_met, due));
            if !f.meetings_missed_list.is_empty() {
                s.push_str("；未按期：");
                s.push_str(&f.meetings_missed_list.join("、"));
                if (f.meetings_missed as usize) > f.meetings_missed_list.len() {
                    s.push_str(&format!("等{}项", f.meetings_missed));
                }
            }
            (share(max, f.meetings_met, due), s)
        }
        Measure::Dues => {
            if f.dues_owed_fen == 0 {
                return (max, "本年度尚无应交党费".into());
            }
            (
                share(max, f.dues_paid_fen, f.dues_owed_fen),
                format!(
                    "应交{}元，按月实交{}元（{}）",
                    crate::dues::store::fmt_yuan(f.dues_owed_fen),
                    crate::dues::store::fmt_yuan(f.dues_paid_fen),
                    pct(f.dues_paid_fen, f.dues_owed_fen)
                ),
            )
        }
        Measure::Requests => {
            if f.requests_closed == 0 {
                return (max, "本年度尚无办结的群众诉求，不扣分".into());
            }
            (share(max, f.requests_on_time, f.requests_closed), format!("办结群众诉求{}件，按时办结{}件（{}）", f.requests_closed, f.requests_on_time, pct(f.requests_on_time, f.requests_closed)))
        }
    }
}

/// Stars for a total under the cut-offs (0: 未定星), with the reason.
pub fn stars_for(rubric: &Rubric, total_tenths: i64, ten_haves_met: bool) -> (u8, String) {
    let c = rubric.cutoffs_tenths;
    let stars = c.iter().position(|&cut| total_tenths >= cut).map_or(0, |i| 5 - i as u8);
    if stars == 0 {
        return (0, format!("总分{}，低于一星分数线{}，未定星", fmt_tenths(total_tenths), fmt_tenths(c[4])));
    }
    let cut = c[5 - stars as usize];
    if stars == 5 && rubric.five_stars_need_ten_haves && !ten_haves_met {
        return (4, format!("总分{}达到五星分数线{}，但“十有”尚未全部达到，评为四星", fmt_tenths(total_tenths), fmt_tenths(cut)));
    }
    let next = if stars < 5 { format!("，距{}星分数线{}差{}", stars + 1, fmt_tenths(c[4 - stars as usize]), fmt_tenths(c[4 - stars as usize] - total_tenths)) } else { String::new() };
    (stars, format!("总分{}，达到{}星分数线{}{}", fmt_tenths(total_tenths), stars, fmt_tenths(cut), next))
}

/// The scorecard of a branch's year.
pub fn score(rubric: &Rubric, f: &BranchFacts, entries: &[Entry]) -> Scorecard {
    let mut items = Vec::new();
    let mut measured = std::collections::HashMap::new();
    for it in &rubric.items {
        let max = it.points * 10;
        let section = Section::parse(&it.section).unwrap_or(Section::Setup);
        let (tenths, source, explanation, file_id) = match it.measure.as_deref().and_then(Measure::parse) {
            Some(m) => {
                let (t, why) = measure(rubric, m, max, f);
                measured.insert(m, (t, max));
                (t, Source::Records, why, None)
            }
            None => match entries.iter().find(|e| e.item == it.code) {
                Some(e) => (e.tenths.clamp(0, max), Source::Assessor, format!("{}（{} {}录入）", e.note, e.on, e.by), e.file_id),
                None => (0, Source::Missing, format!("待考评人员对照“{}”录入", if it.guide.is_empty() { &it.title } else { &it.guide }), None),
            },
        };
        items.push(ItemScore {
            code: it.code.clone(),
            section: section.code().into(),
            section_label: section.label().into(),
            title: it.title.clone(),
            max_tenths: max,
            tenths,
            source: source.code().into(),
            explanation,
            file_id,
        });
    }
    let sections = Section::ALL
        .iter()
        .map(|s| SectionScore {
            section: s.code().into(),
            label: s.label().into(),
            max_tenths: items.iter().filter(|i| i.section == s.code()).map(|i| i.max_tenths).sum(),
            tenths: items.iter().filter(|i| i.section == s.code()).map(|i| i.tenths).sum(),
        })
        .collect();
    let total_tenths: i64 = items.iter().map(|i| i.tenths).sum();
    let from_records_tenths = items.iter().filter(|i| i.source == Source::Records.code()).map(|i| i.tenths).sum();
    let missing = items.iter().filter(|i| i.source == Source::Missing.code()).count();
    let ten_haves: Vec<HaveCheck> = rubric
        .ten_haves
        .iter()
        .map(|h| match h.measure.as_deref().and_then(Measure::parse) {
            Some(m) => {
                let (t, max) = match measured.get(&m) {
                    Some(&x) => x,
                    None => (measure(rubric, m, 100, f).0, 100),
                };
                let met = max == 0 || t * 100 >= max * rubric.ten_have_min_pct;
                let explanation = format!("“{}”得分率{}%，{}{}%{}", m.label(), if max == 0 { 100 } else { t * 100 / max }, if met { "达到" } else { "未达到" }, rubric.ten_have_min_pct, if met { "" } else { "，判定为未达到" });
                HaveCheck { code: h.code.clone(), title: h.title.clone(), met: Some(met), explanation }
            }
            None => match entries.iter().find(|e| e.item == format!("ten:{}", h.code)) {
                Some(e) => HaveCheck { code: h.code.clone(), title: h.title.clone(), met: Some(e.tenths > 0), explanation: format!("{}（{} {}）", e.note, e.on, e.by) },
                None => HaveCheck { code: h.code.clone(), title: h.title.clone(), met: None, explanation: "待考评人员核查".into() },
            },
        })
        .collect();
    let all_met = ten_haves.iter().all(|h| h.met == Some(true));
    let (stars, stars_explanation) = stars_for(rubric, total_tenths, all_met);
    Scorecard { items, sections, total_tenths, from_records_tenths, missing, ten_haves, stars, stars_explanation }
}

/// "晋位" / "降级" / "持平" / "首次评定" against last year's stars.
pub fn change(previous: Option<u8>, now: u8) -> &'static str {
    match previous {
        None => "首次评定",
        Some(p) if now > p => "晋位升级",
        Some(p) if now < p => "降级",
        _ => "持平",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> BranchFacts {
        BranchFacts {
            year: 2026,
            members: 20,
            full_members: 18,
            secretary: Some("张三".into()),
            committee_seats: 3,
            committee_from_full: 7,
            committee_min: 3,
            size_min_full: 3,
            size_max: 50,
            latest_admission: Some("2025-06-30".into()),
            open_files: 1,
            training_met: 20,
            training_of: 20,
            meetings_met: 30,
            meetings_missed: 0,
            meetings_missed_list: vec![],
            dues_owed_fen: 10_000,
            dues_paid_fen: 10_000,
            requests_closed: 4,
            requests_on_time: 4,
        }
    }

    fn entry(item: &str, tenths: i64) -> Entry {
        Entry { item: item.into(), tenths, note: "查阅台账".into(), by: "考评组".into(), on: "2026-12-01".into(), file_id: None }
    }

    fn all_entries(r: &Rubric) -> Vec<Entry> {
        let mut e: Vec<Entry> = r.items.iter().filter(|i| i.measure.is_none()).map(|i| entry(&i.code, i.points * 10)).collect();
        e.extend(r.ten_haves.iter().filter(|h| h.measure.is_none()).map(|h| entry(&format!("ten:{}", h.code), 1)));
        e
    }

    #[test]
    fn default_rubric_is_valid_and_adds_to_100() {
        let r = Rubric::default();
        r.validate().unwrap();
        assert_eq!(r.ten_haves.len(), 10);
        let auto: i64 = r.items.iter().filter(|i| i.measure.is_some()).map(|i| i.points).sum();
        assert_eq!(auto, 68, "most of the score comes from records");
    }

    #[test]
    fn a_full_branch_scores_100_and_five_stars() {
        let r = Rubric::default();
        let c = score(&r, &facts(), &all_entries(&r));
        assert_eq!(c.total_tenths, 1000);
        assert_eq!(c.from_records_tenths, 680);
        assert_eq!(c.missing, 0);
        assert_eq!(c.stars, 5);
        assert!(c.ten_haves.iter().all(|h| h.met == Some(true)));
    }

    #[test]
    fn cut_offs_are_exact() {
        let r = Rubric::default();
        assert_eq!(stars_for(&r, 950, true).0, 5);
        assert_eq!(stars_for(&r, 949, true).0, 4);
        assert_eq!(stars_for(&r, 850, true).0, 4);
        assert_eq!(stars_for(&r, 849, true).0, 3);
        assert_eq!(stars_for(&r, 750, true).0, 3);
        assert_eq!(stars_for(&r, 650, true).0, 2);
        assert_eq!(stars_for(&r, 600, true).0, 1);
        assert_eq!(stars_for(&r, 599, true).0, 0);
        assert!(stars_for(&r, 949, true).1.contains("差0.1"));
        let (s, why) = stars_for(&r, 990, false);
        assert_eq!(s, 4);
        assert!(why.contains("十有"));
    }

    #[test]
    fn each_measure_explains_itself() {
        let r = Rubric::default();
        let mut f = facts();
        f.secretary = None;
        assert_eq!(measure(&r, Measure::Committee, 80, &f).0, 0);
        f.secretary = Some("李四".into());
        f.committee_seats = 1;
        let (p, why) = measure(&r, Measure::Committee, 80, &f);
        assert_eq!(p, 40);
        assert!(why.contains("支委仅1人"));
        f.full_members = 2;
        assert_eq!(measure(&r, Measure::Size, 40, &f).0, 0);
        f.full_members = 18;
        f.members = 51;
        assert!(measure(&r, Measure::Size, 40, &f).1.contains("超过"));
        f.latest_admission = Some("2023-12-31".into());
        let (p, why) = measure(&r, Measure::Recruitment, 80, &f);
        assert_eq!((p, why.contains("在办")), (40, true));
        f.latest_admission = Some("2024-01-01".into());
        assert_eq!(measure(&r, Measure::Recruitment, 80, &f).0, 80);
        f.latest_admission = None;
        f.open_files = 0;
        assert_eq!(measure(&r, Measure::Recruitment, 80, &f).0, 0);
        f.training_met = 15;
        assert_eq!(measure(&r, Measure::Training, 100, &f).0, 75);
        f.meetings_met = 9;
        f.meetings_missed = 1;
        f.meetings_missed_list = vec!["支部党员大会（2026年第二季度）".into()];
        let (p, why) = measure(&r, Measure::Meetings, 200, &f);
        assert_eq!(p, 180);
        assert!(why.contains("第二季度"));
        f.dues_paid_fen = 7_500;
        assert_eq!(measure(&r, Measure::Dues, 80, &f).0, 60);
        f.requests_on_time = 3;
        assert_eq!(measure(&r, Measure::Requests, 100, &f).0, 75);
        f.requests_closed = 0;
        assert_eq!(measure(&r, Measure::Requests, 100, &f).0, 100);
    }

    #[test]
    fn missing_entries_score_zero_and_hold_back_five_stars() {
        let r = Rubric::default();
        let c = score(&r, &facts(), &[]);
        assert_eq!(c.total_tenths, 680);
        assert_eq!(c.missing, 5);
        assert_eq!(c.stars, 2);
        assert!(c.items.iter().any(|i| i.source == "missing" && i.explanation.contains("待考评")));
        // Full manual points but one 十有 not met: four stars.
        let mut e = all_entries(&r);
        e.retain(|x| x.item != "ten:funds");
        e.push(entry("ten:funds", 0));
        let c = score(&r, &facts(), &e);
        assert_eq!((c.total_tenths, c.stars), (1000, 4));
    }

    #[test]
    fn invalid_rubrics_are_refused() {
        let mut r = Rubric::default();
        r.items[0].points = 9;
        assert!(r.validate().unwrap_err().contains("101"));
        let r = Rubric { cutoffs_tenths: [950, 950, 750, 650, 600], ..Default::default() };
        assert!(r.validate().is_err());
        let mut r = Rubric::default();
        r.items[0].measure = Some("nope".into());
        assert!(r.validate().is_err());
        let mut r = Rubric::default();
        r.items[1].code = "committee".into();
        assert!(r.validate().is_err());
    }

    #[test]
    fn a_measured_ten_have_needs_eighty_percent() {
        let r = Rubric::default();
        let mut f = facts();
        let study = |c: &Scorecard| c.ten_haves.iter().find(|h| h.code == "study").unwrap().met;
        f.training_met = 16; // 16 of 20: 80%
        assert_eq!(study(&score(&r, &f, &all_entries(&r))), Some(true));
        f.training_met = 15; // 75%
        let c = score(&r, &f, &all_entries(&r));
        assert_eq!(study(&c), Some(false));
        assert_eq!(c.stars, 4, "not every 十有 met: {}", c.stars_explanation);
    }

    #[test]
    fn star_changes() {
        assert_eq!(change(None, 3), "首次评定");
        assert_eq!(change(Some(3), 4), "晋位升级");
        assert_eq!(change(Some(3), 2), "降级");
        assert_eq!(change(Some(3), 3), "持平");
    }
}
