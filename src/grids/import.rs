//! Importing households and their residents (DOMAIN.md §8) from `.xlsx` / `.csv`: one row
//! per resident, rows grouped into households by address. Every row is checked first (the
//! checks in [`plan`] are pure); a file with any bad row changes nothing and reports them
//! all; a good file is written in one transaction with multi-row INSERTs.
//!
//! A household sheet covers a village or community (hundreds to thousands of rows), so its
//! rows are held in memory; the file itself is read as a stream.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sqlx::Row as _;

use super::model::{Gender, SpecialKind};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::db::{now_secs, Conn, Db, Sql};
use crate::error::{AppError, AppResult};
use crate::members::id_card::IdCardNumber;
use crate::members::import::MAX_REPORTED_ERRORS;
use crate::members::sheets::{template_xlsx, Example, FileKind, Kind, RowError, Schema, SheetRows};
use crate::members::validate::{age_on, parse_date, valid_phone};
use crate::orgs::model::Org;
use crate::write_tx;

/// Household sheet columns: (field, Chinese header).
pub const HOUSEHOLD_COLUMNS: &[(&str, &str)] = &[
    ("grid_code", "网格编码"),
    ("building", "楼栋"),
    ("address", "门牌地址"),
    ("name", "姓名"),
    ("relation", "与户主关系"),
    ("gender", "性别"),
    ("id_number", "公民身份号码"),
    ("birth_date", "出生日期"),
    ("phone", "联系电话"),
    ("special", "特殊群体"),
];

static HOUSEHOLD_SCHEMA: Schema = Schema {
    columns: HOUSEHOLD_COLUMNS,
    aliases: &[
        ("网格代码", "grid_code"),
        ("所属网格编码", "grid_code"),
        ("所属网格代码", "grid_code"),
        ("楼栋名称", "building"),
        ("楼栋号", "building"),
        ("楼号", "building"),
        ("地址", "address"),
        ("住址", "address"),
        ("门牌号", "address"),
        ("家庭住址", "address"),
        ("居住地址", "address"),
        ("居民姓名", "name"),
        ("关系", "relation"),
        ("家庭关系", "relation"),
        ("与户主的关系", "relation"),
        ("身份证号", "id_number"),
        ("身份证号码", "id_number"),
        ("公民身份证号", "id_number"),
        ("公民身份证号码", "id_number"),
        ("手机", "phone"),
        ("手机号", "phone"),
        ("手机号码", "phone"),
        ("联系方式", "phone"),
        ("电话", "phone"),
        ("特殊人群", "special"),
        ("重点人群", "special"),
        ("特殊群体类别", "special"),
    ],
    required: &["grid_code", "address", "name", "relation"],
    kind: household_kind,
    what: "居民",
};

fn household_kind(field: &str) -> Kind {
    match field {
        "grid_code" | "phone" => Kind::Code,
        "id_number" => Kind::IdNumber,
        "birth_date" => Kind::Date,
        _ => Kind::Text,
    }
}

fn label(field: &str) -> String {
    HOUSEHOLD_COLUMNS.iter().find(|(f, _)| *f == field).map(|(_, l)| l.to_string()).unwrap_or_default()
}

fn err(row: usize, field: &str, message: impl Into<String>) -> RowError {
    RowError { row, column: label(field), message: message.into(), code: None }
}

/// What an import did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdImportSummary {
    /// Data rows read (one per resident).
    pub rows: usize,
    pub households: usize,
    pub residents: usize,
    /// Special-group entries created.
    pub special: usize,
}

/// One sheet row as read; every field trimmed, empty when blank.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HouseholdRow {
    pub row: usize,
    pub grid_code: String,
    pub building: String,
    pub address: String,
    pub name: String,
    pub relation: String,
    pub gender: String,
    pub id_number: String,
    pub birth_date: String,
    pub phone: String,
    pub special: String,
}

impl HouseholdRow {
    fn from_values(row: usize, mut vals: Vec<Option<String>>) -> HouseholdRow {
        let mut out = HouseholdRow { row, ..Default::default() };
        for (i, (field, _)) in HOUSEHOLD_COLUMNS.iter().enumerate() {
            let v = vals.get_mut(i).and_then(Option::take).unwrap_or_default();
            match *field {
                "grid_code" => out.grid_code = v,
                "building" => out.building = v,
                "address" => out.address = v,
                "name" => out.name = v,
                "relation" => out.relation = v,
                "gender" => out.gender = v,
                "id_number" => out.id_number = v,
                "birth_date" => out.birth_date = v,
                "phone" => out.phone = v,
                "special" => out.special = v,
                _ => {}
            }
        }
        out
    }
}

/// Reads every row of a household file; rows that cannot be read come back as errors.
pub fn read_rows(path: &Path, kind: FileKind) -> Result<(Vec<HouseholdRow>, Vec<RowError>), RowError> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for r in SheetRows::open(path, kind, &HOUSEHOLD_SCHEMA)? {
        match r {
            Ok((row, vals)) => rows.push(HouseholdRow::from_values(row, vals)),
            Err(e) => errors.push(e),
        }
    }
    Ok((rows, errors))
}

/// [`read_rows`] from bytes in memory (tests, fuzzing); `kind` as the file name would say.
pub fn read_rows_from_bytes(bytes: Vec<u8>, kind: FileKind) -> Result<(Vec<HouseholdRow>, Vec<RowError>), RowError> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for r in SheetRows::from_bytes(bytes, kind, &HOUSEHOLD_SCHEMA)? {
        match r {
            Ok((row, vals)) => rows.push(HouseholdRow::from_values(row, vals)),
            Err(e) => errors.push(e),
        }
    }
    Ok((rows, errors))
}

/// A grid found under the import's root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GridRef {
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
}

/// What the database says about a file's rows, looked up before [`plan`].
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Grid code → the grids in scope with that code (none: unknown; several: ambiguous).
    pub grids: HashMap<String, Vec<GridRef>>,
    /// (org id, address) of households already in the database.
    pub addresses: HashSet<(i64, String)>,
    /// ID numbers of residents already in the database.
    pub id_numbers: HashSet<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewResident {
    pub row: usize,
    pub name: String,
    pub id_number: Option<String>,
    pub gender: Gender,
    pub birth_date: Option<NaiveDate>,
    /// 户主 for the head; as written for the others.
    pub relation: String,
    pub phone: Option<String>,
    pub special: Vec<SpecialKind>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHousehold {
    pub grid: GridRef,
    pub building: Option<String>,
    pub address: String,
    pub head_name: String,
    pub phone: Option<String>,
    pub residents: Vec<NewResident>,
}

/// What a head writes in 与户主关系.
const HEAD: &str = "户主";
const HEAD_ALIASES: &[&str] = &[HEAD, "本人"];
const ELDERLY_AGE: i32 = 80;

/// Runs of whitespace (full-width included) become one space.
pub fn normalize_address(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The grid a code names, or the message for the row.
fn resolve<'a>(known: &'a Known, code: &str) -> Result<&'a GridRef, String> {
    match known.grids.get(code).map(Vec::as_slice) {
        Some([g]) => Ok(g),
        Some(list @ [_, _, ..]) => {
            let names: Vec<&str> = list.iter().map(|g| g.org_name.as_str()).collect();
            Err(format!("网格编码“{code}”在{}中都有，无法确定是哪一个；请分别在各村（社区）下导入", names.join("、")))
        }
        _ => Err(format!("网格编码“{code}”不存在，请核对编码（网格须已在本组织下建立，且在您的管理范围内）")),
    }
}

/// Household grouping: by org once the grid is known, else by the code as written (so
/// the rest of the household is still checked).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Org(i64, String),
    Code(String, String),
}

/// Checks every row against the others and what is `known`; returns the households to
/// write, or every problem found. `today` is the import day (ages, birth dates).
pub fn plan(rows: &[HouseholdRow], known: &Known, today: NaiveDate) -> Result<Vec<NewHousehold>, Vec<RowError>> {
    let mut errors: Vec<RowError> = Vec::new();
    let mut order: Vec<Key> = Vec::new();
    let mut checked: Vec<Member> = Vec::new();
    let mut first_of: HashMap<Key, (usize, Option<GridRef>, String)> = HashMap::new();
    let mut ids_seen: HashMap<String, usize> = HashMap::new();

    for r in rows {
        let mut e = |field: &str, m: String| errors.push(err(r.row, field, m));
        let grid = if r.grid_code.is_empty() {
            e("grid_code", "网格编码不能为空，请填写该户所在网格的编码".into());
            None
        } else {
            match resolve(known, &r.grid_code) {
                Ok(g) => Some(g.clone()),
                Err(m) => {
                    e("grid_code", m);
                    None
                }
            }
        };
        let building = r.building.trim().to_string();
        if building.chars().count() > 60 {
            e("building", "楼栋名称不超过60个字".into());
        }
        let address = normalize_address(&r.address);
        if address.is_empty() {
            e("address", "门牌地址不能为空；同一户的成员填写相同的门牌地址".into());
        } else if address.chars().count() > 100 {
            e("address", "门牌地址不超过100个字".into());
        }
        let name = r.name.trim().to_string();
        if name.is_empty() {
            e("name", "姓名不能为空".into());
        } else if name.chars().count() > 30 || name.chars().any(|c| c.is_ascii_digit()) {
            e("name", "姓名不应含数字，且不超过30个字".into());
        }
        let relation = r.relation.trim();
        let is_head = HEAD_ALIASES.contains(&relation);
        if relation.is_empty() {
            e("relation", "与户主关系不能为空：户主本人填“户主”，其他成员填“配偶”“子”“女”“父亲”等".into());
        } else if relation.chars().count() > 10 {
            e("relation", "与户主关系不超过10个字，如“配偶”“子”“孙女”".into());
        }
        let id = if r.id_number.is_empty() {
            None
        } else {
            match IdCardNumber::parse(&r.id_number) {
                Ok(id) => {
                    if let Some(first) = ids_seen.insert(id.as_str().to_string(), r.row) {
                        e("id_number", format!("公民身份号码与第 {first} 行重复，同一居民只能登记一次"));
                    } else if known.id_numbers.contains(id.as_str()) {
                        e("id_number", "该公民身份号码已登记在系统中的其他户，请勿重复导入；如已迁居，请先在原户中办理迁出".into());
                    }
                    Some(id)
                }
                Err(x) => {
                    e("id_number", format!("{x}；没有身份证号的可不填"));
                    None
                }
            }
        };
        let gender = match (r.gender.trim(), &id) {
            ("", Some(id)) => Some(if id.is_male() { Gender::Male } else { Gender::Female }),
            // A bad ID number is reported once, not again as a missing gender.
            ("", None) if !r.id_number.is_empty() => None,
            ("", None) => {
                e("gender", "未填公民身份号码时须填写性别（男 或 女）".into());
                None
            }
            (g, id) => match Gender::parse(g) {
                Some(g) => {
                    if id.as_ref().is_some_and(|id| id.is_male() != (g == Gender::Male)) {
                        e("gender", format!("性别“{}”与身份证号第17位所示性别不一致，请核对", g.label()));
                    }
                    Some(g)
                }
                None => {
                    e("gender", format!("无效的性别“{g}”，请填写“男”或“女”"));
                    None
                }
            },
        };
        let birth_date = match (r.birth_date.trim(), &id) {
            ("", id) => id.as_ref().map(|id| id.birth_date()),
            (b, id) => match parse_date(b) {
                Some(d) if d > today || d.year() < 1900 => {
                    e("birth_date", format!("出生日期 {d} 不合理，请核对"));
                    None
                }
                Some(d) => {
                    if let Some(id) = id.as_ref().filter(|id| id.birth_date() != d) {
                        e("birth_date", format!("出生日期 {d} 与身份证号中的 {} 不一致，请核对（可不填，按身份证号推算）", id.birth_date()));
                    }
                    Some(d)
                }
                None => {
                    e("birth_date", format!("无法识别的日期“{b}”，请写成 1950-01-31"));
                    None
                }
            },
        };
        let phone = match r.phone.trim() {
            "" => None,
            p if valid_phone(p) => Some(p.chars().filter(|c| *c != ' ').collect::<String>()),
            p => {
                e("phone", format!("无效的电话“{p}”，请填写11位手机号或带区号的固定电话（如 0351-1234567）"));
                None
            }
        };
        let mut special: Vec<SpecialKind> = Vec::new();
        for part in r.special.split([',', '，', '、', ';', '；']).map(str::trim).filter(|s| !s.is_empty()) {
            match SpecialKind::parse(part) {
                Some(k) if special.contains(&k) => {}
                Some(k) => {
                    if k == SpecialKind::Elderly80 {
                        if let Some(b) = birth_date.filter(|b| age_on(*b, today) < ELDERLY_AGE) {
                            e("special", format!(
                                "出生日期为 {b}，到今天 {} 周岁，未满{ELDERLY_AGE}岁，不能列为“{}”；请核对出生日期或删去该类别",
                                age_on(b, today),
                                k.label()
                            ));
                        }
                    }
                    special.push(k);
                }
                None => e("special", format!("无效的特殊群体“{part}”，可选：{}；多个用顿号分隔", SpecialKind::labels())),
            }
        }

        if address.is_empty() {
            continue;
        }
        let resident = gender.map(|gender| NewResident {
            row: r.row,
            name,
            id_number: id.map(|x| x.as_str().to_string()),
            gender,
            birth_date,
            relation: if is_head { HEAD.to_string() } else { relation.to_string() },
            phone,
            special,
        });
        checked.push(Member { row: r.row, grid, grid_code: r.grid_code.clone(), building, address, head: is_head, resident });
    }

    // Rows with an unknown grid join the one household at their address, if there is one,
    // so a mistyped code is reported once rather than as a household of its own too.
    let mut at_address: HashMap<String, HashSet<Key>> = HashMap::new();
    for m in &checked {
        if let Some(g) = &m.grid {
            at_address.entry(m.address.clone()).or_default().insert(Key::Org(g.org_id, m.address.clone()));
        }
    }
    let mut groups: HashMap<Key, Vec<Member>> = HashMap::new();
    for m in checked {
        let key = match &m.grid {
            Some(g) => Key::Org(g.org_id, m.address.clone()),
            None => match at_address.get(m.address.as_str()).filter(|keys| keys.len() == 1) {
                Some(keys) => keys.iter().next().cloned().unwrap_or_else(|| Key::Code(m.grid_code.clone(), m.address.clone())),
                None => Key::Code(m.grid_code.clone(), m.address.clone()),
            },
        };
        match first_of.get(&key) {
            None => {
                if let Some(g) = &m.grid {
                    if known.addresses.contains(&(g.org_id, m.address.clone())) {
                        errors.push(err(m.row, "address", format!("门牌地址“{}”在{}已有住户记录，已存在，请勿重复导入", m.address, g.org_name)));
                    }
                }
                first_of.insert(key.clone(), (m.row, m.grid.clone(), m.building.clone()));
                order.push(key.clone());
            }
            Some((first_row, first_grid, first_building)) => {
                if let (Some(a), Some(b)) = (first_grid, &m.grid) {
                    if a.id != b.id {
                        errors.push(err(m.row, "grid_code", format!("与同一门牌地址的第 {first_row} 行网格编码不同；同一户的成员须在同一网格")));
                    }
                }
                if *first_building != m.building {
                    errors.push(err(m.row, "building", format!("与同一门牌地址的第 {first_row} 行楼栋不同；同一户的成员须填写相同的楼栋")));
                }
            }
        }
        groups.entry(key).or_default().push(m);
    }

    let mut out = Vec::new();
    for key in order {
        let members = groups.remove(&key).unwrap_or_default();
        let (first_row, grid, building) = first_of.remove(&key).unwrap_or((0, None, String::new()));
        let address = match &key {
            Key::Org(_, a) | Key::Code(_, a) => a.clone(),
        };
        let heads: Vec<usize> = members.iter().filter(|m| m.head).map(|m| m.row).collect();
        match heads.len() {
            0 => {
                let all: Vec<String> = members.iter().map(|m| m.row.to_string()).collect();
                errors.push(err(first_row, "relation", format!(
                    "门牌地址“{address}”的一户（第 {} 行）没有户主：请在户主那一行的“与户主关系”填“户主”",
                    all.join("、")
                )));
                continue;
            }
            1 => {}
            _ => {
                let list: Vec<String> = heads.iter().map(|r| r.to_string()).collect();
                for &row in &heads[1..] {
                    errors.push(err(row, "relation", format!(
                        "门牌地址“{address}”的一户有 {} 位户主（第 {} 行），每户只能有一位户主；其他成员请填与户主的关系，或改用不同的门牌地址",
                        heads.len(),
                        list.join("、")
                    )));
                }
                continue;
            }
        }
        let (Some(grid), true) = (grid, members.iter().all(|m| m.resident.is_some())) else {
            continue;
        };
        let mut residents: Vec<NewResident> = members.into_iter().filter_map(|m| m.resident).collect();
        // The head first, then the file's order.
        residents.sort_by_key(|r| (r.relation != HEAD, r.row));
        let head = &residents[0];
        out.push(NewHousehold {
            grid,
            building: (!building.is_empty()).then_some(building),
            address,
            head_name: head.name.clone(),
            phone: head.phone.clone(),
            residents,
        });
    }
    if rows.is_empty() {
        errors.push(RowError { row: 2, column: String::new(), message: "文件中没有数据行，请在表头下方逐行填写居民信息（每位居民一行）".into(), code: None });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_key(|e| e.row);
        Err(errors)
    }
}

/// A checked row, before grouping. `resident` is None when a field could not be read.
struct Member {
    row: usize,
    grid: Option<GridRef>,
    grid_code: String,
    building: String,
    address: String,
    head: bool,
    resident: Option<NewResident>,
}

/// Errors listed back at most, with a closing line saying how many there were.
fn rejected(mut rows: Vec<RowError>) -> AppError {
    rows.sort_by_key(|e| e.row);
    let total = rows.len();
    if total > MAX_REPORTED_ERRORS {
        rows.truncate(MAX_REPORTED_ERRORS);
        rows.push(RowError { row: 0, column: String::new(), message: format!("共 {total} 处错误，仅列出前 {MAX_REPORTED_ERRORS} 处；请改正后重新导入"), code: None });
    }
    AppError::ImportRejected(rows)
}

/// The grids named in the file, one query per distinct code, bounded to `root`'s subtree
/// and to the grids the actor may manage.
async fn find_grids(conn: &mut Conn, actor: Option<&Actor>, root: &Org, rows: &[HouseholdRow]) -> AppResult<HashMap<String, Vec<GridRef>>> {
    let mut out: HashMap<String, Vec<GridRef>> = HashMap::new();
    for r in rows {
        if r.grid_code.is_empty() || out.contains_key(&r.grid_code) {
            continue;
        }
        let mut sql = Sql::new("SELECT g.id, g.org_id, g.org_path, o.name AS org_name FROM grids g JOIN orgs o ON o.id = g.org_id WHERE g.code = ");
        sql.bind(r.grid_code.as_str()).push(" AND g.org_path >= ").bind(root.path.as_str()).push(" AND g.org_path < ").bind(crate::db::path::upper(&root.path));
        sql.push(" ORDER BY g.id");
        let mut found = Vec::new();
        for g in sql.query().fetch_all(&mut *conn).await? {
            let g = GridRef { id: g.try_get("id")?, org_id: g.try_get("org_id")?, org_path: g.try_get("org_path")?, org_name: g.try_get("org_name")? };
            if actor.is_none_or(|a| a.can(Perm::WriteResidents, &g.org_path)) {
                found.push(g);
            }
        }
        out.insert(r.grid_code.clone(), found);
    }
    Ok(out)
}

/// Rows bound per multi-row statement (at most 9 values a row, far under both backends' limits).
const BATCH: usize = 500;

/// Households already recorded at the file's addresses, and residents already recorded
/// with the file's ID numbers.
async fn find_existing(conn: &mut Conn, rows: &[HouseholdRow], known: &mut Known) -> AppResult<()> {
    let mut by_org: HashMap<i64, HashSet<String>> = HashMap::new();
    let mut ids: HashSet<String> = HashSet::new();
    for r in rows {
        if let Ok(g) = resolve(known, &r.grid_code) {
            let a = normalize_address(&r.address);
            if !a.is_empty() {
                by_org.entry(g.org_id).or_default().insert(a);
            }
        }
        if let Ok(id) = IdCardNumber::parse(&r.id_number) {
            ids.insert(id.as_str().to_string());
        }
    }
    for (org_id, addresses) in by_org {
        let addresses: Vec<String> = addresses.into_iter().collect();
        for chunk in addresses.chunks(BATCH) {
            let mut sql = Sql::bulk(conn, "SELECT address FROM households WHERE org_id = ");
            sql.bind(org_id).push(" AND address IN (");
            sql.bind_list(chunk.iter().cloned()).push(")");
            for r in sql.query().fetch_all(&mut *conn).await? {
                known.addresses.insert((org_id, r.try_get("address")?));
            }
        }
    }
    let ids: Vec<String> = ids.into_iter().collect();
    for chunk in ids.chunks(BATCH) {
        let mut sql = Sql::bulk(conn, "SELECT id_number FROM residents WHERE id_number IN (");
        sql.bind_list(chunk.iter().cloned()).push(")");
        for r in sql.query().fetch_all(&mut *conn).await? {
            known.id_numbers.insert(r.try_get("id_number")?);
        }
    }
    Ok(())
}

/// Checks a household file and imports it in one transaction under `root`: its grids must
/// be in `root`'s subtree. The actor (None from the command line) needs ManageGovernance
/// on `root`.
pub async fn import_households(db: &Db, actor: Option<&Actor>, root: &Org, path: &Path, kind: FileKind) -> AppResult<HouseholdImportSummary> {
    if let Some(a) = actor {
        a.require(crate::auth::roles::Perm::WriteResidents, &root.path)?;
    }
    let owned: PathBuf = path.to_path_buf();
    let (rows, read_errors) = tokio::task::spawn_blocking(move || read_rows(&owned, kind))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reading the household file: {e}")))?
        .map_err(|e| AppError::ImportRejected(vec![e]))?;
    let file_name = path.file_name().map(|f| f.to_string_lossy().to_string());
    let today = crate::db::today();
    // Checked inside the write transaction, so what was checked is what is written.
    write_tx!(db, |tx| {
        let conn: &mut Conn = &mut tx;
        let mut known = Known { grids: find_grids(conn, actor, root, &rows).await?, ..Default::default() };
        find_existing(conn, &rows, &mut known).await?;
        let households = match plan(&rows, &known, today) {
            Ok(h) if read_errors.is_empty() => h,
            Ok(_) => return Err(rejected(read_errors.clone())),
            Err(more) => return Err(rejected(read_errors.iter().cloned().chain(more).collect())),
        };
        let summary = write(conn, &households, today, rows.len()).await?;
        let after = serde_json::json!({
            "file": file_name,
            "households": summary.households,
            "residents": summary.residents,
            "special": summary.special,
        });
        audit::record(conn, actor, "household.import", "org", Some(root.id), root, None, Some(&after)).await?;
        Ok::<HouseholdImportSummary, AppError>(summary)
    })
}

/// Writes checked households: missing buildings, then households, residents and special
/// groups, each in multi-row INSERTs.
async fn write(conn: &mut Conn, households: &[NewHousehold], today: NaiveDate, rows: usize) -> AppResult<HouseholdImportSummary> {
    let now = now_secs();
    let day = today.to_string();

    // Buildings by (grid, name): existing ones reused, missing ones created.
    let mut buildings: HashMap<(i64, String), i64> = HashMap::new();
    let grid_ids: Vec<i64> = households.iter().filter(|h| h.building.is_some()).map(|h| h.grid.id).collect::<HashSet<_>>().into_iter().collect();
    for chunk in grid_ids.chunks(BATCH) {
        let mut sql = Sql::bulk(conn, "SELECT id, grid_id, name FROM buildings WHERE grid_id IN (");
        sql.bind_list(chunk.iter().copied()).push(")");
        for r in sql.query().fetch_all(&mut *conn).await? {
            buildings.insert((r.try_get("grid_id")?, r.try_get("name")?), r.try_get("id")?);
        }
    }
    let mut missing: Vec<(&GridRef, &str)> = Vec::new();
    let mut seen: HashSet<(i64, &str)> = HashSet::new();
    for h in households {
        if let Some(b) = h.building.as_deref() {
            if !buildings.contains_key(&(h.grid.id, b.to_string())) && seen.insert((h.grid.id, b)) {
                missing.push((&h.grid, b));
            }
        }
    }
    for chunk in missing.chunks(BATCH) {
        let mut sql = Sql::bulk(conn, "INSERT INTO buildings (grid_id, org_id, org_path, name, created_at) VALUES ");
        for (i, (g, name)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(g.id).push(", ").bind(g.org_id).push(", ").bind(g.org_path.as_str()).push(", ").bind(*name).push(", ").bind(now).push(")");
        }
        sql.push(" RETURNING id, grid_id, name");
        for r in sql.query().fetch_all(&mut *conn).await? {
            buildings.insert((r.try_get("grid_id")?, r.try_get("name")?), r.try_get("id")?);
        }
    }

    // Households, matched back by (org, address), which is unique.
    let mut household_ids: HashMap<(i64, String), i64> = HashMap::new();
    for chunk in households.chunks(BATCH) {
        let mut sql = Sql::bulk(conn, "INSERT INTO households (grid_id, building_id, org_id, org_path, address, head_name, phone, created_at) VALUES ");
        for (i, h) in chunk.iter().enumerate() {
            let building = h.building.as_ref().and_then(|b| buildings.get(&(h.grid.id, b.clone())).copied());
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(h.grid.id).push(", ").bind(building).push(", ").bind(h.grid.org_id).push(", ").bind(h.grid.org_path.as_str());
            sql.push(", ").bind(h.address.as_str()).push(", ").bind(h.head_name.as_str()).push(", ").bind(h.phone.clone()).push(", ").bind(now).push(")");
        }
        sql.push(" RETURNING id, org_id, address");
        for r in sql.query().fetch_all(&mut *conn).await? {
            household_ids.insert((r.try_get("org_id")?, r.try_get("address")?), r.try_get("id")?);
        }
    }

    // Residents. RETURNING gives no order, so ids are matched back by every stored column;
    // rows alike in all of them are interchangeable.
    type ResidentKey = (i64, String, Option<String>, String, Option<String>, String, Option<String>);
    let key = |hid: i64, r: &NewResident| -> ResidentKey {
        (hid, r.name.clone(), r.id_number.clone(), r.gender.code().to_string(), r.birth_date.map(|d| d.to_string()), r.relation.clone(), r.phone.clone())
    };
    let all: Vec<(i64, &NewResident)> = households
        .iter()
        .map(|h| household_ids.get(&(h.grid.org_id, h.address.clone())).copied().ok_or(AppError::NotFound).map(|hid| (hid, h)))
        .collect::<AppResult<Vec<_>>>()?
        .into_iter()
        .flat_map(|(hid, h)| h.residents.iter().map(move |r| (hid, r)))
        .collect();
    let mut special: Vec<(i64, i64, SpecialKind)> = Vec::new();
    for chunk in all.chunks(BATCH) {
        let mut sql = Sql::bulk(conn, "INSERT INTO residents (household_id, name, id_number, gender, birth_date, relation, phone) VALUES ");
        for (i, (hid, r)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*hid).push(", ").bind(r.name.as_str()).push(", ").bind(r.id_number.clone()).push(", ").bind(r.gender.code());
            sql.push(", ").bind(r.birth_date.map(|d| d.to_string())).push(", ").bind(r.relation.as_str()).push(", ").bind(r.phone.clone()).push(")");
        }
        sql.push(" RETURNING id, household_id, name, id_number, gender, birth_date, relation, phone");
        let mut ids: HashMap<ResidentKey, VecDeque<i64>> = HashMap::new();
        for r in sql.query().fetch_all(&mut *conn).await? {
            let k: ResidentKey = (
                r.try_get("household_id")?,
                r.try_get("name")?,
                r.try_get("id_number")?,
                r.try_get("gender")?,
                r.try_get("birth_date")?,
                r.try_get("relation")?,
                r.try_get("phone")?,
            );
            ids.entry(k).or_default().push_back(r.try_get("id")?);
        }
        for (hid, r) in chunk.iter().filter(|(_, r)| !r.special.is_empty()) {
            let rid = ids.get_mut(&key(*hid, r)).and_then(VecDeque::pop_front).ok_or(AppError::NotFound)?;
            special.extend(r.special.iter().map(|k| (*hid, rid, *k)));
        }
    }

    for chunk in special.chunks(BATCH) {
        let mut sql = Sql::bulk(conn, "INSERT INTO special_groups (household_id, resident_id, kind, since, note) VALUES ");
        for (i, (hid, rid, k)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*hid).push(", ").bind(*rid).push(", ").bind(k.code()).push(", ").bind(day.as_str()).push(", ''").push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(HouseholdImportSummary { rows, households: households.len(), residents: all.len(), special: special.len() })
}

/// The household template: headers, one example row, a 性别 drop-down and a 填写说明 sheet.
pub fn household_template_xlsx() -> Result<Vec<u8>, String> {
    let born = NaiveDate::from_ymd_opt(1940, 3, 1).unwrap_or_default();
    let example_id = IdCardNumber::build(110101, born, 11).to_string();
    let example = |field: &str| -> Example {
        match field {
            "grid_code" => Example::Text("WG01".into()),
            "building" => Example::Text("1号楼".into()),
            "address" => Example::Text("东关村三组12号".into()),
            "name" => Example::Text("王建国".into()),
            "relation" => Example::Text(HEAD.into()),
            "gender" => Example::Text(Gender::Male.label().into()),
            "id_number" => Example::Text(example_id.clone()),
            "birth_date" => Example::Date(born),
            "phone" => Example::Text("13800000000".into()),
            "special" => Example::Text(SpecialKind::Elderly80.label().into()),
            _ => Example::Text(String::new()),
        }
    };
    let headers: Vec<&str> = HOUSEHOLD_COLUMNS.iter().map(|(_, l)| *l).collect();
    let genders: Vec<&str> = Gender::ALL.iter().map(|g| g.label()).collect();
    let lists: Vec<(&str, Vec<&str>)> = vec![("gender", genders)];
    let notes: Vec<(&str, &str, String)> = HOUSEHOLD_COLUMNS
        .iter()
        .map(|(field, label)| {
            let (need, note) = note(field);
            (*label, need, note)
        })
        .collect();
    template_xlsx("居民信息", HOUSEHOLD_COLUMNS, &headers, &example, &lists, &notes)
}

fn note(field: &str) -> (&'static str, String) {
    match field {
        "grid_code" => ("必填", "该户所在网格的编码，网格须已在系统中建立".into()),
        "building" => ("可不填", "楼栋名称，如“1号楼”；网格内还没有的楼栋会自动建立".into()),
        "address" => ("必填", "每位居民一行，同一户的成员填写完全相同的门牌地址；已在系统中的门牌地址不能重复导入".into()),
        "name" => ("必填", "不含数字，不超过30个字".into()),
        "relation" => ("必填", "户主本人填“户主”（或“本人”），其他成员填“配偶”“子”“女”等；每户有且只有一位户主".into()),
        "gender" => ("可不填", "男 或 女；不填时按身份证号推算（没有身份证号的须填写）".into()),
        "id_number" => ("可不填", "18位公民身份号码。本列已设为“文本”格式，请勿改为数字格式，否则后几位会丢失".into()),
        "birth_date" => ("可不填", "如 1940-03-01；不填时按身份证号推算，填写时须与身份证号一致".into()),
        "phone" => ("可不填", "11位手机号，或带区号的固定电话；户主的电话作为该户的联系电话".into()),
        "special" => ("可不填", format!("可填多个，用顿号分隔。可选：{}；“80岁以上高龄老人”须年满80周岁", SpecialKind::labels())),
        _ => ("可不填", String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn id(birth: &str, seq: u32) -> String {
        IdCardNumber::build(140781, day(birth), seq).to_string()
    }

    fn grid(id: i64, org_id: i64) -> GridRef {
        GridRef { id, org_id, org_path: format!("/1/{org_id}/"), org_name: format!("村{org_id}") }
    }

    fn known() -> Known {
        let mut k = Known::default();
        k.grids.insert("WG01".into(), vec![grid(1, 10)]);
        k.grids.insert("WG02".into(), vec![grid(2, 10)]);
        k.grids.insert("DUP".into(), vec![grid(3, 10), grid(4, 11)]);
        k.grids.insert("NONE".into(), vec![]);
        k.addresses.insert((10, "旧址1号".into()));
        k.id_numbers.insert(id("1960-01-01", 99));
        k
    }

    fn row(n: usize, grid: &str, address: &str, name: &str, relation: &str) -> HouseholdRow {
        HouseholdRow { row: n, grid_code: grid.into(), address: address.into(), name: name.into(), relation: relation.into(), gender: "男".into(), ..Default::default() }
    }

    const TODAY: &str = "2026-06-01";

    fn errors(rows: &[HouseholdRow]) -> Vec<(usize, String, String)> {
        plan(rows, &known(), day(TODAY)).unwrap_err().into_iter().map(|e| (e.row, e.column, e.message)).collect()
    }

    #[test]
    fn groups_rows_into_households_head_first() {
        let mut a2 = row(3, "WG01", " 东关村 3组  1号 ", "王建国", "本人");
        a2.id_number = id("1940-03-01", 11);
        a2.gender = String::new();
        a2.phone = "138 0000 0000".into();
        a2.special = "80岁以上高龄老人、特困老人".into();
        a2.building = "1号楼".into();
        let mut a1 = row(2, "WG01", "东关村 3组 1号", "李秀英", "配偶");
        a1.gender = "女".into();
        a1.building = "1号楼".into();
        let b = row(4, "WG02", "东关村3组2号", "赵强", "户主");
        let hs = plan(&[a1, a2, b], &known(), day(TODAY)).unwrap();
        assert_eq!(hs.len(), 2);
        let h = &hs[0];
        assert_eq!((h.address.as_str(), h.head_name.as_str(), h.phone.as_deref(), h.building.as_deref()), ("东关村 3组 1号", "王建国", Some("13800000000"), Some("1号楼")));
        assert_eq!(h.residents.iter().map(|r| r.row).collect::<Vec<_>>(), vec![3, 2]);
        let head = &h.residents[0];
        assert_eq!((head.relation.as_str(), head.gender, head.birth_date), ("户主", Gender::Male, Some(day("1940-03-01"))));
        assert_eq!(head.special, vec![SpecialKind::Elderly80, SpecialKind::TekunElderly]);
        assert_eq!((hs[1].grid.id, hs[1].building.clone(), hs[1].phone.clone()), (2, None, None));
    }

    #[test]
    fn every_problem_is_reported() {
        let mut bad_id = row(2, "WG01", "甲1号", "张一", "户主");
        let mut wrong = id("1970-01-01", 11);
        wrong.replace_range(17.., if wrong.ends_with('0') { "1" } else { "0" });
        bad_id.id_number = wrong;
        bad_id.gender = String::new();
        let no_head = row(3, "WG01", "甲2号", "张二", "子");
        let exists = row(4, "WG01", "旧址1号", "张三", "户主");
        let unknown = row(5, "NOPE", "甲3号", "张四", "户主");
        let mut phone = row(6, "WG01", "甲4号", "张五", "户主");
        phone.phone = "12345".into();
        let ambiguous = row(7, "DUP", "甲5号", "张六", "户主");
        let out_of_scope = row(8, "NONE", "甲6号", "张七", "户主");
        let mut young = row(9, "WG01", "甲7号", "张八", "户主");
        young.birth_date = "1950-01-01".into();
        young.special = "高龄老人".into();
        let e = errors(&[bad_id, no_head, exists, unknown, phone, ambiguous, out_of_scope, young]);
        let at: Vec<(usize, &str)> = e.iter().map(|(r, c, _)| (*r, c.as_str())).collect();
        assert_eq!(
            at,
            vec![(2, "公民身份号码"), (3, "与户主关系"), (4, "门牌地址"), (5, "网格编码"), (6, "联系电话"), (7, "网格编码"), (8, "网格编码"), (9, "特殊群体")],
            "{e:#?}"
        );
        assert!(e[0].2.contains("校验位"), "{}", e[0].2);
        assert!(e[2].2.contains("已存在，请勿重复导入"));
        assert!(e[3].2.contains("不存在") && e[6].2.contains("不存在"), "out of scope looks like missing");
        assert!(e[5].2.contains("村10") && e[5].2.contains("村11"));
        assert!(e[7].2.contains("无效的特殊群体"), "{}", e[7].2);
    }

    #[test]
    fn heads_and_household_consistency() {
        let two_heads = [row(2, "WG01", "乙1号", "甲", "户主"), row(3, "WG01", "乙1号", "乙", "本人"), row(4, "WG01", "乙1号", "丙", "子")];
        let e = errors(&two_heads);
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].0, e[0].1.as_str()), (3, "与户主关系"));
        assert!(e[0].2.contains("2 位户主"));

        let mut other_building = row(3, "WG01", "乙2号", "乙", "配偶");
        other_building.building = "2号楼".into();
        let e = errors(&[row(2, "WG01", "乙2号", "甲", "户主"), other_building, row(4, "WG02", "乙2号", "丙", "子")]);
        let at: Vec<(usize, &str)> = e.iter().map(|(r, c, _)| (*r, c.as_str())).collect();
        assert_eq!(at, vec![(3, "楼栋"), (4, "网格编码")], "{e:#?}");

        // A mistyped grid code is one error, not also a household without a head.
        for rows in [
            [row(2, "WG01", "乙3号", "甲", "户主"), row(3, "WGO1", "乙3号", "乙", "子")],
            [row(2, "WGO1", "乙3号", "甲", "户主"), row(3, "WG01", "乙3号", "乙", "子")],
        ] {
            let typo = rows.iter().find(|r| r.grid_code == "WGO1").unwrap().row;
            let e = errors(&rows);
            assert_eq!(e.iter().map(|(r, c, _)| (*r, c.as_str())).collect::<Vec<_>>(), vec![(typo, "网格编码")], "{e:#?}");
        }
    }

    #[test]
    fn resident_fields() {
        let mut r = row(2, "WG01", "丙1号", "甲", "户主");
        r.gender = String::new();
        let e = errors(&[r]);
        assert_eq!(e[0].1, "性别", "no gender and no ID");

        let mut r = row(2, "WG01", "丙1号", "甲", "户主");
        r.id_number = id("1980-05-05", 12); // even: a woman
        r.birth_date = "1980-05-06".into();
        let e = errors(&[r]);
        let at: Vec<&str> = e.iter().map(|(_, c, _)| c.as_str()).collect();
        assert_eq!(at, vec!["性别", "出生日期"]);

        let mut a = row(2, "WG01", "丙2号", "甲", "户主");
        a.id_number = id("1980-05-05", 11);
        let mut b = row(3, "WG01", "丙2号", "乙", "子");
        b.id_number = id("1980-05-05", 11);
        let mut c = row(4, "WG01", "丙2号", "丙", "女");
        c.id_number = id("1960-01-01", 99);
        let e = errors(&[a, b, c]);
        assert_eq!(e.iter().map(|(r, _, _)| *r).collect::<Vec<_>>(), vec![3, 4]);
        assert!(e[0].2.contains("第 2 行重复") && e[1].2.contains("已登记"));

        // 80 at the import day exactly is enough; an unknown birth date is not checked.
        let mut old = row(2, "WG01", "丙3号", "甲", "户主");
        old.birth_date = "1946-06-01".into();
        old.special = "elderly_80，留守儿童".into();
        let mut unknown_age = row(3, "WG01", "丙4号", "乙", "户主");
        unknown_age.special = "80岁以上高龄老人".into();
        let hs = plan(&[old, unknown_age], &known(), day(TODAY)).unwrap();
        assert_eq!(hs[0].residents[0].special, vec![SpecialKind::Elderly80, SpecialKind::LeftBehindChild]);
        let mut young = row(2, "WG01", "丙3号", "甲", "户主");
        young.birth_date = "1946-06-02".into();
        young.special = "80岁以上高龄老人".into();
        assert!(errors(&[young])[0].2.contains("79 周岁"));
    }

    #[test]
    fn empty_file() {
        let e = errors(&[]);
        assert_eq!(e.len(), 1);
        assert!(e[0].2.contains("没有数据行"));
    }

    #[test]
    fn template_reads_back() {
        let bytes = household_template_xlsx().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.xlsx");
        std::fs::write(&p, bytes).unwrap();
        let (rows, errs) = read_rows(&p, FileKind::Xlsx).unwrap();
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.grid_code.as_str(), r.relation.as_str(), r.birth_date.as_str()), ("WG01", "户主", "1940-03-01"));
        let hs = plan(&rows, &known(), day(TODAY)).unwrap();
        assert_eq!(hs[0].residents[0].special, vec![SpecialKind::Elderly80]);
    }

    #[test]
    fn csv_with_aliases_and_gbk() {
        let dir = tempfile::tempdir().unwrap();
        let text = "网格代码,住址,居民姓名,关系,身份证号,手机号,特殊人群,备注\nWG01,甲1号,王一,户主,,13900000001,,x\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let p = dir.path().join("h.csv");
        std::fs::write(&p, &*gbk).unwrap();
        let (rows, errs) = read_rows(&p, FileKind::Csv).unwrap();
        assert!(errs.is_empty());
        assert_eq!((rows[0].row, rows[0].address.as_str(), rows[0].phone.as_str()), (2, "甲1号", "13900000001"));
        let p = dir.path().join("bad.csv");
        std::fs::write(&p, "网格编码,姓名\nWG01,王一\n").unwrap();
        let e = read_rows(&p, FileKind::Csv).unwrap_err();
        assert!(e.message.contains("门牌地址") && e.message.contains("与户主关系"), "{e:?}");
    }
}
