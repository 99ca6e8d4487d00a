//! 小微权力清单 in the database: the catalog in force at an org (a county's own, else the rules
//! file's), set by an office (`WriteOrgs`); each use of a power by a village (`WriteOrgLife`),
//! its procedure copied from the catalog when the use begins, its steps recorded in order (a
//! conditional update on the count, and `UNIQUE(use_id, seq)`, so two recorders cannot both take
//! the next step). A power that needs 四议两公开 names the village's matter and cannot take its
//! last step before that matter's decision is published. Read with `ReadOrgs`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::powers::{self, PowerCatalog, PowerItem};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{now_secs, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::members::validate::{past_day, short_text};
use crate::orgs::inherited::Inherited;
use crate::orgs::model::Org;

const TABLE: &str = "power_catalogs";

/// The catalog in force at `org`, and the org that set it (None: the default).
pub async fn catalog_for(conn: &mut Conn, cfg: &Rules, org: &Org) -> AppResult<(PowerCatalog, Option<String>)> {
    let all = Inherited::load(conn, TABLE, cfg.powers.clone()).await?;
    let (c, from) = all.at(&org.path);
    Ok((c.clone(), from.map(str::to_string)))
}

/// Sets the catalog of an org's subtree (a county; a township for its own villages).
/// `items` None: the request named none (refused once the caller may set it).
pub async fn set_catalog(conn: &mut Conn, actor: &Actor, org: &Org, items: Option<Vec<PowerItem>>) -> AppResult<PowerCatalog> {
    if !actor.can(Perm::WriteOrgs, &org.path) {
        return Err(AppError::forbidden("您的角色无权制定小微权力清单"));
    }
    let items = items.ok_or_else(|| AppError::invalid_field("items_required", "items", "请提供清单事项（items）"))?;
    let mut catalog = PowerCatalog { items };
    for i in &mut catalog.items {
        i.code = i.code.trim().to_string();
        i.name = i.name.trim().to_string();
        i.category = i.category.trim().to_string();
        i.basis = i.basis.trim().to_string();
        i.steps = i.steps.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if i.code.is_empty() {
            i.code = i.name.clone();
        }
    }
    catalog.validate().map_err(|m| AppError::invalid("catalog_invalid", m))?;
    let (_, before) = crate::orgs::inherited::put(conn, TABLE, org.id, actor.user_id, &catalog).await?;
    let before = before.and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok());
    audit::record(conn, Some(actor), "powers.catalog", "org", Some(org.id), org, before.as_ref(), Some(&serde_json::to_value(&catalog).unwrap_or_default())).await?;
    Ok(catalog)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UseStep {
    pub seq: i64,
    pub name: String,
    pub on_day: String,
    pub note: String,
    pub by: String,
}

/// One use of a power by a village (一次权力运行).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PowerUse {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub item_code: String,
    pub item_name: String,
    pub category: String,
    /// What it is about (“张某宅基地申请”, “村东鱼塘发包”).
    pub subject: String,
    /// The procedure as it stood when the use began.
    pub procedure: Vec<String>,
    pub four_two: bool,
    /// The 四议两公开 matter it rests on.
    pub matter_id: Option<i64>,
    pub matter_title: Option<String>,
    /// The matter's decision is published (决议公开).
    pub matter_published: bool,
    pub steps_done: i64,
    pub done: bool,
    /// The next step's name.
    pub next_step: Option<String>,
    pub last_on: Option<String>,
    pub by: String,
    pub steps: Vec<UseStep>,
    #[serde(skip)]
    pub org_path: String,
}

impl audit::InOrg for PowerUse {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

const COLS: &str = "u.id, u.org_id, o.name AS org_name, u.org_path, u.item_code, u.item_name, u.category, u.subject, u.steps, u.four_two, u.matter_id, \
     m.title AS matter_title, (SELECT COUNT(*) FROM village_matter_steps s WHERE s.matter_id = u.matter_id AND s.step = 'publish_decision') AS published, \
     u.steps_done, u.done, u.last_on, u.by_name";
const FROM: &str = "FROM power_uses u JOIN orgs o ON o.id = u.org_id LEFT JOIN village_matters m ON m.id = u.matter_id";

fn from_row(r: &Row) -> AppResult<PowerUse> {
    let procedure: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("steps")?).unwrap_or_default();
    let steps_done: i64 = r.try_get("steps_done")?;
    let done = r.try_get::<i64, _>("done")? != 0;
    Ok(PowerUse {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        item_code: r.try_get("item_code")?,
        item_name: r.try_get("item_name")?,
        category: r.try_get("category")?,
        subject: r.try_get("subject")?,
        next_step: if done { None } else { procedure.get(steps_done as usize).cloned() },
        procedure,
        four_two: r.try_get::<i64, _>("four_two")? != 0,
        matter_id: r.try_get("matter_id")?,
        matter_title: r.try_get("matter_title")?,
        matter_published: r.try_get::<i64, _>("published")? > 0,
        steps_done,
        done,
        last_on: r.try_get("last_on")?,
        by: r.try_get("by_name")?,
        steps: Vec::new(),
        org_path: r.try_get("org_path")?,
    })
}

/// A use with its steps, inside the caller's scope (else not found).
pub async fn get(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, id: i64) -> AppResult<PowerUse> {
    let r = sqlx::query(&format!("SELECT {COLS} {FROM} WHERE u.id = $1")).bind(id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    let mut u = from_row(&r)?;
    scope.require_at(&u.org_path)?;
    for s in sqlx::query("SELECT seq, name, on_day, note, by_name FROM power_use_steps WHERE use_id = $1 ORDER BY seq").bind(id).fetch_all(&mut *conn).await? {
        u.steps.push(UseStep { seq: s.try_get("seq")?, name: s.try_get("name")?, on_day: s.try_get("on_day")?, note: s.try_get("note")?, by: s.try_get("by_name")? });
    }
    Ok(u)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UseInput {
    pub org_id: Option<i64>,
    /// The power's code or name in the catalog in force.
    pub item: Option<String>,
    pub subject: Option<String>,
    /// For a power that needs 四议两公开: the village's matter.
    pub matter_id: Option<i64>,
}

/// Begins a use of a power in a village (`WriteOrgLife` there).
pub async fn begin(conn: &mut Conn, cfg: &Rules, actor: &Actor, input: &UseInput) -> AppResult<PowerUse> {
    let org = crate::cadres::store::village_to_record(conn, actor, input.org_id, Perm::WriteOrgLife, "小微权力运行").await?;
    let (catalog, _) = catalog_for(conn, cfg, &org).await?;
    let item: PowerItem = input
        .item
        .as_deref()
        .and_then(|c| catalog.item(c))
        .cloned()
        .ok_or_else(|| AppError::invalid_field("item_unknown", "item", "请从小微权力清单中选择一项权力"))?;
    let subject = short_text("subject", &input.subject, 80, "事由")?;
    if subject.is_empty() {
        return Err(AppError::invalid_field("subject_required", "subject", "请写明事由，如“张某宅基地申请”"));
    }
    let matter = match (item.four_two, input.matter_id) {
        (true, None) => {
            return Err(AppError::invalid_field("matter_required", "matter_id", format!("“{}”须经“四议两公开”：请先在“四议两公开”中建立事项，再选择它", item.name)));
        }
        (true, Some(mid)) => {
            let m = super::store::get(conn, &actor.scope(), mid).await.map_err(|_| AppError::invalid_field("matter_unknown", "matter_id", "找不到该“四议两公开”事项"))?;
            if m.org_id != org.id {
                return Err(AppError::invalid_field("matter_elsewhere", "matter_id", format!("“{}”是{}的事项，请选择本村的事项", m.title, m.org_name)));
            }
            if m.state == "rejected" {
                return Err(AppError::invalid_field("matter_rejected", "matter_id", format!("“{}”未通过表决，不能据此行使权力", m.title)));
            }
            Some(mid)
        }
        (false, _) => None,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO power_uses (org_id, org_path, item_code, item_name, category, steps, four_two, matter_id, subject, by_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(org.id)
    .bind(&org.path)
    .bind(&item.code)
    .bind(&item.name)
    .bind(&item.category)
    .bind(serde_json::to_string(&item.steps).unwrap_or_default())
    .bind(item.four_two as i64)
    .bind(matter)
    .bind(&subject)
    .bind(&actor.display_name)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await?;
    let u = get(conn, &actor.scope(), id).await?;
    audit::record(conn, Some(actor), "powers.begin", "power_use", Some(id), &u, None, Some(&serde_json::json!({"item": u.item_name, "subject": u.subject, "matter": matter}))).await?;
    Ok(u)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UseStepInput {
    /// The step's number in the procedure (from 1); the next one when absent.
    pub seq: Option<i64>,
    /// YYYY-MM-DD
    pub on: Option<String>,
    /// What was done, by whom, with which papers.
    pub note: Option<String>,
}

/// Records the next step of a use: in order, not before the previous one; the last step of a
/// 四议两公开 power waits for the published decision.
pub async fn record_step(conn: &mut Conn, actor: &Actor, id: i64, input: &UseStepInput) -> AppResult<PowerUse> {
    let u = get(conn, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteOrgLife, &u.org_path) {
        return Err(AppError::forbidden("您的角色无权登记该村的权力运行"));
    }
    let on = past_day("on", input.on.as_deref())?;
    let seq = input.seq.unwrap_or(u.steps_done + 1);
    if seq < 1 || seq as usize > u.procedure.len() + 1 {
        return Err(AppError::invalid_field("step_invalid", "seq", format!("流程共{}步，请选择其中一步", u.procedure.len())));
    }
    let done: Vec<NaiveDate> = u.steps.iter().filter_map(|s| s.on_day.parse().ok()).collect();
    let gate = u.four_two.then_some(u.matter_published);
    powers::check_power_step(&u.procedure, &done, seq as usize, on, crate::db::today(), gate).map_err(|r| AppError::invalid_field(r.code, "seq", r.message))?;
    let note = short_text("note", &input.note, 500, "办理情况")?;
    if note.is_empty() {
        return Err(AppError::invalid_field("note_required", "note", "请写明办理情况：谁办的、依据哪些材料"));
    }
    let last = seq as usize == u.procedure.len();
    let moved = sqlx::query("UPDATE power_uses SET steps_done = steps_done + 1, done = $1, last_on = $2 WHERE id = $3 AND steps_done = $4")
        .bind(last as i64)
        .bind(on.to_string())
        .bind(u.id)
        .bind(u.steps_done)
        .execute(&mut *conn)
        .await?;
    if moved.rows_affected() == 0 {
        return Err(AppError::conflict("changed_meanwhile", "这一步刚被他人登记，请刷新后再试"));
    }
    let name = &u.procedure[seq as usize - 1];
    sqlx::query("INSERT INTO power_use_steps (use_id, seq, name, on_day, note, by_user_id, by_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(u.id)
        .bind(seq)
        .bind(name)
        .bind(on.to_string())
        .bind(&note)
        .bind(actor.user_id)
        .bind(&actor.display_name)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    audit::record(conn, Some(actor), "powers.step", "power_use", Some(u.id), &u, None, Some(&serde_json::json!({"step": name, "on": on.to_string(), "note": note}))).await?;
    get(conn, &actor.scope(), u.id).await
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PowerBoard {
    pub org_id: i64,
    pub org_name: String,
    pub catalog: PowerCatalog,
    /// The org that set the catalog in force (None: the default).
    pub catalog_from: Option<String>,
    pub source: String,
    pub open: i64,
    pub done: i64,
    /// Uses per power (name, count), in catalog order.
    pub by_item: Vec<(String, i64)>,
    /// Latest first, at most 500, without their steps.
    pub uses: Vec<PowerUse>,
}

/// The catalog in force at `root` and the uses of powers in its villages.
pub async fn board(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadOrgs>, root: &Org) -> AppResult<PowerBoard> {
    let scope = scope.within(&root.path);
    let (catalog, catalog_from) = catalog_for(conn, cfg, root).await?;
    let mut sql = Sql::new(&format!("SELECT {COLS} {FROM} WHERE 1 = 1"));
    crate::db::push_under(&mut sql, "u.org_path", &root.path);
    scope.push_filter(&mut sql, "u.org_path");
    sql.push(" ORDER BY u.created_at DESC, u.id DESC LIMIT 500");
    let uses = sql.query().fetch_all(&mut *conn).await?.iter().map(from_row).collect::<AppResult<Vec<_>>>()?;
    let mut sql = Sql::new("SELECT u.item_name, u.done, COUNT(*) AS n FROM power_uses u WHERE 1 = 1");
    crate::db::push_under(&mut sql, "u.org_path", &root.path);
    scope.push_filter(&mut sql, "u.org_path");
    sql.push(" GROUP BY u.item_name, u.done");
    let (mut open, mut done) = (0, 0);
    let mut by: Vec<(String, i64)> = catalog.items.iter().map(|i| (i.name.clone(), 0)).collect();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let n: i64 = r.try_get("n")?;
        if r.try_get::<i64, _>("done")? != 0 {
            done += n;
        } else {
            open += n;
        }
        let name: String = r.try_get("item_name")?;
        match by.iter_mut().find(|(x, _)| *x == name) {
            Some(e) => e.1 += n,
            None => by.push((name, n)),
        }
    }
    Ok(PowerBoard { org_id: root.id, org_name: root.name.clone(), catalog, catalog_from, source: powers::SOURCE.into(), open, done, by_item: by, uses })
}

/// The 小微权力运行台账: one row per step of each use.
pub async fn board_xlsx(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, root: &Org) -> AppResult<Vec<u8>> {
    let scope = scope.within(&root.path);
    let mut sql = Sql::new("SELECT o.name AS org_name, u.item_name, u.category, u.subject, u.done, s.seq, s.name, s.on_day, s.note, s.by_name FROM power_uses u JOIN orgs o ON o.id = u.org_id LEFT JOIN power_use_steps s ON s.use_id = u.id WHERE 1 = 1");
    crate::db::push_under(&mut sql, "u.org_path", &root.path);
    scope.push_filter(&mut sql, "u.org_path");
    sql.push(" ORDER BY u.org_path, u.id, s.seq LIMIT 50000");
    let mut rows = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        rows.push(vec![
            r.try_get::<String, _>("org_name")?,
            r.try_get("category")?,
            r.try_get("item_name")?,
            r.try_get("subject")?,
            if r.try_get::<i64, _>("done")? != 0 { "已办结".to_string() } else { "办理中".into() },
            r.try_get::<Option<i64>, _>("seq")?.map(|v| v.to_string()).unwrap_or_default(),
            r.try_get::<Option<String>, _>("name")?.unwrap_or_default(),
            r.try_get::<Option<String>, _>("on_day")?.unwrap_or_default(),
            r.try_get::<Option<String>, _>("by_name")?.unwrap_or_default(),
            r.try_get::<Option<String>, _>("note")?.unwrap_or_default(),
        ]);
    }
    let headers = ["村（社区）", "类别", "权力事项", "事由", "状态", "步骤", "环节", "日期", "经办", "办理情况"];
    let widths = [16.0, 12.0, 24.0, 24.0, 8.0, 6.0, 20.0, 11.0, 10.0, 40.0];
    crate::members::sheets::write_table_xlsx(&format!("{}小微权力运行台账", root.name), &headers, &widths, rows.into_iter()).map_err(|e| AppError::invalid("export_failed", e))
}

/// For the public page: the catalog in force at a village, and its finished uses (no notes).
pub async fn public(conn: &mut Conn, cfg: &Rules, org: &Org) -> AppResult<(PowerCatalog, Vec<PowerUse>)> {
    let (catalog, _) = catalog_for(conn, cfg, org).await?;
    let rows = sqlx::query(&format!("SELECT {COLS} {FROM} WHERE u.org_id = $1 AND u.done = 1 ORDER BY u.last_on DESC, u.id DESC LIMIT 50")).bind(org.id).fetch_all(&mut *conn).await?;
    Ok((catalog, rows.iter().map(from_row).collect::<AppResult<Vec<_>>>()?))
}
