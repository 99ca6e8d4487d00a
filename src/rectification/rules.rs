//! Rectification of weak and lax organizations (软弱涣散党组织整顿). Pure: no DB, no HTTP, no clock.
//!
//! - [`RectificationRules`]: the reasons an organization is identified for, the four helping
//!   forces (四支帮扶力量) and the “四个一” measures, each with its source.
//! - [`ProblemState`]: a people's problem on the list is resolved, planned or still tracked.
//! - [`check_close`]: 销号 only when every problem is closed, the forces are in place and every
//!   measure is done; the refusal names what is still open.
//! - [`suggest`]: reasons the records already show (no secretary, missed meetings, no new member
//!   for years, one star or none) — suggestions for the township, never a quota.
//!
//! Decisions: identification is by the county or township with at least one reason, without any
//! share or count (seed [004]: 不设比例，不定指标，应整尽整); a problem "planned" (纳入规划) names
//! the plan it went into and counts as closed; a problem still tracked (持续跟踪) keeps the
//! organization open.

use serde::{Deserialize, Serialize};

/// Seed [004] (常态化开展软弱涣散党组织整顿…按照“不设比例，不定指标，应整尽整”的要求…逐村制定专项整顿方案)
/// and seed [001] (四支帮扶力量：县级包联领导、县直结对部门、整顿工作组、第一书记；挂图作战、销号管理),
/// seed [002] (16个软弱涣散村全部落实“四个一”工作举措).
pub const SOURCE: &str = "县级材料[004]：不设比例，不定指标，应整尽整，逐村制定专项整顿方案；[001]：县级包联领导、县直结对部门、整顿工作组、第一书记四支帮扶力量，挂图作战、销号管理；[002]：落实“四个一”工作举措";

crate::code_enum!(
    /// The four helping forces of seed [001].
    Force {
        CountyLeader = ("county_leader", "县级包联领导"),
        Unit = ("unit", "县直结对部门"),
        WorkTeam = ("work_team", "整顿工作组（乡镇干部）"),
        FirstSecretary = ("first_secretary", "第一书记"),
    }
);

crate::code_enum!(
    /// Where a people's problem stands.
    ProblemState {
        Open = ("open", "待解决"),
        Resolved = ("resolved", "已解决"),
        Planned = ("planned", "已纳入规划"),
        Tracked = ("tracked", "持续跟踪"),
    }
);

impl ProblemState {
    /// Counts toward 销号.
    pub fn closed(self) -> bool {
        matches!(self, ProblemState::Resolved | ProblemState::Planned)
    }
}

crate::code_enum!(
    /// Where a rectification stands.
    CaseState {
        Rectifying = ("rectifying", "整顿中"),
        Closed = ("closed", "已销号"),
    }
);

/// A reason an organization is identified for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub code: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RectificationRules {
    /// The kinds of weakness (本地默认, after the types commonly used in 软弱涣散 整顿).
    pub reasons: Vec<Reason>,
    /// The “四个一” measures (本地默认 wording of seed [002]'s 四个一工作举措).
    pub measures: Vec<Reason>,
    /// Suggest organizations whose latest rating has at most this many stars.
    pub suggest_max_stars: i64,
    /// Suggest branches with no new member for this many years.
    pub suggest_no_recruit_years: i32,
}

fn r(code: &str, label: &str) -> Reason {
    Reason { code: code.into(), label: label.into() }
}

impl Default for RectificationRules {
    fn default() -> Self {
        RectificationRules {
            reasons: vec![
                r("secretary", "书记长期缺职、不胜任或工作不在状态"),
                r("disunity", "班子不团结、内耗严重，工作处于停滞状态"),
                r("life", "组织制度形同虚设，组织生活不正常"),
                r("election", "换届选举问题突出"),
                r("finance", "村务财务管理混乱，群众反映强烈"),
                r("interference", "宗族宗教势力干扰或黑恶势力影响"),
                r("order", "社会治安问题和信访矛盾集中"),
                r("economy", "集体经济薄弱，发展思路不清"),
                r("members", "党员队伍老化，长期未发展党员"),
                r("service", "服务群众意识淡薄，群众满意度低"),
            ],
            measures: vec![
                r("leader", "一名县级领导包联"),
                r("unit", "一个县直单位结对帮扶"),
                r("first_secretary", "一名第一书记驻村"),
                r("plan", "一套整顿方案"),
            ],
            suggest_max_stars: 1,
            suggest_no_recruit_years: 3,
        }
    }
}

impl RectificationRules {
    pub fn validate(&self) -> Result<(), String> {
        for list in [&self.reasons, &self.measures] {
            let mut seen = std::collections::HashSet::new();
            for x in list {
                if x.code.is_empty() || x.label.trim().is_empty() || !seen.insert(x.code.as_str()) {
                    return Err(format!("“{}”须有代码和名称且代码不重复", x.label));
                }
            }
        }
        if self.reasons.is_empty() || self.measures.is_empty() {
            return Err("软弱涣散的认定原因和“四个一”举措都不能为空".into());
        }
        if !(0..=5).contains(&self.suggest_max_stars) || !(1..=20).contains(&self.suggest_no_recruit_years) {
            return Err("提示条件：星级在0至5之间，未发展党员年限在1至20年之间".into());
        }
        Ok(())
    }
    pub fn reason(&self, code: &str) -> Option<&Reason> {
        self.reasons.iter().find(|x| x.code == code || x.label == code)
    }
    pub fn measure(&self, code: &str) -> Option<&Reason> {
        self.measures.iter().find(|x| x.code == code || x.label == code)
    }
}

/// What 销号 looks at.
#[derive(Clone, Debug, Default)]
pub struct CaseFacts {
    pub plan: String,
    /// Forces assigned (still serving).
    pub forces: Vec<Force>,
    /// Measures done, by code.
    pub measures_done: Vec<String>,
    /// The problems' states.
    pub problems: Vec<(String, ProblemState)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// Whether the case may be closed (销号): a plan, the four forces, every measure done, at least
/// one problem listed and every problem resolved or planned.
pub fn check_close(rules: &RectificationRules, f: &CaseFacts) -> Result<(), Refusal> {
    if f.plan.trim().is_empty() {
        return Err(Refusal { code: "plan_missing", message: "尚未制定整顿方案，不能销号".into() });
    }
    let missing: Vec<&str> = Force::ALL.iter().filter(|x| !f.forces.contains(x)).map(|x| x.label()).collect();
    if !missing.is_empty() {
        return Err(Refusal { code: "forces_missing", message: format!("四支帮扶力量尚未配齐：缺{}", missing.join("、")) });
    }
    let undone: Vec<&str> = rules.measures.iter().filter(|m| !f.measures_done.contains(&m.code)).map(|m| m.label.as_str()).collect();
    if !undone.is_empty() {
        return Err(Refusal { code: "measures_undone", message: format!("“四个一”举措尚未落实：{}", undone.join("、")) });
    }
    if f.problems.is_empty() {
        return Err(Refusal { code: "no_problems", message: "尚未列出群众反映的问题清单，不能销号".into() });
    }
    let open: Vec<String> = f.problems.iter().filter(|(_, s)| !s.closed()).map(|(t, s)| format!("{t}（{}）", s.label())).collect();
    if !open.is_empty() {
        return Err(Refusal { code: "problems_open", message: format!("还有{}个问题未解决或未纳入规划：{}", open.len(), open.join("、")) });
    }
    Ok(())
}

/// What the records show about an organization, for suggestions.
#[derive(Clone, Debug, Default)]
pub struct SuggestFacts {
    pub has_secretary: bool,
    pub meetings_missed: i64,
    pub meetings_due: i64,
    /// Year of the latest admission, if any.
    pub latest_admission_year: Option<i32>,
    /// Latest rating's year and stars.
    pub rated: Option<(i32, i64)>,
}

/// Reasons the records suggest, each with its evidence: (reason code, evidence).
pub fn suggest(rules: &RectificationRules, year: i32, f: &SuggestFacts) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !f.has_secretary {
        out.push(("secretary".into(), "书记空缺".into()));
    }
    if f.meetings_due > 0 && f.meetings_missed * 3 >= f.meetings_due {
        out.push(("life".into(), format!("{year}年到期的组织生活要求{}项，未按期{}项", f.meetings_due, f.meetings_missed)));
    }
    match f.latest_admission_year {
        Some(y) if y > year - rules.suggest_no_recruit_years => {}
        Some(y) => out.push(("members".into(), format!("近{}年未发展党员（最近一次{y}年）", rules.suggest_no_recruit_years))),
        None => out.push(("members".into(), "名册中无入党记录".into())),
    }
    if let Some((y, s)) = f.rated {
        if s <= rules.suggest_max_stars {
            out.push(("service".into(), format!("{y}年度星级评定为{}", if s == 0 { "未定星".to_string() } else { format!("{s}星") })));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> CaseFacts {
        CaseFacts {
            plan: "一村一策整顿方案".into(),
            forces: Force::ALL.to_vec(),
            measures_done: RectificationRules::default().measures.iter().map(|m| m.code.clone()).collect(),
            problems: vec![("村道破损".into(), ProblemState::Resolved), ("排水沟".into(), ProblemState::Planned)],
        }
    }

    #[test]
    fn closing_needs_every_problem_closed() {
        let r = RectificationRules::default();
        assert_eq!(check_close(&r, &full()), Ok(()));
        let mut f = full();
        f.problems.push(("路灯".into(), ProblemState::Tracked));
        let e = check_close(&r, &f).unwrap_err();
        assert_eq!(e.code, "problems_open");
        assert!(e.message.contains("路灯（持续跟踪）"));
        f.problems.pop();
        f.problems.push(("饮水".into(), ProblemState::Open));
        assert_eq!(check_close(&r, &f).unwrap_err().code, "problems_open");
        let mut f = full();
        f.problems.clear();
        assert_eq!(check_close(&r, &f).unwrap_err().code, "no_problems");
    }

    #[test]
    fn closing_needs_plan_forces_and_measures() {
        let r = RectificationRules::default();
        let mut f = full();
        f.plan.clear();
        assert_eq!(check_close(&r, &f).unwrap_err().code, "plan_missing");
        let mut f = full();
        f.forces.retain(|x| *x != Force::FirstSecretary);
        let e = check_close(&r, &f).unwrap_err();
        assert_eq!(e.code, "forces_missing");
        assert!(e.message.contains("第一书记"));
        let mut f = full();
        f.measures_done.pop();
        assert!(check_close(&r, &f).unwrap_err().message.contains("一套整顿方案"));
    }

    #[test]
    fn suggestions_come_with_their_evidence() {
        let r = RectificationRules::default();
        let f = SuggestFacts { has_secretary: false, meetings_missed: 4, meetings_due: 12, latest_admission_year: Some(2021), rated: Some((2025, 1)) };
        let s = suggest(&r, 2026, &f);
        let codes: Vec<&str> = s.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, vec!["secretary", "life", "members", "service"]);
        assert!(s[2].1.contains("2021"));
        let ok = SuggestFacts { has_secretary: true, meetings_missed: 3, meetings_due: 12, latest_admission_year: Some(2024), rated: Some((2025, 3)) };
        assert!(suggest(&r, 2026, &ok).is_empty());
        r.validate().unwrap();
    }
}
