//! 党群服务中心规范化 (service center standards). Pure: no DB, no HTTP, no clock.
//!
//! - [`CenterRules`]: the standard lists (villages, communities) and the signage limits.
//! - [`answers`]: an inspector's answers set against the list that applies (every standard
//!   answered once, none unknown).
//! - [`judge`]: the verdict of one check, with its reasons.
//!
//! Decisions: a check is 达标 only when every standard of its list is met and both signage
//! counts are within their limits; a standard not met carries the inspector's note; the limits in
//! force are stored with each check, so an old verdict still explains itself after the county
//! changes its rules. The seeds give the counts (20 and 12 standards) and the ideas (“五务四场”,
//! “一场所六中心”) but not the wording of each standard: the lists below are a local default, and a
//! county writes its own in the rules file.

use serde::{Deserialize, Serialize};

/// Seeds [004] (明确20条规范化建设标准 … “五务四场”；社区“一场所六中心”，明确12条规范标准) and [002]
/// (村级标牌精简至6块，内部指引牌整合至12块以内).
pub const SOURCE: &str = "[004]：农村党群服务中心20条规范化建设标准（“党务、村务、服务、商务、医务”五务，“小广场、晒粮场、大会场、运动场”四场），社区按“一场所六中心”明确12条规范标准；[002]：村级标牌精简至6块，内部指引牌整合至12块以内";

/// Signage counts and limits are at most this (a form value beyond it is a typo).
pub const MAX_COUNT: i64 = 200;

crate::code_enum!(
    /// Which list applies: a village's (rural domain) or a community's.
    CenterKind {
        Village = ("village", "村党群服务中心"),
        Community = ("community", "社区党群服务中心"),
    }
);

/// One standard of a list: a stable code (answers name it) and its wording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    pub code: String,
    pub title: String,
}

fn std_list(items: &[(&str, &str)]) -> Vec<Standard> {
    items.iter().map(|(c, t)| Standard { code: (*c).into(), title: (*t).into() }).collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CenterRules {
    /// The village standards: 20 by default ([004] 明确20条规范化建设标准, “五务四场”; the wording
    /// is a local default).
    pub village_standards: Vec<Standard>,
    /// The community standards: 12 by default ([004] 按照社区“一场所六中心”建设要求，对社区明确12条规范
    /// 标准; the wording is a local default).
    pub community_standards: Vec<Standard>,
    /// Plaques (标牌) at most: 6 by default ([002] 村级标牌精简至6块).
    pub max_plaques: i64,
    /// Internal guide signs (内部指引牌) at most: 12 by default ([002] 内部指引牌整合至12块以内).
    pub max_guide_signs: i64,
}

impl Default for CenterRules {
    fn default() -> Self {
        CenterRules {
            // [004]: 统筹“党务、村务、服务、商务、医务”事项，发挥“小广场、晒粮场、大会场、运动场”作用，对农村现有
            // 功能室和场地进行优化整合，明确20条规范化建设标准，133个行政村均实现多功能会议室全覆盖.
            village_standards: std_list(&[
                ("meeting_room", "多功能会议室：党员大会、村民代表会议和培训可用"),
                ("member_room", "党员活动室：党员教育、主题党日有固定场所"),
                ("service_hall", "便民服务大厅：设代办、帮办窗口，群众办事不出村"),
                ("party_affairs", "“五务”之党务：党员管理、组织关系接转、党费收缴在中心办理"),
                ("village_affairs", "“五务”之村务：“四议两公开”、村民议事在中心进行"),
                ("public_services", "“五务”之服务：社保、救助、证明等事项在中心办理或代办"),
                ("commerce", "“五务”之商务：设电商服务点或农资、快递代购代收点"),
                ("medical", "“五务”之医务：村卫生室设在中心或与中心相邻"),
                ("square", "“四场”之小广场：群众文化活动有场地"),
                ("drying_ground", "“四场”之晒粮场：农忙时可晒粮"),
                ("assembly_ground", "“四场”之大会场：可容纳村民大会"),
                ("sports_ground", "“四场”之运动场：有健身器材或球场"),
                ("open_board", "村务公开栏：党务、村务、财务按时公开"),
                ("flag", "党旗、党徽规范悬挂，入党誓词上墙"),
                ("rules_on_wall", "制度上墙精简：只保留核心制度，不搞形式主义挂牌"),
                ("hours", "开放时间和值班人员公示"),
                ("on_duty", "工作日有村干部坐班值守"),
                ("accessible", "设无障碍通道"),
                ("safety", "消防器材齐全，安全出口畅通"),
                ("tidy", "环境整洁，功能室不挪作他用"),
            ]),
            // [004]: 按照社区“一场所六中心”建设要求，对社区明确12条规范标准.
            community_standards: std_list(&[
                ("venue", "一个场所：集中的党群服务场所，面积达到县定标准"),
                ("activity_center", "党群活动中心：党员教育、组织生活和居民活动"),
                ("government_center", "政务服务中心：社保、民政等事项一窗受理"),
                ("culture_center", "文化活动中心：图书阅览、文体活动"),
                ("elderly_center", "养老服务中心：日间照料、助餐"),
                ("health_center", "卫生服务中心：社区卫生服务站"),
                ("mediation_center", "矛盾调解中心：人民调解室"),
                ("flag", "党旗、党徽规范悬挂，入党誓词上墙"),
                ("open_board", "居务公开栏：党务、居务、财务按时公开"),
                ("hours", "开放时间和值班人员公示，错时延时服务"),
                ("accessible", "无障碍和适老化设施"),
                ("signage_clean", "标牌、制度精简规范，不搞形式主义挂牌"),
            ]),
            max_plaques: 6,
            max_guide_signs: 12,
        }
    }
}

impl CenterRules {
    pub fn validate(&self) -> Result<(), String> {
        for (what, list) in [("village_standards", &self.village_standards), ("community_standards", &self.community_standards)] {
            if list.is_empty() || list.len() > 50 {
                return Err(format!("{what}：标准应有1至50条"));
            }
            let mut seen = std::collections::HashSet::new();
            for s in list {
                let code_ok = !s.code.is_empty() && s.code.len() <= 40 && s.code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !code_ok {
                    return Err(format!("{what}：标准代码“{}”应为1至40个字母、数字或下划线", s.code));
                }
                if s.title.trim().is_empty() || s.title.chars().count() > 100 {
                    return Err(format!("{what}：标准“{}”的内容应为1至100字", s.code));
                }
                if !seen.insert(s.code.as_str()) {
                    return Err(format!("{what}：标准代码“{}”重复", s.code));
                }
            }
        }
        if !(0..=MAX_COUNT).contains(&self.max_plaques) || !(0..=MAX_COUNT).contains(&self.max_guide_signs) {
            return Err(format!("标牌和指引牌上限应在0至{MAX_COUNT}之间"));
        }
        Ok(())
    }

    /// The list that applies to a center of `kind`.
    pub fn standards(&self, kind: CenterKind) -> &[Standard] {
        match kind {
            CenterKind::Village => &self.village_standards,
            CenterKind::Community => &self.community_standards,
        }
    }
}

/// One standard as checked: met or not, with the inspector's note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Item {
    pub code: String,
    pub title: String,
    pub met: bool,
    #[serde(default)]
    pub note: String,
}

/// An inspector's answer for one standard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub code: String,
    pub met: bool,
    pub note: String,
}

/// Why a set of answers cannot be judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerError {
    /// A standard of the list has no answer (its title).
    Missing(String),
    /// An answer names no standard of the list (its code).
    Unknown(String),
    /// Two answers for one standard (its title).
    Twice(String),
    /// A standard not met without a note (its title).
    NoteMissing(String),
}

impl AnswerError {
    pub fn message(&self) -> String {
        match self {
            AnswerError::Missing(t) => format!("标准“{t}”没有填写检查结果：每一条标准都要逐项检查"),
            AnswerError::Unknown(c) => format!("“{c}”不是适用的标准，请按标准清单逐项填写"),
            AnswerError::Twice(t) => format!("标准“{t}”填写了两次"),
            AnswerError::NoteMissing(t) => format!("“{t}”未达到，请写明存在的问题"),
        }
    }
}

/// The answers set against `standards`, in the list's order: each standard answered once, none
/// unknown, each one not met with its note.
pub fn answers(standards: &[Standard], given: &[Answer]) -> Result<Vec<Item>, AnswerError> {
    for a in given {
        if !standards.iter().any(|s| s.code == a.code) {
            return Err(AnswerError::Unknown(a.code.clone()));
        }
    }
    standards
        .iter()
        .map(|s| {
            let mut found = given.iter().filter(|a| a.code == s.code);
            let a = found.next().ok_or_else(|| AnswerError::Missing(s.title.clone()))?;
            if found.next().is_some() {
                return Err(AnswerError::Twice(s.title.clone()));
            }
            let note = a.note.trim().to_string();
            if !a.met && note.is_empty() {
                return Err(AnswerError::NoteMissing(s.title.clone()));
            }
            Ok(Item { code: s.code.clone(), title: s.title.clone(), met: a.met, note })
        })
        .collect()
}

/// The signage found and the limits in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signage {
    pub plaques: i64,
    pub guide_signs: i64,
    pub max_plaques: i64,
    pub max_guide_signs: i64,
}

/// The verdict of one check, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Verdict {
    pub passed: bool,
    /// 达标 or 未达标.
    pub label: String,
    pub met: usize,
    pub total: usize,
    /// Each standard not met (“未达到：…（note）”) and each signage excess (“标牌8块，超过上限6块”).
    pub reasons: Vec<String>,
    pub plaques_over: bool,
    pub guide_signs_over: bool,
    /// One sentence: the verdict with its reasons.
    pub explanation: String,
}

/// The verdict of a check: 达标 only when every standard is met and both signage counts are
/// within their limits.
pub fn judge(items: &[Item], signage: Signage) -> Verdict {
    let total = items.len();
    let met = items.iter().filter(|i| i.met).count();
    let mut reasons: Vec<String> = items
        .iter()
        .filter(|i| !i.met)
        .map(|i| if i.note.is_empty() { format!("未达到“{}”", i.title) } else { format!("未达到“{}”：{}", i.title, i.note) })
        .collect();
    let plaques_over = signage.plaques > signage.max_plaques;
    let guide_signs_over = signage.guide_signs > signage.max_guide_signs;
    if plaques_over {
        reasons.push(format!("标牌{}块，超过上限{}块", signage.plaques, signage.max_plaques));
    }
    if guide_signs_over {
        reasons.push(format!("内部指引牌{}块，超过上限{}块", signage.guide_signs, signage.max_guide_signs));
    }
    let passed = reasons.is_empty() && total > 0;
    let explanation = if passed {
        format!(
            "{total}条标准全部达到，标牌{}块（上限{}块）、内部指引牌{}块（上限{}块），达标",
            signage.plaques, signage.max_plaques, signage.guide_signs, signage.max_guide_signs
        )
    } else if total == 0 {
        "没有适用的标准，无法判定".into()
    } else {
        format!("未达标：{total}条标准达到{met}条；{}", reasons.join("；"))
    };
    Verdict { passed, label: if passed { "达标".into() } else { "未达标".into() }, met, total, reasons, plaques_over, guide_signs_over, explanation }
}

/// A signage count from a form: 0 to [`MAX_COUNT`].
pub fn count_ok(n: i64) -> bool {
    (0..=MAX_COUNT).contains(&n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_met(list: &[Standard]) -> Vec<Answer> {
        list.iter().map(|s| Answer { code: s.code.clone(), met: true, note: String::new() }).collect()
    }

    fn signage(plaques: i64, guide_signs: i64) -> Signage {
        let r = CenterRules::default();
        Signage { plaques, guide_signs, max_plaques: r.max_plaques, max_guide_signs: r.max_guide_signs }
    }

    #[test]
    fn defaults_follow_the_seeds() {
        let r = CenterRules::default();
        assert_eq!(r.village_standards.len(), 20);
        assert_eq!(r.community_standards.len(), 12);
        assert_eq!((r.max_plaques, r.max_guide_signs), (6, 12));
        r.validate().unwrap();
        assert_eq!(r.standards(CenterKind::Community).len(), 12);
    }

    #[test]
    fn signage_at_the_limits() {
        let r = CenterRules::default();
        let items = answers(&r.village_standards, &all_met(&r.village_standards)).unwrap();
        let v = judge(&items, signage(6, 12));
        assert!(v.passed, "{v:?}");
        assert_eq!((v.met, v.total, v.label.as_str()), (20, 20, "达标"));
        let v = judge(&items, signage(7, 12));
        assert!(!v.passed && v.plaques_over && !v.guide_signs_over);
        assert_eq!(v.reasons, vec!["标牌7块，超过上限6块".to_string()]);
        let v = judge(&items, signage(6, 13));
        assert!(!v.passed && v.guide_signs_over);
        assert_eq!(v.reasons, vec!["内部指引牌13块，超过上限12块".to_string()]);
        let v = judge(&items, signage(8, 15));
        assert_eq!(v.reasons.len(), 2);
        assert!(v.explanation.contains("标牌8块，超过上限6块"), "{}", v.explanation);
    }

    #[test]
    fn nineteen_of_twenty_is_not_enough() {
        let r = CenterRules::default();
        let mut given = all_met(&r.village_standards);
        given[1].met = false;
        given[1].note = "活动室被占作仓库".into();
        let items = answers(&r.village_standards, &given).unwrap();
        let v = judge(&items, signage(3, 5));
        assert!(!v.passed);
        assert_eq!((v.met, v.total), (19, 20));
        assert_eq!(v.reasons.len(), 1);
        assert!(v.reasons[0].contains("党员活动室") && v.reasons[0].contains("活动室被占作仓库"), "{:?}", v.reasons);
        assert!(v.explanation.starts_with("未达标：20条标准达到19条"), "{}", v.explanation);
    }

    #[test]
    fn answers_cover_the_list_exactly() {
        let r = CenterRules::default();
        let list = &r.community_standards;
        let mut given = all_met(list);
        given.pop();
        assert!(matches!(answers(list, &given), Err(AnswerError::Missing(t)) if t.contains("标牌")));
        let mut given = all_met(list);
        given.push(Answer { code: "drying_ground".into(), met: true, note: String::new() });
        assert_eq!(answers(list, &given), Err(AnswerError::Unknown("drying_ground".into())));
        let mut given = all_met(list);
        given.push(given[0].clone());
        assert!(matches!(answers(list, &given), Err(AnswerError::Twice(_))));
        let mut given = all_met(list);
        given[3].met = false;
        assert!(matches!(answers(list, &given), Err(AnswerError::NoteMissing(_))));
        // Order of the answers does not matter; the items follow the list.
        let mut given = all_met(list);
        given.reverse();
        let items = answers(list, &given).unwrap();
        assert_eq!(items[0].code, "venue");
    }

    #[test]
    fn bad_rules_are_refused() {
        let mut r = CenterRules::default();
        r.village_standards.push(r.village_standards[0].clone());
        assert!(r.validate().is_err());
        let r = CenterRules { max_plaques: -1, ..Default::default() };
        assert!(r.validate().is_err());
        let r = CenterRules { community_standards: vec![], ..Default::default() };
        assert!(r.validate().is_err());
        let mut r = CenterRules::default();
        r.village_standards[0].code = "会议室".into();
        assert!(r.validate().is_err());
        assert!(count_ok(0) && count_ok(200) && !count_ok(201) && !count_ok(-1));
    }
}
