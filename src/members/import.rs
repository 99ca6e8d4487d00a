//! Importing members and orgs from spreadsheets: every row is checked first; a file
//! with any bad row changes nothing and reports them all; a good file is written in
//! one transaction. Files are read twice (check, then write) rather than held in memory.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::sheets::{FileKind, MemberRows, OrgRows, RowError};
use super::store::{check_member_org, insert_batch, stage_member, INSERT_BATCH, MEMBER_INSERT_COLUMNS};
use super::validate::{validate, NewMember};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::db::{Conn, Db, Sql, Stage};
use crate::error::{AppError, AppResult};
use crate::orgs::model::Org;
use crate::orgs::stats::StatsDelta;
use crate::orgs::store::{self as orgs, validate_new, OrgInput};
use crate::write_tx;

/// SQLite page cache for a large import, in KiB (the import's memory budget is 300 MB).
const IMPORT_CACHE_KIB: i64 = 96 * 1024;


/// Errors listed back to the user at most; the count says how many there were.
pub const MAX_REPORTED_ERRORS: usize = 1000;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub rows: usize,
    pub imported: usize,
    /// Where the rows went, most first (members: one line per org), so the result links to them.
    pub into: Vec<ImportedInto>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportedInto {
    pub org_id: i64,
    pub org_name: String,
    pub count: usize,
}

struct Errors(Vec<RowError>, usize);

impl Errors {
    fn push(&mut self, e: RowError) {
        self.1 += 1;
        if self.0.len() < MAX_REPORTED_ERRORS {
            self.0.push(e);
        }
    }
    fn into_result(self) -> AppResult<()> {
        if self.1 == 0 {
            return Ok(());
        }
        let mut rows = self.0;
        if self.1 > rows.len() {
            rows.push(RowError {
                row: 0,
                column: String::new(),
                message: format!("共 {} 处错误，仅列出前 {} 处；请改正后重新导入", self.1, MAX_REPORTED_ERRORS),
                code: None,
            });
        }
        Err(AppError::ImportRejected(rows))
    }
}

/// 17 digits and the check character as one exact integer.
fn id_key(id: &str) -> u64 {
    let b = id.as_bytes();
    let mut n: u64 = 0;
    for d in &b[..17] {
        n = n * 10 + (d - b'0') as u64;
    }
    n * 11 + if b[17] == b'X' { 10 } else { (b[17] - b'0') as u64 }
}

/// Resolves org codes once each, within the actor's import scope.
struct OrgCache {
    by_code: HashMap<String, Option<Arc<Org>>>,
}

impl OrgCache {
    async fn get(&mut self, conn: &mut Conn, actor: Option<&Actor>, code: &str) -> AppResult<Option<Arc<Org>>> {
        if let Some(o) = self.by_code.get(code) {
            return Ok(o.clone());
        }
        let o = orgs::get_by_code(conn, code).await?.filter(|o| {
            actor.is_none_or(|a| a.can(Perm::Import, &o.path) && a.can(Perm::WriteMembers, &o.path))
        }).map(Arc::new);
        self.by_code.insert(code.to_string(), o.clone());
        Ok(o)
    }
}

fn row_err(row: usize, field: &str, message: impl Into<String>) -> RowError {
    RowError { row, column: super::validate::column_label(field).to_string(), message: message.into(), code: None }
}

/// Checks every row of a member file; returns the number of data rows.
pub async fn check_members(db: &Db, actor: Option<&Actor>, file: &Path, kind: FileKind, progress: &(dyn Fn(u64) + Sync)) -> AppResult<usize> {
    check_rows(db, actor, file, kind, progress, None).await
}

/// Rows checked on PostgreSQL, sent on to a COPY staging table with the counts they will add.
struct Staged {
    stage: Stage,
    delta: StatsDelta,
    per_org: HashMap<i64, (Arc<Org>, usize)>,
}

/// [`check_members`]; with `staged`, each good row also goes to the staging table, and the ID
/// numbers already on the roll are found with one join at the end instead of batch by batch.
async fn check_rows(db: &Db, actor: Option<&Actor>, file: &Path, kind: FileKind, progress: &(dyn Fn(u64) + Sync), mut staged: Option<&mut Staged>) -> AppResult<usize> {
    let mut conn = db.pool.acquire().await?;
    let now = crate::db::now_secs();
    let rows = MemberRows::open(file, kind).map_err(|e| AppError::ImportRejected(vec![e]))?;
    let today = crate::db::today();
    let mut errors = Errors(Vec::new(), 0);
    let mut cache = OrgCache { by_code: HashMap::new() };
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let mut pending: Vec<(usize, String)> = Vec::new();
    let mut count = 0usize;
    for row in rows {
        count += 1;
        if count.is_multiple_of(10_000) {
            progress(count as u64);
        }
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let org = match cache.get(&mut conn, actor, row.org_code.trim()).await? {
            None => {
                errors.push(row_err(row.row, "org_code", format!(
                    "党组织编码“{}”不存在或不在您的管辖范围内，请核对编码（可在党组织页面查看）", row.org_code.trim())));
                None
            }
            Some(org) => match check_member_org(org.as_ref()) {
                Err(e) => {
                    errors.push(row_err(row.row, "org_code", e.message()));
                    None
                }
                Ok(()) => Some(org),
            },
        };
        match validate(&row.input, today) {
            Err(fes) => {
                for fe in fes {
                    errors.push(RowError { row: row.row, column: fe.column.to_string(), message: fe.message, code: None });
                }
            }
            Ok(m) => {
                let key = id_key(m.id_number.as_str());
                if let Some(first) = seen.insert(key, row.row) {
                    errors.push(row_err(row.row, "id_number", format!("公民身份号码与第 {first} 行重复，同一人只能录入一次")));
                } else if let Some(st) = staged.as_deref_mut() {
                    // Once a row is wrong nothing will be written: stop sending rows.
                    if let (Some(org), 0) = (org, errors.1) {
                        stage_member(&mut st.stage, row.row, &org, &m, now);
                        st.stage.end_row().await?;
                        st.delta.member(&crate::db::path::ids(&org.path), &super::store::facts(&m, org.domain), 1);
                        st.per_org.entry(org.id).or_insert_with(|| (org.clone(), 0)).1 += 1;
                    }
                } else {
                    pending.push((row.row, m.id_number.as_str().to_string()));
                }
            }
        }
        if pending.len() >= 500 {
            check_existing(&mut conn, &mut pending, &mut errors).await?;
        }
    }
    check_existing(&mut conn, &mut pending, &mut errors).await?;
    if let Some(st) = staged {
        if errors.1 == 0 {
            st.stage.finish().await?;
            let sql = format!("SELECT s.row_no FROM {} s JOIN members m ON m.id_number = s.id_number ORDER BY s.row_no LIMIT {}", st.stage.name, MAX_REPORTED_ERRORS + 1);
            for row_no in sqlx::query_scalar::<_, i64>(&sql).fetch_all(&mut *conn).await? {
                errors.push(row_err(row_no as usize, "id_number", ON_ROLL));
            }
        }
    }
    progress(count as u64);
    if count == 0 {
        errors.push(RowError { row: 2, column: String::new(), message: "文件中没有数据行，请在表头下方逐行填写党员信息".into(), code: None });
    }
    errors.into_result()?;
    Ok(count)
}

const ON_ROLL: &str = "该公民身份号码已有党员记录；如需调入请使用组织关系转接，不要重复导入";

async fn check_existing(conn: &mut Conn, pending: &mut Vec<(usize, String)>, errors: &mut Errors) -> AppResult<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::bulk(conn, "SELECT id_number FROM members WHERE id_number IN (");
    sql.bind_list(pending.iter().map(|(_, id)| id.clone()));
    sql.push(")");
    let found: HashSet<String> = sql
        .query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| sqlx::Row::try_get::<String, _>(r, "id_number"))
        .collect::<Result<_, _>>()?;
    for (row, id) in pending.drain(..) {
        if found.contains(&id) {
            errors.push(row_err(row, "id_number", ON_ROLL));
        }
    }
    Ok(())
}

/// Checks, then imports a member file in one transaction.
pub async fn import_members(db: &Db, actor: Option<&Actor>, file: &Path, kind: FileKind, progress: &(dyn Fn(u64) + Sync)) -> AppResult<ImportSummary> {
    import_members_with(db, actor, file, kind, progress, BULK_REBUILD_MIN_ROWS).await
}

/// [`import_members`] with the bulk-load threshold given (tests use a small one).
pub async fn import_members_with(
    db: &Db,
    actor: Option<&Actor>,
    file: &Path,
    kind: FileKind,
    progress: &(dyn Fn(u64) + Sync),
    bulk_rebuild_min_rows: usize,
) -> AppResult<ImportSummary> {
    if db.backend == crate::db::Backend::Postgres {
        let stage = Stage::create(db, "members", &MEMBER_INSERT_COLUMNS).await?;
        let mut staged = Staged { stage, delta: StatsDelta::default(), per_org: HashMap::new() };
        let done = import_staged(db, actor, file, kind, progress, bulk_rebuild_min_rows, &mut staged).await;
        staged.stage.drop().await;
        return done;
    }
    let t = std::time::Instant::now();
    let rows = check_members(db, actor, file, kind, progress).await?;
    tracing::info!(rows, secs = t.elapsed().as_secs_f64(), rss_mib = crate::bench::rss_mib(), "import: all rows checked");
    let sqlite = db.backend == crate::db::Backend::Sqlite;
    let imported = write_tx!(db, crate::db::Lock::Tree, |tx| {
        let conn: &mut Conn = &mut tx;
        if sqlite && rows > 50_000 {
            // A large import touches most index pages: give it a page cache that holds them. Its
            // index rebuilds sort on disk, not in memory (the pool's temp_store), to stay in budget.
            sqlx::query(&format!("PRAGMA cache_size = -{}", IMPORT_CACHE_KIB)).execute(&mut *conn).await?;
            sqlx::query("PRAGMA temp_store = FILE").execute(&mut *conn).await?;
        }
        let rebuilt = drop_indexes_for_bulk_load(conn, rows, bulk_rebuild_min_rows).await?;
        let today = crate::db::today();
        let mut cache = OrgCache { by_code: HashMap::new() };
        let mut delta = StatsDelta::default();
        let mut per_org: HashMap<i64, (Arc<Org>, usize)> = HashMap::new();
        let mut batch: Vec<(Arc<Org>, NewMember)> = Vec::with_capacity(INSERT_BATCH);
        let mut n = 0usize;
        for row in MemberRows::open(file, kind).map_err(|e| AppError::ImportRejected(vec![e]))? {
            let row = row.map_err(|e| AppError::ImportRejected(vec![e]))?;
            let org = cache.get(conn, actor, row.org_code.trim()).await?.ok_or(AppError::NotFound)?;
            let m = validate(&row.input, today).map_err(super::store::first_field_error)?;
            per_org.entry(org.id).or_insert_with(|| (org.clone(), 0)).1 += 1;
            batch.push((org, m));
            if batch.len() == INSERT_BATCH {
                n += insert_batch(conn, &batch, &mut delta).await?;
                batch.clear();
                progress((rows + n) as u64);
                if n.is_multiple_of(COUNTERS_EVERY) {
                    // Rows spread over a province's branches make a large delta: write it as it grows.
                    std::mem::take(&mut delta).apply(conn).await?;
                }
            }
        }
        n += insert_batch(conn, &batch, &mut delta).await?;
        tracing::info!(rows = n, secs = t.elapsed().as_secs_f64(), rss_mib = crate::bench::rss_mib(), "import: rows written");
        delta.apply(conn).await?;
        tracing::info!(secs = t.elapsed().as_secs_f64(), "import: counters written");
        mark_and_audit(conn, actor, file, &per_org).await?;
        for sql in &rebuilt {
            sqlx::query(sql).execute(&mut *conn).await?;
        }
        if sqlite && rows > 50_000 {
            // Back to the pool's usual size, releasing the memory.
            sqlx::query(&format!("PRAGMA cache_size = -{}", crate::db::SQLITE_CACHE_KIB)).execute(&mut *conn).await?;
            sqlx::query("PRAGMA temp_store = MEMORY").execute(&mut *conn).await?;
        }
        Ok::<(usize, Vec<ImportedInto>), AppError>((n, into_list(&per_org)))
    });
    let (imported, into) = imported?;
    Ok(ImportSummary { rows, imported, into })
}

/// PostgreSQL: one pass checks every row and sends the good ones with COPY to `staged`; the
/// write is one `INSERT … SELECT` from there, with the counters, marks and audit entries.
async fn import_staged(
    db: &Db,
    actor: Option<&Actor>,
    file: &Path,
    kind: FileKind,
    progress: &(dyn Fn(u64) + Sync),
    bulk_rebuild_min_rows: usize,
    staged: &mut Staged,
) -> AppResult<ImportSummary> {
    let t = std::time::Instant::now();
    let rows = check_rows(db, actor, file, kind, progress, Some(&mut *staged)).await?;
    tracing::info!(rows, secs = t.elapsed().as_secs_f64(), "import: all rows checked and staged");
    let Staged { stage, delta, per_org } = &*staged;
    let cols = MEMBER_INSERT_COLUMNS.join(", ");
    let insert = format!("INSERT INTO members ({cols}) SELECT {cols} FROM {} ORDER BY row_no", stage.name);
    let imported = write_tx!(db, crate::db::Lock::Tree, |tx| {
        let conn: &mut Conn = &mut tx;
        let rebuilt = drop_indexes_for_bulk_load(conn, rows, bulk_rebuild_min_rows).await?;
        // The rows are put in file order: let that sort happen in memory.
        sqlx::query("SET LOCAL work_mem = '256MB'").execute(&mut *conn).await?;
        let n = sqlx::query(&insert).execute(&mut *conn).await?.rows_affected() as usize;
        delta.clone().apply(conn).await?;
        mark_and_audit(conn, actor, file, per_org).await?;
        for sql in &rebuilt {
            sqlx::query(sql).execute(&mut *conn).await?;
        }
        Ok::<usize, AppError>(n)
    })?;
    progress((rows + imported) as u64);
    Ok(ImportSummary { rows, imported, into: into_list(per_org) })
}

/// The orgs that received rows: their tallies marked, one audit entry each.
async fn mark_and_audit(conn: &mut Conn, actor: Option<&Actor>, file: &Path, per_org: &HashMap<i64, (Arc<Org>, usize)>) -> AppResult<()> {
    let mut ids: Vec<i64> = per_org.keys().copied().collect();
    ids.sort_unstable();
    crate::tallies::mark_many(conn, crate::tallies::MEMBER_SOURCES, &ids).await?;
    let name = file.file_name().map(|f| f.to_string_lossy().to_string());
    let items: Vec<(Option<i64>, &(dyn audit::InOrg + Sync), serde_json::Value)> = ids
        .iter()
        .map(|id| {
            let (org, count) = &per_org[id];
            (Some(*id), org.as_ref() as &(dyn audit::InOrg + Sync), serde_json::json!({"file": name, "imported": count}))
        })
        .collect();
    audit::record_many(conn, actor, "member.import", "org", &items).await
}

fn into_list(per_org: &HashMap<i64, (Arc<Org>, usize)>) -> Vec<ImportedInto> {
    let mut into: Vec<ImportedInto> = per_org.values().map(|(o, c)| ImportedInto { org_id: o.id, org_name: o.name.clone(), count: *c }).collect();
    into.sort_by(|a, b| b.count.cmp(&a.count).then(a.org_id.cmp(&b.org_id)));
    into
}

/// When an import adds at least this many rows and at least [`REBUILD_WHEN_TABLE_AT_MOST`]
/// times fewer than the table holds, the secondary indexes on members are dropped and rebuilt by sorting inside the
/// import's transaction ([`crate::db::drop_secondary_indexes`]). On SQLite readers keep
/// their snapshot meanwhile; on PostgreSQL they wait for the import to commit.
pub const BULK_REBUILD_MIN_ROWS: usize = 100_000;

/// Rows after which an import writes the subtree counters it has gathered so far (SQLite),
/// which bounds its memory however many branches the rows go to.
const COUNTERS_EVERY: usize = 100_000;

/// A bulk load rebuilds the indexes when the table holds at most this many times the rows
/// being added. Measured on a province (3 M members, 7 indexes on members, SQLite): adding
/// rows one by one costs about 100 µs a row, rebuilding every index about 20 s, so from
/// about a tenth of the table on, rebuilding is faster.
const REBUILD_WHEN_TABLE_AT_MOST: i64 = 8;

/// Drops the members table's secondary indexes when this import is a bulk load.
async fn drop_indexes_for_bulk_load(conn: &mut Conn, rows: usize, min_rows: usize) -> AppResult<Vec<String>> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(&mut *conn).await?;
    if rows < min_rows || (rows as i64) * REBUILD_WHEN_TABLE_AT_MOST < existing {
        return Ok(Vec::new());
    }
    // UNIQUE constraints stay, so duplicates are still refused.
    crate::db::drop_secondary_indexes(conn, "members").await
}

/// Checks, orders (parents first) and imports an org file in one transaction.
pub async fn import_orgs(db: &Db, actor: Option<&Actor>, file: &Path, kind: FileKind) -> AppResult<ImportSummary> {
    let mut errors = Errors(Vec::new(), 0);
    let mut rows = Vec::new();
    for r in OrgRows::open(file, kind).map_err(|e| AppError::ImportRejected(vec![e]))? {
        match r {
            Ok(r) => rows.push(r),
            Err(e) => errors.push(e),
        }
    }
    let col = |f: &str| super::sheets::ORG_COLUMNS.iter().find(|(k, _)| *k == f).map(|(_, l)| l.to_string()).unwrap_or_default();
    let mut conn = db.pool.acquire().await?;
    let mut in_file: HashMap<String, usize> = HashMap::new();
    let mut parsed = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let input = OrgInput {
            parent_id: None,
            code: Some(r.code.clone()),
            name: Some(r.name.clone()),
            kind: Some(r.kind.clone()),
            variant: Some(r.variant.clone()),
            domain: Some(r.domain.clone()),
            joint_units: match r.joint_units.trim() {
                "" => None,
                s => match s.parse() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        errors.push(RowError { row: r.row, column: col("joint_units"), message: "联合单位数应为整数".into(), code: None });
                        None
                    }
                },
            },
            term_start: Some(r.term_start.clone()),
            founded_on: Some(r.founded_on.clone()),
        };
        match validate_new(&input) {
            Err(e) => {
                let field = match &e { AppError::Invalid { field: Some(f), .. } => col(f), _ => String::new() };
                errors.push(RowError { row: r.row, column: field, message: e.message(), code: None });
                parsed.push(None);
            }
            Ok(n) => {
                if let Some(first) = in_file.insert(n.code.clone(), i) {
                    errors.push(RowError { row: r.row, column: col("code"), message: format!("党组织编码与第 {} 行重复", rows[first].row), code: None });
                }
                if orgs::get_by_code(&mut conn, &n.code).await?.is_some() {
                    errors.push(RowError { row: r.row, column: col("code"), message: format!("党组织编码“{}”已存在，请勿重复导入", n.code), code: None });
                }
                parsed.push(Some(n));
            }
        }
    }
    // Parents: an existing org in scope, or a row of this file; no cycles.
    let mut order: Vec<usize> = Vec::new();
    let mut state = vec![0u8; rows.len()]; // 0 new, 1 visiting, 2 done
    let mut existing_parents: HashMap<String, Org> = HashMap::new();
    for start in 0..rows.len() {
        let mut stack = vec![start];
        while let Some(&i) = stack.last() {
            if state[i] == 2 {
                stack.pop();
                continue;
            }
            state[i] = 1;
            let pc = rows[i].parent_code.trim().to_string();
            match in_file.get(&pc).copied() {
                Some(p) if state[p] == 0 => stack.push(p),
                Some(p) if state[p] == 1 => {
                    errors.push(RowError { row: rows[i].row, column: col("parent_code"), message: "上级党组织编码形成循环，请检查隶属关系".into(), code: None });
                    state[i] = 2;
                    stack.pop();
                }
                other => {
                    if other.is_none() && !existing_parents.contains_key(&pc) {
                        let found = orgs::get_by_code(&mut conn, &pc).await?.filter(|o| {
                            actor.is_none_or(|a| a.can(Perm::Import, &o.path) && a.can(Perm::WriteOrgs, &o.path))
                        });
                        match found {
                            Some(o) => {
                                existing_parents.insert(pc.clone(), o);
                            }
                            None => errors.push(RowError {
                                row: rows[i].row,
                                column: col("parent_code"),
                                message: format!("上级党组织编码“{pc}”不存在或不在您的管辖范围内；上级须已在系统中或在本文件中"),
                                code: None,
                            }),
                        }
                    }
                    state[i] = 2;
                    order.push(i);
                    stack.pop();
                }
            }
        }
    }
    if rows.is_empty() {
        errors.push(RowError { row: 2, column: String::new(), message: "文件中没有数据行".into(), code: None });
    }
    errors.into_result()?;
    drop(conn);
    let total = rows.len();
    let imported = write_tx!(db, crate::db::Lock::Tree, |tx| {
        let conn: &mut Conn = &mut tx;
        let mut created: HashMap<String, Org> = existing_parents.clone();
        for &i in &order {
            let n = parsed[i].as_ref().ok_or(AppError::NotFound)?;
            let parent = created.get(rows[i].parent_code.trim()).cloned().ok_or(AppError::NotFound)?;
            let org = orgs::create(conn, actor, Some(&parent), n).await.map_err(|e| {
                AppError::ImportRejected(vec![RowError { row: rows[i].row, column: String::new(), message: e.message(), code: None }])
            })?;
            created.insert(org.code.clone(), org);
        }
        Ok::<usize, AppError>(order.len())
    })?;
    Ok(ImportSummary { rows: total, imported, into: vec![] })
}
