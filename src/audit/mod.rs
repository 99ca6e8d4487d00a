//! The audit log: append-only (the database refuses UPDATE and DELETE on it),
//! who did what, when, in which org, with the record before and after.

use serde::Serialize;
use sqlx::Row as _;

use crate::auth::roles::Actor;
use crate::auth::{cap, Scope};
use crate::db::{Conn, Sql};
use crate::error::AppResult;

/// Anything that lives in an org of the tree.
pub trait InOrg {
    fn org_ref(&self) -> (i64, &str);
}

impl InOrg for crate::orgs::model::Org {
    fn org_ref(&self) -> (i64, &str) {
        (self.id, &self.path)
    }
}

/// An (org id, org path) pair, for records that name their org directly.
impl InOrg for (i64, &str) {
    fn org_ref(&self) -> (i64, &str) {
        (self.0, self.1)
    }
}

impl InOrg for crate::members::model::Member {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &mut Conn,
    actor: Option<&Actor>,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    at: &(dyn InOrg + Sync),
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> AppResult<()> {
    let (org_id, org_path) = at.org_ref();
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, username, action, entity, entity_id, org_id, org_path, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(crate::db::now_secs())
    .bind(actor.map(|a| a.user_id))
    .bind(actor.map(|a| a.username.as_str()).unwrap_or("system"))
    .bind(action)
    .bind(entity)
    .bind(entity_id)
    .bind(org_id)
    .bind(org_path)
    .bind(before.map(|v| v.to_string()))
    .bind(after.map(|v| v.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One entry per item of a bulk change (an import: one per org that received rows), written a
/// few hundred per statement. Each item: the entity's id, where it is, and what it became.
pub async fn record_many(
    conn: &mut Conn,
    actor: Option<&Actor>,
    action: &str,
    entity: &str,
    items: &[(Option<i64>, &(dyn InOrg + Sync), serde_json::Value)],
) -> AppResult<()> {
    let now = crate::db::now_secs();
    for chunk in items.chunks(200) {
        let mut sql = crate::db::Sql::bulk(
            conn,
            "INSERT INTO audit_log (at, user_id, username, action, entity, entity_id, org_id, org_path, before_json, after_json) VALUES ",
        );
        for (i, (entity_id, at, after)) in chunk.iter().enumerate() {
            let (org_id, org_path) = at.org_ref();
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(now)
                .push(", ")
                .bind(actor.map(|a| a.user_id))
                .push(", ")
                .bind(actor.map(|a| a.username.as_str()).unwrap_or("system"))
                .push(", ")
                .bind(action)
                .push(", ")
                .bind(entity)
                .push(", ")
                .bind(*entity_id)
                .push(", ")
                .bind(org_id)
                .push(", ")
                .bind(org_path)
                .push(", NULL, ")
                .bind(after.to_string())
                .push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Logs that `actor` was shown `entity` with its full ID numbers and phones, when their role
/// reads those in full there (PIPL: every full read of personal data is recorded). Lists are
/// always masked; detail views and exports call this.
pub async fn full_read(conn: &mut Conn, actor: &Actor, entity: &str, entity_id: i64, at: &(dyn InOrg + Sync)) -> AppResult<()> {
    if actor.scope::<cap::ReadSensitive>().covers(at.org_ref().1) {
        record(conn, Some(actor), &format!("{entity}.view_sensitive"), entity, Some(entity_id), at, None, None).await?;
    }
    Ok(())
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub username: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Entries about orgs in `scope` under `root_path`, newest first.
/// Scope follows the org's current place in the tree.
pub async fn list(
    conn: &mut Conn,
    scope: &Scope<cap::ReadAudit>,
    root_path: &str,
    entity: Option<(&str, i64)>,
    before_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<AuditEntry>> {
    let scope = scope.within(root_path);
    let mut sql = Sql::new(
        "SELECT a.id, a.at, a.username, a.action, a.entity, a.entity_id, a.org_id, o.name AS org_name, a.before_json, a.after_json \
         FROM audit_log a JOIN orgs o ON o.id = a.org_id WHERE 1=1",
    );
    scope.push_filter(&mut sql, "o.path");
    if let Some((e, id)) = entity {
        sql.push(" AND a.entity = ").bind(e).push(" AND a.entity_id = ").bind(id);
    }
    if let Some(b) = before_id {
        sql.push(" AND a.id < ").bind(b);
    }
    sql.push(" ORDER BY a.id DESC LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                username: r.try_get("username")?,
                action: r.try_get("action")?,
                entity: r.try_get("entity")?,
                entity_id: r.try_get("entity_id")?,
                org_id: r.try_get("org_id")?,
                org_name: r.try_get("org_name")?,
                before: r.try_get("before_json")?,
                after: r.try_get("after_json")?,
            })
        })
        .collect()
}

/// Chinese label for an action code.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "org.create" => "新建党组织",
        "org.update" => "修改党组织",
        "org.move" => "调整隶属关系",
        "org.dissolve" => "撤销党组织",
        "member.create" => "新增党员",
        "member.update" => "修改党员信息",
        "member.transfer" => "组织关系转接",
        "member.leave" => "离开党员名册",
        "recruit.apply" => "登记入党申请",
        "recruit.step" => "办理发展党员步骤",
        "recruit.review" => "入党积极分子半年考察",
        "recruit.probation" => "预备期满讨论",
        "recruit.withdraw" => "终止发展程序",
        "mobile.leave" => "流动党员外出报备",
        "mobile.ledger" => "更新流动党员“七个清楚”台账",
        "mobile.update" => "流动党员活动证、介绍信、临时党支部",
        "mobile.return" => "流动党员返回",
        "team.appoint" => "班子成员任职",
        "team.end" => "班子成员结束任职",
        "delegate.create" => "登记党代表",
        "delegate.review" => "党代表季度分析",
        "delegate.terminate" => "终止党代表资格",
        "cadre.doc" => "书记档案归档",
        "cadre.reserve" => "列入后备干部库",
        "cadre.reserve_remove" => "移出后备干部库",
        "cadre.director" => "登记村（居）委会主任",
        "cadre.first_secretary" => "选派第一书记",
        "cadre.first_secretary_end" => "第一书记选派结束",
        "cadre.assessment" => "书记年度考核",
        "pairing.create" => "登记结对",
        "pairing.activity" => "登记结对活动",
        "pairing.end" => "结束结对",
        "points.civic" => "登记文明实践积分",
        "points.manual" => "登记党员奖励分或扣分",
        "points.catalog" => "设置党员积分规则",
        "points.reverse" => "更正积分",
        "market.create" => "开设文明超市",
        "market.good" => "文明超市上架物品",
        "market.stock" => "文明超市入库",
        "market.redeem" => "文明超市兑换",
        "member.view_sensitive" => "查看完整身份证号/电话",
        "member.import" => "批量导入党员",
        "org.import" => "批量导入党组织",
        "member.export" => "导出党员名册",
        "user.create" => "新建用户",
        "user.grant" => "授予角色",
        "user.revoke" => "收回角色",
        "user.password" => "重置密码",
        "auth.login" => "登录",
        "user.disable" => "停用账号",
        "user.enable" => "启用账号",
        "user.password_reset" => "管理员重置密码",
        "building.assign" => "在职党员包楼报到",
        "building.create" => "添加楼栋",
        "building.unassign" => "结束包楼",
        "dispute.act" => "办理矛盾纠纷",
        "dispute.create" => "排查登记纠纷",
        "dispute.view_sensitive" => "查看纠纷当事人完整信息",
        "dues.adjust" => "党费减免",
        "dues.basis" => "核定党费基数",
        "dues.payment" => "登记党费交纳",
        "grid.create" => "新建网格",
        "household.create" => "登记住户",
        "household.import" => "批量导入住户",
        "household.resident" => "登记家庭成员",
        "household.special" => "登记特殊群体",
        "household.update" => "修改住户",
        "household.view_sensitive" => "查看住户完整信息",
        "meeting.amend" => "更正会议记录",
        "meeting.attendance" => "登记出勤",
        "meeting.close" => "会议归档",
        "meeting.create" => "安排会议",
        "meeting.file" => "上传会议照片或附件",
        "meeting.hold" => "登记会议召开",
        "meeting.items" => "登记主题党日内容",
        "meeting.sign_in" => "扫码签到",
        "meeting.vote" => "记录表决",
        "request.act" => "办理群众诉求",
        "request.create" => "登记群众诉求",
        "request.reissue_code" => "补发查询码",
        "request.view_sensitive" => "查看诉求人完整信息",
        "team.create" => "新建先锋队",
        "theme_day.checklist" => "设定主题党日清单",
        "training.class" => "开设培训班",
        "training.enroll" => "培训报名",
        "training.marks" => "培训考勤",
        "training.session" => "安排培训课程",
        "training.withdraw" => "退出培训",
        _ => "其他操作",
    }
}

/// Field names of the recorded JSON, in Chinese, for the log page.
const FIELD_LABELS: &[(&str, &str)] = &[
    ("id", "编号"), ("name", "姓名/名称"), ("code", "编码"), ("kind", "类型"), ("variant", "类别"), ("domain", "领域"),
    ("parent_id", "上级组织"), ("path", "位置"), ("org_id", "党组织"), ("org_name", "党组织"), ("org_path", "位置"),
    ("id_number", "身份证号"), ("gender", "性别"), ("birth_date", "出生日期"), ("ethnicity", "民族"), ("education", "学历"),
    ("phone", "电话"), ("joined_on", "入党日期"), ("full_on", "转正日期"), ("status", "状态"), ("posts", "党内职务"),
    ("vanguard_post", "先锋岗"), ("responsibility_area", "责任区"), ("in_service", "在职党员"), ("report_org_id", "报到社区"),
    ("work_unit", "工作单位"), ("member_id", "党员"), ("user_id", "用户"), ("username", "用户名"), ("role", "角色"),
    ("disabled", "停用"), ("password", "密码"), ("session_id", "会话"), ("state", "状态"), ("reason", "原因"), ("category", "类别"),
    ("building_id", "楼栋"), ("building", "楼栋"), ("address", "门牌"), ("head_name", "户主"), ("grid_id", "网格"),
    ("central_member_id", "党员中心户"), ("amount_fen", "金额"), ("base_fen", "基数"), ("fixed_fen", "定额"), ("month", "月份"),
    ("from_month", "起始月份"), ("method", "方式"), ("level", "层级"), ("items", "活动内容"), ("action", "操作"), ("to_org", "转入"),
    ("from_org", "转出"), ("team", "专班"), ("source", "来源"), ("rows", "行数"), ("risk", "风险等级"), ("resident_id", "居民"),
    ("present", "到会"), ("matter", "表决事项"), ("marks", "考勤"), ("imported", "导入"), ("held_on", "召开日期"),
    ("full_id_numbers", "完整证件号"), ("from", "从"), ("to", "到"), ("file", "文件"), ("entitled", "应到"), ("duplicate_of", "重复于"),
    ("date", "日期"), ("on", "日期"), ("attendance", "出勤"), ("assignment_id", "报到记录"), ("added", "新增"), ("dissolved_on", "撤销日期"),
    ("founded_on", "成立日期"), ("term_start", "换届日期"), ("joint_units", "联合单位数"), ("topic", "主题"), ("place", "地点"),
    ("minutes", "会议记录"), ("field", "更正项"), ("before", "原文"), ("after", "更正为"), ("note", "说明"), ("text", "内容"),
];

fn field_label(key: &str) -> &str {
    FIELD_LABELS.iter().find(|(k, _)| *k == key).map(|(_, l)| *l).unwrap_or(key)
}

fn describe_value(key: &str, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "（空）".into(),
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        Value::Number(n) if key.ends_with("_fen") => n.as_i64().map(|f| format!("{} 元", crate::dues::store::fmt_yuan(f))).unwrap_or_else(|| n.to_string()),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(|x| describe_value(key, x)).collect::<Vec<_>>().join("、"),
        Value::Object(_) => format!("（{}）", describe_json(v)),
    }
}

fn describe_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(map) => map.iter().map(|(k, x)| format!("{}：{}", field_label(k), describe_value(k, x))).collect::<Vec<_>>().join("；"),
        other => describe_value("", other),
    }
}

/// A recorded before/after JSON as people read it: “姓名：张三；电话：138****5678”.
pub fn describe(json: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(v) => describe_json(&v),
        Err(_) => json.to_string(),
    }
}

#[cfg(test)]
mod label_tests {
    /// Every action the code records has a Chinese name on the log page.
    #[test]
    fn every_recorded_action_is_named() {
        let sources = [
            include_str!("../members/store.rs"), include_str!("../orgs/store.rs"), include_str!("../auth/store.rs"),
            include_str!("../meetings/store.rs"), include_str!("../meetings/theme_day.rs"), include_str!("../dues/store.rs"),
            include_str!("../training/store.rs"), include_str!("../grids/store.rs"), include_str!("../grids/import.rs"),
            include_str!("../requests/store.rs"), include_str!("../disputes/store.rs"), include_str!("../members/import.rs"),
            include_str!("../members/export.rs"), include_str!("../web/ui_governance.rs"), include_str!("../web/api_governance.rs"),
        ];
        let mut missing = Vec::new();
        for src in sources {
            for part in src.split("audit::record(").skip(1) {
                let Some(action) = part.split('"').nth(1) else { continue };
                if action.contains('.') && super::action_label(action) == "其他操作" {
                    missing.push(action.to_string());
                }
            }
        }
        assert!(missing.is_empty(), "no Chinese name for {missing:?}");
    }
}

#[cfg(test)]
mod describe_tests {
    #[test]
    fn keys_become_chinese_and_money_yuan() {
        let s = super::describe(r#"{"month":"2026-11","amount_fen":4050,"method":"cash","in_service":true,"posts":["secretary"]}"#);
        // serde_json keeps keys sorted.
        assert_eq!(s, "金额：40.50 元；在职党员：是；方式：cash；月份：2026-11；党内职务：secretary");
        assert_eq!(super::describe("not json"), "not json");
    }
}
