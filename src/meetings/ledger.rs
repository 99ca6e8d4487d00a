//! Ledgers (台账) as spreadsheets: the meetings of a subtree and period with their
//! attendance, and the compliance findings.

use chrono::NaiveDate;
use sqlx::Row as _;

use super::rules::MeetingKind;
use super::store::MeetingState;
use crate::auth::{cap, Scope};
use crate::db::{Conn, Sql};
use crate::error::{AppError, AppResult};
use crate::members::sheets::write_table_xlsx;
use crate::orgs::model::Org;

/// Meetings planned or held in [from, to], with attendance counts.
pub async fn meetings_xlsx(conn: &mut Conn, scope: &Scope<cap::ReadOrgLife>, root: &Org, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<u8>> {
    let scope = scope.within(&root.path);
    let start = crate::db::china::at(from, 0, 0, 0);
    let end = crate::db::china::at(to, 23, 59, 59);
    let mut sql = Sql::new(
        "SELECT m.id, o.name AS org_name, m.kind, m.topic, m.place, m.planned_start, m.held_on, m.state, m.vote_result, m.minutes, \
         (SELECT COUNT(*) FROM meeting_attendance a WHERE a.meeting_id = m.id AND a.status = 'present') AS present, \
         (SELECT COUNT(*) FROM meeting_attendance a WHERE a.meeting_id = m.id AND a.status = 'excused') AS excused, \
         (SELECT COUNT(*) FROM meeting_attendance a WHERE a.meeting_id = m.id AND a.status = 'absent') AS absent \
         FROM meetings m JOIN orgs o ON o.id = m.org_id WHERE m.planned_start >= ",
    );
    sql.bind(start).push(" AND m.planned_start <= ").bind(end);
    scope.push_filter(&mut sql, "o.path");
    sql.push(" ORDER BY o.path, m.planned_start, m.id LIMIT 1000001");
    let rows = sql.query().fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let planned: i64 = r.try_get("planned_start")?;
        let kind: String = r.try_get("kind")?;
        let state: String = r.try_get("state")?;
        out.push(vec![
            crate::db::china::minute(planned),
            r.try_get::<Option<String>, _>("held_on")?.unwrap_or_default(),
            r.try_get("org_name")?,
            MeetingKind::parse(&kind).map(|k| k.label().to_string()).unwrap_or(kind),
            r.try_get("topic")?,
            r.try_get("place")?,
            MeetingState::parse(&state).map(|s| s.label().to_string()).unwrap_or(state),
            r.try_get::<i64, _>("present")?.to_string(),
            r.try_get::<i64, _>("excused")?.to_string(),
            r.try_get::<i64, _>("absent")?.to_string(),
            r.try_get::<Option<String>, _>("vote_result")?.unwrap_or_default(),
            r.try_get("minutes")?,
        ]);
    }
    let headers = ["计划时间", "召开日期", "党组织", "会议类型", "主题", "地点", "状态", "出席", "请假", "缺席", "表决", "会议记录"];
    let widths = [17.0, 12.0, 24.0, 12.0, 30.0, 14.0, 8.0, 6.0, 6.0, 6.0, 30.0, 50.0];
    write_table_xlsx(&format!("{}会议台账", root.name), &headers, &widths, out.into_iter()).map_err(|e| AppError::invalid("export_failed", e))
}

/// The missed requirements of a compliance report, one row each, with the explanation.
pub fn compliance_xlsx(root: &Org, report: &super::compliance::ComplianceReport) -> AppResult<Vec<u8>> {
    let mut rows = Vec::new();
    for row in &report.rows {
        for f in &row.findings {
            rows.push(vec![row.org_name.clone(), f.requirement.label().to_string(), f.period.label.clone(), f.verdict.label().to_string(), f.explanation.clone()]);
        }
        if row.findings.is_empty() {
            rows.push(vec![row.org_name.clone(), String::new(), String::new(), format!("缺 {} 项", row.missed), "组织较多，逐项说明请按该组织单独导出".into()]);
        }
    }
    let headers = ["党组织", "要求", "周期", "结论", "说明"];
    let widths = [24.0, 14.0, 16.0, 8.0, 90.0];
    write_table_xlsx(&format!("{}三会一课", root.name), &headers, &widths, rows.into_iter()).map_err(|e| AppError::invalid("export_failed", e))
}
