//! 小微权力清单 and 承诺践诺 rules. Pure: no DB, no HTTP, no clock.
//!
//! - [`PowerCatalog`]: the catalog of village powers, each with its procedure (the steps in
//!   order), its basis, and whether it must pass 四议两公开 first. A county sets its own in the
//!   app; the default below is a local one.
//! - [`check_power_step`]: whether the next step of a power's use may be recorded.
//! - [`Commitment`] states and [`check_commitment`]: what may happen to a commitment now.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Seed [001]: 襄汾县委将村级集体事项、便民服务事项，纳入“小微权力清单”，规范农村干部行使权力；
/// 村级所有重大事项在进入“四议两公开”程序前，先由支部、村委及村务监督委员会三方商议。
pub const SOURCE: &str = "村级集体事项、便民服务事项纳入“小微权力清单”，规范农村干部行使权力（县级材料[001]）；重大事项须经“四议两公开”";

/// Seed [000]: 9个乡镇83个单位向县委县政府承诺完成的663项事项.
pub const COMMITMENT_SOURCE: &str = "乡镇、单位和村向上级党委政府承诺事项、年底践诺（县级材料[000]：9个乡镇83个单位承诺663项）";

/// A catalog holds at most this many powers, and a procedure this many steps.
pub const MAX_ITEMS: usize = 60;
pub const MAX_STEPS: usize = 12;

/// One village power (一项权力) and how it is exercised.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PowerItem {
    /// Stable short code (`asset_disposal`); a county's own items get one from their name.
    pub code: String,
    /// 重大事项决策, 日常事务管理 or 便民服务 (any text a county uses).
    pub category: String,
    pub name: String,
    /// The law or rule it rests on.
    pub basis: String,
    /// Must pass 四议两公开 (a published decision) before its last step.
    pub four_two: bool,
    /// The procedure, in order.
    pub steps: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PowerCatalog {
    pub items: Vec<PowerItem>,
}

fn item(code: &str, category: &str, name: &str, basis: &str, four_two: bool, steps: &[&str]) -> PowerItem {
    PowerItem { code: code.into(), category: category.into(), name: name.into(), basis: basis.into(), four_two, steps: steps.iter().map(|s| s.to_string()).collect() }
}

impl Default for PowerCatalog {
    /// A local default in the shape seed [001] describes (村级集体事项 and 便民服务事项); the items
    /// and their procedures follow the common practice of county 清单 (重大事项 through 四议两公开,
    /// money through the 村务监督委员会 and the township's 三资 agency, 公示 before 上报).
    fn default() -> Self {
        const D: &str = "重大事项决策";
        const M: &str = "日常事务管理";
        const S: &str = "便民服务";
        PowerCatalog {
            items: vec![
                item("asset_disposal", D, "集体资产资源处置（发包、租赁、出让）", "《村民委员会组织法》第二十四条", true, &["“四议两公开”形成决议", "资产评估", "公开招标或竞价", "签订合同并备案", "结果公示"]),
                item("village_project", D, "村级工程项目建设", "《村民委员会组织法》第二十四条", true, &["“四议两公开”形成决议", "公开招标或比选", "签订合同", "施工监督", "竣工验收", "结果公示"]),
                item("land_transfer", D, "集体土地承包和流转", "《农村土地承包法》", true, &["“四议两公开”形成决议", "拟定方案并公示", "签订流转合同", "报乡镇备案", "结果公示"]),
                item("big_spending", D, "集体大额资金使用", "《村民委员会组织法》第二十四条", true, &["“四议两公开”形成决议", "村务监督委员会审核", "乡镇三资代理中心审核", "支付并记账", "结果公示"]),
                item("finance", M, "村级财务收支", "农村集体“三资”管理规定", false, &["经办人凭据报账", "村务监督委员会审核", "村党组织书记审批", "乡镇三资代理中心记账", "按月公开"]),
                item("purchase", M, "村级物品采购", "农村集体“三资”管理规定", false, &["提出采购申请", "两委会研究", "询价采购", "验收入账", "公开"]),
                item("seal", M, "村级印章使用", "村级印章管理规定", false, &["提出用印申请", "村党组织书记审批", "登记用印"]),
                item("homestead", S, "农村宅基地申请", "《土地管理法》第六十二条", false, &["本人书面申请", "村民小组评议", "村两委审查", "村内公示5个工作日", "报乡镇审批"]),
                item("assistance", S, "低保、特困救助申请", "《社会救助暂行办法》", false, &["本人申请", "入户调查核实", "民主评议", "村内公示", "报乡镇审核"]),
                item("subsidy", S, "惠农补贴申报", "惠农补贴资金管理规定", false, &["农户申报", "村组核实", "村内公示", "报乡镇"]),
                item("certificate", S, "村级证明出具", "村级证明事项清单", false, &["群众申请", "核实情况", "出具证明", "登记备查"]),
                item("recruit_worker", S, "村级公益性岗位人员选用", "公益性岗位管理办法", false, &["公布岗位和条件", "群众报名", "两委会研究", "公示", "报乡镇备案"]),
            ],
        }
    }
}

impl PowerCatalog {
    pub fn item(&self, code: &str) -> Option<&PowerItem> {
        let code = code.trim();
        self.items.iter().find(|i| i.code == code || i.name == code)
    }

    /// Categories in catalog order.
    pub fn categories(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for i in &self.items {
            if !out.contains(&i.category) {
                out.push(i.category.clone());
            }
        }
        out
    }

    /// A readable reason when the catalog cannot be used.
    pub fn validate(&self) -> Result<(), String> {
        if self.items.is_empty() {
            return Err("清单至少要有一项权力".into());
        }
        if self.items.len() > MAX_ITEMS {
            return Err(format!("清单最多{MAX_ITEMS}项"));
        }
        for (n, i) in self.items.iter().enumerate() {
            let at = format!("第{}项", n + 1);
            if i.code.trim().is_empty() || i.code.chars().count() > 40 {
                return Err(format!("{at}缺少代码或代码过长"));
            }
            if i.name.trim().is_empty() || i.name.chars().count() > 60 {
                return Err(format!("{at}缺少名称或名称超过60字"));
            }
            if i.category.trim().is_empty() || i.category.chars().count() > 20 {
                return Err(format!("“{}”缺少类别或类别超过20字", i.name));
            }
            if i.basis.chars().count() > 100 {
                return Err(format!("“{}”的依据超过100字", i.name));
            }
            if i.steps.is_empty() || i.steps.len() > MAX_STEPS {
                return Err(format!("“{}”的流程应有1至{MAX_STEPS}步", i.name));
            }
            if i.steps.iter().any(|s| s.trim().is_empty() || s.chars().count() > 40) {
                return Err(format!("“{}”的流程步骤不能为空，每步不超过40字", i.name));
            }
            if self.items[..n].iter().any(|o| o.code == i.code || o.name == i.name) {
                return Err(format!("“{}”重复", i.name));
            }
        }
        Ok(())
    }
}

pub use super::rules::Refusal;
use super::rules::refuse;

/// Whether step number `seq` (from 1) of a procedure of `steps` may be recorded on `on`, after
/// the steps done on `done` (in order). `four_two`: for a 四议两公开 power, whether its decision
/// has been published (None for other powers); it gates the last step.
pub fn check_power_step(steps: &[String], done: &[NaiveDate], seq: usize, on: NaiveDate, today: NaiveDate, four_two: Option<bool>) -> Result<(), Refusal> {
    if on > today {
        return Err(refuse("date_in_future", "日期不能晚于今天：请在办理后登记"));
    }
    if done.len() >= steps.len() {
        return Err(refuse("procedure_complete", "流程各步骤均已办结"));
    }
    let expected = done.len() + 1;
    if seq < expected {
        return Err(refuse("step_done", format!("第{seq}步“{}”已经登记过", steps[seq - 1])));
    }
    if seq != expected {
        let skipped: Vec<&str> = steps[expected - 1..(seq - 1).min(steps.len())].iter().map(String::as_str).collect();
        return Err(refuse("step_skipped", format!("不能跳过步骤：应先办理“{}”", skipped.join("”“"))));
    }
    if let Some(prev) = done.last() {
        if on < *prev {
            return Err(refuse("step_before_previous", format!("“{}”的日期 {on} 早于上一步的 {prev}：每一步都须在上一步之后", steps[seq - 1])));
        }
    }
    if seq == steps.len() && four_two == Some(false) {
        return Err(refuse("decision_not_published", format!("这项权力须经“四议两公开”：关联事项的决议公开后，才能办理最后一步“{}”", steps[seq - 1])));
    }
    Ok(())
}

crate::code_enum!(
    /// Where a commitment (承诺事项) stands.
    CommitmentState {
        Open = ("open", "践诺中"),
        Fulfilled = ("fulfilled", "已践诺待核验"),
        Verified = ("verified", "已核验"),
        Unfulfilled = ("unfulfilled", "未践诺"),
    }
);

/// What may be done to a commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commitment {
    /// The org reports it done (践诺), on a day.
    Fulfil(NaiveDate),
    /// The level above checks the report: accepted, or sent back to 践诺中.
    Verify { accept: bool },
    /// The level above records it as not fulfilled once its due day has passed.
    Fail,
}

/// Whether `action` may be taken on a commitment in `state`, made on `made_on` and due on `due_on`.
pub fn check_commitment(state: CommitmentState, made_on: NaiveDate, due_on: NaiveDate, action: Commitment, today: NaiveDate) -> Result<CommitmentState, Refusal> {
    use CommitmentState::*;
    match action {
        Commitment::Fulfil(on) => {
            if state != Open {
                return Err(refuse("not_open", format!("该承诺“{}”，不能再报践诺", state.label())));
            }
            if on > today {
                return Err(refuse("date_in_future", "践诺日期不能晚于今天"));
            }
            if on < made_on {
                return Err(refuse("before_made", format!("践诺日期 {on} 早于承诺日期 {made_on}")));
            }
            Ok(Fulfilled)
        }
        Commitment::Verify { accept } => {
            if state != Fulfilled {
                return Err(refuse("not_fulfilled", format!("只有“已践诺待核验”的承诺才能核验，该承诺“{}”", state.label())));
            }
            Ok(if accept { Verified } else { Open })
        }
        Commitment::Fail => {
            if state != Open {
                return Err(refuse("not_open", format!("该承诺“{}”，不能认定为未践诺", state.label())));
            }
            if today <= due_on {
                return Err(refuse("not_due", format!("承诺期限 {due_on} 尚未届满，届满后才能认定未践诺")));
            }
            Ok(Unfulfilled)
        }
    }
}

/// Open past its due day.
pub fn overdue(state: CommitmentState, due_on: NaiveDate, today: NaiveDate) -> bool {
    state == CommitmentState::Open && today > due_on
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn steps(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("步骤{i}")).collect()
    }

    #[test]
    fn the_default_catalog_is_valid_and_cites_its_source() {
        let c = PowerCatalog::default();
        c.validate().unwrap();
        assert!(c.items.iter().any(|i| i.four_two));
        assert_eq!(c.categories(), vec!["重大事项决策", "日常事务管理", "便民服务"]);
        assert!(SOURCE.contains("[001]"));
        assert!(c.item("资产").is_none());
        assert_eq!(c.item("村级印章使用").unwrap().code, "seal");
    }

    #[test]
    fn a_catalog_with_a_duplicate_or_an_empty_procedure_is_refused() {
        let mut c = PowerCatalog::default();
        c.items.push(c.items[0].clone());
        assert!(c.validate().unwrap_err().contains("重复"));
        let mut c = PowerCatalog::default();
        c.items[1].steps.clear();
        assert!(c.validate().unwrap_err().contains("流程"));
        assert!(PowerCatalog { items: vec![] }.validate().is_err());
    }

    #[test]
    fn steps_go_in_order_and_never_back_in_time() {
        let s = steps(3);
        let today = d("2026-11-30");
        assert!(check_power_step(&s, &[], 1, d("2026-11-01"), today, None).is_ok());
        assert_eq!(check_power_step(&s, &[], 2, d("2026-11-01"), today, None).unwrap_err().code, "step_skipped");
        let done = [d("2026-11-02")];
        assert_eq!(check_power_step(&s, &done, 1, d("2026-11-03"), today, None).unwrap_err().code, "step_done");
        assert_eq!(check_power_step(&s, &done, 2, d("2026-11-01"), today, None).unwrap_err().code, "step_before_previous");
        assert!(check_power_step(&s, &done, 2, d("2026-11-02"), today, None).is_ok());
        assert_eq!(check_power_step(&s, &done, 2, d("2026-12-01"), today, None).unwrap_err().code, "date_in_future");
        let all = [d("2026-11-02"), d("2026-11-03"), d("2026-11-04")];
        assert_eq!(check_power_step(&s, &all, 4, d("2026-11-05"), today, None).unwrap_err().code, "procedure_complete");
    }

    #[test]
    fn a_four_two_power_waits_for_the_published_decision_at_its_last_step() {
        let s = steps(2);
        let today = d("2026-11-30");
        let done = [d("2026-11-02")];
        assert!(check_power_step(&s, &[], 1, d("2026-11-01"), today, Some(false)).is_ok(), "earlier steps do not wait");
        let r = check_power_step(&s, &done, 2, d("2026-11-03"), today, Some(false)).unwrap_err();
        assert_eq!(r.code, "decision_not_published");
        assert!(r.message.contains("步骤2"));
        assert!(check_power_step(&s, &done, 2, d("2026-11-03"), today, Some(true)).is_ok());
    }

    #[test]
    fn a_commitment_is_fulfilled_then_verified_or_sent_back() {
        use CommitmentState::*;
        let (made, due, today) = (d("2026-02-01"), d("2026-12-31"), d("2026-11-30"));
        assert_eq!(check_commitment(Open, made, due, Commitment::Fulfil(d("2026-11-20")), today), Ok(Fulfilled));
        assert_eq!(check_commitment(Open, made, due, Commitment::Fulfil(d("2026-01-20")), today).unwrap_err().code, "before_made");
        assert_eq!(check_commitment(Open, made, due, Commitment::Fulfil(d("2026-12-01")), today).unwrap_err().code, "date_in_future");
        assert_eq!(check_commitment(Fulfilled, made, due, Commitment::Fulfil(d("2026-11-20")), today).unwrap_err().code, "not_open");
        assert_eq!(check_commitment(Fulfilled, made, due, Commitment::Verify { accept: true }, today), Ok(Verified));
        assert_eq!(check_commitment(Fulfilled, made, due, Commitment::Verify { accept: false }, today), Ok(Open));
        assert_eq!(check_commitment(Open, made, due, Commitment::Verify { accept: true }, today).unwrap_err().code, "not_fulfilled");
    }

    #[test]
    fn a_commitment_is_unfulfilled_only_after_its_due_day() {
        use CommitmentState::*;
        let made = d("2026-02-01");
        assert_eq!(check_commitment(Open, made, d("2026-11-30"), Commitment::Fail, d("2026-11-30")).unwrap_err().code, "not_due");
        assert_eq!(check_commitment(Open, made, d("2026-11-29"), Commitment::Fail, d("2026-11-30")), Ok(Unfulfilled));
        assert_eq!(check_commitment(Verified, made, d("2026-11-29"), Commitment::Fail, d("2026-11-30")).unwrap_err().code, "not_open");
        assert!(overdue(Open, d("2026-11-29"), d("2026-11-30")));
        assert!(!overdue(Open, d("2026-11-30"), d("2026-11-30")));
        assert!(!overdue(Fulfilled, d("2026-11-29"), d("2026-11-30")));
    }
}
