//! A year of grid governance for one town, at the size DOMAIN.md gives for a town (51 full
//! grids, 324 micro-grids) with 40,000 households, 20,000 residents' requests and 600 disputes.
//!
//! Request and dispute trails are produced by the pure rules (`requests::rules::apply`,
//! `disputes::rules::apply`, default rules), so every stored state, date and note is one the
//! product itself could write. Deterministic from the seed, the town and today's date: nothing
//! is generated after today, so a request created last week may still be open. Everything is
//! written in one write transaction with explicit ids (max(id) + n).

use std::collections::HashSet;
use std::time::Instant;

use chrono::{Datelike, Days, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::Row as _;

use crate::db::{china, Conn, Db, Sql, Val};
use crate::disputes::rules as dr;
use crate::error::{AppError, AppResult};
use crate::grids::model::{SpecialKind, SpecialRecordKind};
use crate::requests::rules as rr;

/// How much to generate for the town.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    pub full_grids: usize,
    /// Micro-grids in all, spread as evenly as possible over the full grids.
    pub micro_grids: usize,
    pub households: usize,
    pub requests: usize,
    pub disputes: usize,
}

impl Scale {
    /// The benchmark: 51 full grids with 6–7 micro-grids each, 40,000 households,
    /// half a request per household and 600 disputes in the year.
    pub const TOWN: Scale = Scale { full_grids: 51, micro_grids: 324, households: 40_000, requests: 20_000, disputes: 600 };
}

#[derive(Clone, Debug)]
pub struct GovernanceLoaded {
    /// Full and micro-grids together.
    pub grids: usize,
    pub households: usize,
    pub residents: usize,
    pub requests: usize,
    pub disputes: usize,
    pub seconds: f64,
}

/// Fills the town `town_org_id` with [`Scale::TOWN`] for calendar year `year`.
pub async fn load_town(db: &Db, town_org_id: i64, year: i32, seed: u64) -> AppResult<GovernanceLoaded> {
    load_town_with(db, town_org_id, year, seed, &Scale::TOWN).await
}

/// Fills the town at any scale. Grids go to the town's village and community orgs in turn;
/// a town that already has grids (or teams on those orgs) is refused.
pub async fn load_town_with(db: &Db, town_org_id: i64, year: i32, seed: u64, scale: &Scale) -> AppResult<GovernanceLoaded> {
    let started = Instant::now();
    let scale = *scale;
    if scale.full_grids == 0 || scale.micro_grids < scale.full_grids || scale.households < scale.micro_grids {
        return Err(AppError::invalid("scale_invalid", "每个全科网格至少一个微网格，每个微网格至少一户"));
    }
    let today = crate::db::today();
    let first = NaiveDate::from_ymd_opt(year, 1, 1).filter(|d| *d <= today).ok_or_else(|| AppError::invalid("year_invalid", format!("年份 {year} 无效：只能生成今年或以前的演示数据")))?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31).map_or(today, |d| d.min(today));

    let mut tx = db.begin_bulk().await?;
    let conn: &mut Conn = &mut tx;
    let town = sqlx::query("SELECT id, path, name FROM orgs WHERE id = $1").bind(town_org_id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    let (town_path, town_name): (String, String) = (town.try_get("path")?, town.try_get("name")?);
    let mut places = Vec::new();
    let mut partners = Vec::new();
    for r in sqlx::query("SELECT id, path, name, kind, domain, variant FROM orgs WHERE parent_id = $1 AND dissolved_on IS NULL ORDER BY id").bind(town_org_id).fetch_all(&mut *conn).await? {
        let (kind, domain, variant): (String, String, String) = (r.try_get("kind")?, r.try_get("domain")?, r.try_get("variant")?);
        let (id, name): (i64, String) = (r.try_get("id")?, r.try_get("name")?);
        let village_or_community = matches!(domain.as_str(), "rural" | "community");
        if village_or_community && kind != "group" && variant != "temporary" {
            places.push(Place { id, path: r.try_get("path")?, short: short_name(&name), name, community: domain == "community" });
        } else if kind != "group" {
            partners.push((id, name));
        }
    }
    if places.is_empty() {
        return Err(AppError::invalid("no_villages", format!("{town_name}下没有村（社区）党组织，无法划分网格")));
    }
    let mut sql = Sql::new("SELECT COUNT(*) FROM grids WHERE org_path >= ");
    sql.bind(town_path.clone()).push(" AND org_path < ").bind(crate::db::path::upper(&town_path));
    let grids_there: i64 = sql.query_scalar().fetch_one(&mut *conn).await?;
    let mut sql = Sql::new("SELECT COUNT(*) FROM vanguard_teams WHERE org_id IN (");
    sql.bind_list(places.iter().map(|p| p.id)).push(")");
    let teams_there: i64 = sql.query_scalar().fetch_one(&mut *conn).await?;
    if grids_there + teams_there > 0 {
        return Err(AppError::conflict("governance_exists", format!("{town_name}已有网格或先锋队，演示数据只能载入没有网格治理数据的乡镇")));
    }
    // In-service members in the town's subtree, who may claim requests (在职党员).
    let mut sql = Sql::new("SELECT id, name FROM members WHERE in_service = 1 AND org_path >= ");
    sql.bind(town_path.clone()).push(" AND org_path < ").bind(crate::db::path::upper(&town_path)).push(" ORDER BY id LIMIT 300");
    let members = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).collect::<AppResult<Vec<(i64, String)>>>()?;
    let mut tables = tables();
    for t in tables.iter_mut().filter(|t| t.cols[0] == "id") {
        t.next_id = sqlx::query_scalar(&format!("SELECT COALESCE(MAX(id), 0) FROM {}", t.name)).fetch_one(&mut *conn).await?;
    }

    let tracking_key = crate::db::secrets::get(conn, crate::db::secrets::TRACKING_KEY).await?;
    let input = Input { scale, seed, first, last, today, now: crate::db::now_secs(), town: (town_org_id, town_name), places, members, partners, tracking_key };
    let (tables, counts) = tokio::task::spawn_blocking(move || generate(&input, tables))
        .await
        .map_err(|e| anyhow::anyhow!("governance demo generator failed: {e}"))??;
    for t in &tables {
        insert(conn, t).await?;
    }
    tx.commit().await?;
    for t in tables.iter().filter(|t| t.cols[0] == "id") {
        db.sync_sequence(t.name).await?;
    }
    for t in &tables {
        sqlx::query(&format!("ANALYZE {}", t.name)).execute(&db.pool).await?;
    }
    Ok(GovernanceLoaded { seconds: started.elapsed().as_secs_f64(), ..counts })
}

// ---------------------------------------------------------------------------------------------
// Rows

struct Table {
    name: &'static str,
    cols: &'static [&'static str],
    vals: Vec<Val>,
    /// The last id used; ids are assigned here, not by the database.
    next_id: i64,
}

impl Table {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
    fn row<const N: usize>(&mut self, r: [Val; N]) {
        debug_assert_eq!(N, self.cols.len(), "{}", self.name);
        self.vals.extend(r);
    }
    fn rows(&self) -> usize {
        self.vals.len() / self.cols.len()
    }
}

const GRIDS: usize = 0;
const BUILDINGS: usize = 1;
const HOUSEHOLDS: usize = 2;
const RESIDENTS: usize = 3;
const SPECIAL_GROUPS: usize = 4;
const SPECIAL_RECORDS: usize = 5;
const TEAMS: usize = 6;
const REQUESTS: usize = 7;
const REQUEST_EVENTS: usize = 8;
const DISPUTES: usize = 9;
const PARTIES: usize = 10;
const DISPUTE_TEAM: usize = 11;
const DISPUTE_EVENTS: usize = 12;

/// In insertion order (referenced tables first).
fn tables() -> Vec<Table> {
    let t = |name, cols| Table { name, cols, vals: Vec::new(), next_id: 0 };
    vec![
        t("grids", &["id", "org_id", "org_path", "parent_grid_id", "kind", "code", "name", "worker_user_id", "created_at"]),
        t("buildings", &["id", "grid_id", "org_id", "org_path", "name", "group_org_id", "created_at"]),
        t("households", &["id", "grid_id", "building_id", "org_id", "org_path", "address", "head_name", "phone", "central_member_id", "created_at"]),
        t("residents", &["id", "household_id", "name", "id_number", "gender", "birth_date", "relation", "phone"]),
        t("special_groups", &["id", "household_id", "resident_id", "kind", "since", "until", "note"]),
        t("special_records", &["id", "special_id", "kind", "on_day", "amount_fen", "note", "by_user_id", "at"]),
        t("vanguard_teams", &["id", "org_id", "name", "created_at"]),
        t(
            "requests",
            &[
                "id", "org_id", "org_path", "owner_org_id", "grid_id", "household_id", "kind", "source", "category", "text", "public_text",
                "contact_name", "contact_phone", "state", "is_open", "expected_days", "handbacks", "unsatisfied", "claimant_kind",
                "claimant_id", "claimant_name", "dispatched_on", "deadline_on", "fulfilled_on", "closed_on", "rating", "duplicate_of",
                "tracking_digest", "nonce", "created_on", "created_at", "updated_at", "version",
            ],
        ),
        t("request_events", &["id", "request_id", "action", "from_state", "to_state", "note", "by_user_id", "by_label", "on_day", "at"]),
        t(
            "disputes",
            &[
                "id", "org_id", "org_path", "grid_id", "category", "risk", "level", "level_since", "state", "is_open", "summary", "referral",
                "opened_on", "closed_on", "deadline_on", "created_by", "created_at", "updated_at", "version",
            ],
        ),
        t("dispute_parties", &["id", "dispute_id", "name", "phone", "role"]),
        t("dispute_team", &["dispute_id", "role", "name"]),
        t("dispute_events", &["id", "dispute_id", "action", "from_state", "to_state", "from_level", "to_level", "reason", "note", "by_user_id", "on_day", "at"]),
    ]
}

/// Multi-row INSERTs of at most 500 rows.
async fn insert(conn: &mut Conn, t: &Table) -> AppResult<()> {
    let head = format!("INSERT INTO {} ({}) VALUES ", t.name, t.cols.join(", "));
    Ok(crate::db::insert_rows(conn, &head, t.cols.len(), &t.vals, 500).await?)
}

fn day(d: NaiveDate) -> Val {
    Val::S(d.to_string())
}

fn opt_day(d: Option<NaiveDate>) -> Val {
    d.map(|d| d.to_string()).into()
}

fn opt_str(s: Option<&str>) -> Val {
    s.map(str::to_string).into()
}

// ---------------------------------------------------------------------------------------------
// Generation (pure, on a blocking thread)

struct Place {
    id: i64,
    path: String,
    name: String,
    /// "东关村", "幸福社区": the org name without its Party suffix.
    short: String,
    community: bool,
}

struct Input {
    scale: Scale,
    seed: u64,
    first: NaiveDate,
    /// The last day a request or dispute is created on (31 December, or today).
    last: NaiveDate,
    /// No event after this day.
    today: NaiveDate,
    now: i64,
    /// The database's tracking-code key: demo codes are stored as the product stores them.
    tracking_key: Vec<u8>,
    town: (i64, String),
    places: Vec<Place>,
    members: Vec<(i64, String)>,
    partners: Vec<(i64, String)>,
}

struct Household {
    id: i64,
    place: usize,
    micro: i64,
    full: i64,
    head: String,
    phone: Option<String>,
}

fn short_name(name: &str) -> String {
    for suffix in ["联合党支部", "党总支", "党支部", "党委"] {
        if let Some(s) = name.strip_suffix(suffix) {
            if !s.is_empty() {
                return s.to_string();
            }
        }
    }
    name.to_string()
}

fn generate(input: &Input, mut t: Vec<Table>) -> AppResult<(Vec<Table>, GovernanceLoaded)> {
    let town_mix = (input.town.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut rng = ChaCha8Rng::seed_from_u64(input.seed ^ town_mix);
    let now = input.now;
    let s = input.scale;
    let places = &input.places;

    // Vanguard teams: two or three per village or community.
    let mut teams: Vec<Vec<(i64, String)>> = Vec::with_capacity(places.len());
    for p in places {
        let third = if p.community { "红色物业服务队" } else { "乡贤志愿服务队" };
        let n = rng.gen_range(2..=3);
        let mut list = Vec::new();
        for what in ["党员先锋队", "志愿服务队", third].into_iter().take(n) {
            let id = t[TEAMS].id();
            let name = format!("{}{what}", p.short);
            t[TEAMS].row([id.into(), p.id.into(), name.clone().into(), now.into()]);
            list.push((id, name));
        }
        teams.push(list);
    }

    // Grids: full grids to the villages and communities in turn, micro-grids spread evenly.
    let mut per_place = vec![0usize; places.len()];
    // (id, place, its number within the place, micro-grids)
    let mut fulls: Vec<(i64, usize, usize, Vec<i64>)> = Vec::with_capacity(s.full_grids);
    for k in 0..s.full_grids {
        let pi = k % places.len();
        let p = &places[pi];
        per_place[pi] += 1;
        let id = t[GRIDS].id();
        let code = format!("QK{:02}", k + 1);
        let name = format!("{}第{}全科网格", p.short, per_place[pi]);
        t[GRIDS].row([id.into(), p.id.into(), p.path.clone().into(), Val::NullI, "full".into(), code.into(), name.into(), Val::NullI, now.into()]);
        fulls.push((id, pi, per_place[pi], Vec::new()));
    }
    for (k, (full_id, pi, ordinal, micros)) in fulls.iter_mut().enumerate() {
        let p = &places[*pi];
        let n = s.micro_grids / s.full_grids + usize::from(k < s.micro_grids % s.full_grids);
        for j in 1..=n {
            let id = t[GRIDS].id();
            let code = format!("QK{:02}-W{j}", k + 1);
            let name = format!("{}第{ordinal}全科网格{j}号微网格", p.short);
            t[GRIDS].row([id.into(), p.id.into(), p.path.clone().into(), (*full_id).into(), "micro".into(), code.into(), name.into(), Val::NullI, now.into()]);
            micros.push(id);
        }
    }

    // Households, residents and special groups, micro-grid by micro-grid.
    let mut households: Vec<Household> = Vec::with_capacity(s.households);
    let mut buildings_of_place = vec![0usize; places.len()];
    let mut doors_of_place = vec![0usize; places.len()];
    let mut residents = 0usize;
    let mut micro_index = 0usize;
    for (full_id, pi, _, micros) in &fulls {
        let p = &places[*pi];
        let sizes: Vec<usize> = micros
            .iter()
            .enumerate()
            .map(|(j, _)| s.households / s.micro_grids + usize::from(micro_index + j < s.households % s.micro_grids))
            .collect();
        micro_index += micros.len();
        let in_grid: usize = sizes.iter().sum();
        // Communities live in numbered buildings (numbers run on across the org's grids).
        let mut blocks: Vec<(i64, usize)> = Vec::new();
        if p.community {
            let n = in_grid.div_ceil(100).clamp(1, 12);
            for _ in 0..n {
                buildings_of_place[*pi] += 1;
                let id = t[BUILDINGS].id();
                let number = buildings_of_place[*pi];
                t[BUILDINGS].row([id.into(), (*full_id).into(), p.id.into(), p.path.clone().into(), format!("{number}号楼").into(), Val::NullI, now.into()]);
                blocks.push((id, number));
            }
        }
        let mut pos = 0usize;
        for (micro, size) in micros.iter().zip(sizes) {
            for _ in 0..size {
                let (building, address) = if blocks.is_empty() {
                    let n = doors_of_place[*pi];
                    doors_of_place[*pi] += 1;
                    (None, format!("{}{}号", STREETS[n % STREETS.len()], n / STREETS.len() + 1))
                } else {
                    let b = pos * blocks.len() / in_grid;
                    let start = (b * in_grid).div_ceil(blocks.len());
                    let i = pos - start;
                    let (unit, j) = (i / 24 + 1, i % 24);
                    (Some(blocks[b].0), format!("{}号楼{unit}单元{}{:02}", blocks[b].1, j / 2 + 1, j % 2 + 1))
                };
                pos += 1;
                let id = t[HOUSEHOLDS].id();
                let special = if rng.gen_bool(0.03) { Some(pick_weighted(&mut rng, SPECIAL_MIX)) } else { None };
                let people = family(&mut rng, input.today, special);
                let head = people[0].name.clone();
                let phone = people[0].phone.clone();
                t[HOUSEHOLDS].row([
                    id.into(),
                    (*micro).into(),
                    building.into(),
                    p.id.into(),
                    p.path.clone().into(),
                    address.into(),
                    head.clone().into(),
                    phone.clone().into(),
                    Val::NullI,
                    now.into(),
                ]);
                let mut special_resident = None;
                for (ri, person) in people.iter().enumerate() {
                    let rid = t[RESIDENTS].id();
                    t[RESIDENTS].row([
                        rid.into(),
                        id.into(),
                        person.name.clone().into(),
                        Val::NullS,
                        (if person.male { "male" } else { "female" }).into(),
                        day(person.birth),
                        person.relation.into(),
                        person.phone.clone().into(),
                    ]);
                    if special.is_some() && ri == special_member(special, &people) {
                        special_resident = Some((rid, person.birth));
                    }
                }
                residents += people.len();
                if let (Some(kind), Some((rid, birth))) = (special, special_resident) {
                    special_rows(&mut rng, &mut t, input, id, rid, birth, kind);
                }
                households.push(Household { id, place: *pi, micro: *micro, full: *full_id, head, phone });
            }
        }
    }

    let n_requests = requests(&mut rng, &mut t, input, &households, &teams)?;
    let n_disputes = disputes(&mut rng, &mut t, input, &households)?;
    let counts = GovernanceLoaded {
        grids: t[GRIDS].rows(),
        households: households.len(),
        residents,
        requests: n_requests,
        disputes: n_disputes,
        seconds: 0.0,
    };
    Ok((t, counts))
}

// ---------------------------------------------------------------------------------------------
// People

const STREETS: &[&str] = &["幸福路", "和谐巷", "文化街", "东大街", "西大街", "南关街", "北关街", "新村路", "团结巷", "建设路", "育才路", "富民路"];

/// Common surnames, most frequent first (drawn with a bias towards the front).
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢",
    "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏",
    "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "贾", "夏", "付", "方", "白", "孟", "秦", "尹",
    "薛", "闫", "段", "雷", "侯", "史", "贺", "郝", "武", "常", "牛", "樊", "乔", "翟", "申", "霍", "裴", "卫", "柴", "靳", "畅", "原", "师",
];
const MALE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "斌", "宇", "浩", "凯", "健", "俊",
    "帆", "帅", "旭", "宁", "龙", "林", "阳", "建", "国", "志", "海", "东", "文", "立", "永", "新", "兵", "庆", "德", "福", "生", "民", "成",
    "荣", "才", "保", "振",
];
const FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "英", "玲", "桂", "燕", "萍", "红", "梅", "莉", "兰", "琴", "云", "洁", "婷", "雪",
    "慧", "颖", "倩", "琳", "晶", "欣", "悦", "凤", "华", "淑", "珍", "翠", "玉", "春", "彩", "美", "佳",
];

fn surname(rng: &mut ChaCha8Rng) -> &'static str {
    let x: f64 = rng.gen();
    SURNAMES[((x * x) * SURNAMES.len() as f64) as usize % SURNAMES.len()]
}

fn given(rng: &mut ChaCha8Rng, male: bool) -> String {
    let chars = if male { MALE } else { FEMALE };
    let mut g = chars[rng.gen_range(0..chars.len())].to_string();
    if rng.gen_bool(0.65) {
        g.push_str(chars[rng.gen_range(0..chars.len())]);
    }
    g
}

fn person_name(rng: &mut ChaCha8Rng, male: bool) -> String {
    format!("{}{}", surname(rng), given(rng, male))
}

/// 11 digits starting 13, 15 or 18.
fn phone(rng: &mut ChaCha8Rng) -> String {
    format!("1{}{:09}", ["3", "5", "8"][rng.gen_range(0..3)], rng.gen_range(0..1_000_000_000u32))
}

struct Person {
    name: String,
    male: bool,
    birth: NaiveDate,
    relation: &'static str,
    phone: Option<String>,
}

fn born(rng: &mut ChaCha8Rng, today: NaiveDate, age: u32) -> NaiveDate {
    today - Days::new(u64::from(age) * 365 + age as u64 / 4 + rng.gen_range(0..365))
}

const SPECIAL_MIX: &[(SpecialKind, u32)] = &[
    (SpecialKind::Elderly80, 40),
    (SpecialKind::TekunElderly, 10),
    (SpecialKind::LeftBehindChild, 20),
    (SpecialKind::MigrantChild, 15),
    (SpecialKind::NewEmployment, 15),
];

/// A household: the head first, then spouse, children, parents or grandchildren. Its shape
/// follows the special group, if any (an 80-year-old head, a grandchild left behind …).
fn family(rng: &mut ChaCha8Rng, today: NaiveDate, special: Option<SpecialKind>) -> Vec<Person> {
    use SpecialKind as K;
    let (head_age, size) = match special {
        Some(K::Elderly80) => (rng.gen_range(81..=96), rng.gen_range(1..=2)),
        Some(K::TekunElderly) => (rng.gen_range(62..=88), 1),
        Some(K::LeftBehindChild) => (rng.gen_range(56..=72), rng.gen_range(3..=4)),
        Some(K::MigrantChild) => (rng.gen_range(30..=45), rng.gen_range(3..=4)),
        Some(K::NewEmployment) => (rng.gen_range(22..=40), rng.gen_range(1..=3)),
        None => {
            let age = 25.0 + 60.0 * (rng.gen::<f64>() + rng.gen::<f64>()) / 2.0;
            let size = pick_weighted(rng, &[(1usize, 18), (2, 32), (3, 28), (4, 14), (5, 8)]);
            (age as u32, size)
        }
    };
    let male = special == Some(K::NewEmployment) || rng.gen_bool(0.72);
    let family_name = surname(rng);
    let head_name = format!("{family_name}{}", given(rng, male));
    let mut people = vec![Person { name: head_name, male, birth: born(rng, today, head_age), relation: "户主", phone: rng.gen_bool(0.92).then(|| phone(rng)) }];
    if size >= 2 && (special.is_some() || rng.gen_bool(0.85)) {
        let age = (head_age as i64 + rng.gen_range(-4..=3)).clamp(20, 99) as u32;
        let spouse_male = !male;
        people.push(Person { name: person_name(rng, spouse_male), male: spouse_male, birth: born(rng, today, age), relation: "配偶", phone: rng.gen_bool(0.6).then(|| phone(rng)) });
    }
    // A grandchild left behind; otherwise children, and a parent in five-person households.
    let child_age = |rng: &mut ChaCha8Rng| match special {
        Some(K::LeftBehindChild) => rng.gen_range(4..=14),
        Some(K::MigrantChild) => rng.gen_range(6..=15),
        _ => head_age.saturating_sub(rng.gen_range(24..=34)),
    };
    let child_relation = if special == Some(K::LeftBehindChild) { "孙子女" } else { "子女" };
    while people.len() < size {
        if people.len() == 4 && head_age < 60 {
            let age = (head_age + rng.gen_range(24..=30)).min(98);
            people.push(Person { name: format!("{family_name}{}", given(rng, true)), male: true, birth: born(rng, today, age), relation: "父母", phone: None });
            continue;
        }
        let age = child_age(rng);
        let m = rng.gen_bool(0.52);
        let ph = (age >= 18 && rng.gen_bool(0.5)).then(|| phone(rng));
        people.push(Person { name: format!("{family_name}{}", given(rng, m)), male: m, birth: born(rng, today, age), relation: child_relation, phone: ph });
    }
    people
}

/// Which resident the special group is about: a child for the two children's groups, else the head.
fn special_member(kind: Option<SpecialKind>, people: &[Person]) -> usize {
    match kind {
        Some(SpecialKind::LeftBehindChild | SpecialKind::MigrantChild) => people.iter().position(|p| matches!(p.relation, "孙子女" | "子女")).unwrap_or(0),
        _ => 0,
    }
}

fn special_rows(rng: &mut ChaCha8Rng, t: &mut [Table], input: &Input, household: i64, resident: i64, birth: NaiveDate, kind: SpecialKind) {
    use SpecialRecordKind as R;
    let year = input.first.year();
    let since = match kind {
        SpecialKind::Elderly80 => birth.checked_add_months(Months::new(80 * 12)).unwrap_or(birth),
        SpecialKind::LeftBehindChild | SpecialKind::MigrantChild => NaiveDate::from_ymd_opt(year - rng.gen_range(0..3), 9, 1).unwrap_or(input.first).max(birth),
        _ => NaiveDate::from_ymd_opt(year - rng.gen_range(1..6), rng.gen_range(1..=12), rng.gen_range(1..=28)).unwrap_or(input.first),
    }
    .min(input.last);
    let note = match kind {
        SpecialKind::Elderly80 => "按月发放高龄津贴",
        SpecialKind::TekunElderly => "分散供养特困人员",
        SpecialKind::LeftBehindChild => "父母在外务工，随祖父母生活",
        SpecialKind::MigrantChild => "随父母在本地就读",
        SpecialKind::NewEmployment => ["外卖骑手", "快递员", "网约车司机"][rng.gen_range(0..3)],
    };
    let id = t[SPECIAL_GROUPS].id();
    t[SPECIAL_GROUPS].row([id.into(), household.into(), resident.into(), kind.code().into(), day(since), Val::NullS, note.into()]);
    let records: [(R, Option<i64>, &str); 2] = match kind {
        SpecialKind::Elderly80 => [(R::Allowance, Some(10_000), "高龄津贴（80—89周岁每月100元）"), (R::Visit, None, "网格员上门走访，老人身体状况良好")],
        SpecialKind::TekunElderly => [(R::Allowance, Some(70_000), "特困人员基本生活费"), (R::Visit, None, "走访慰问，送去米面油")],
        SpecialKind::LeftBehindChild => [(R::Visit, None, "网格员和志愿者上门看望，了解学习生活情况"), (R::Visit, None, "开展“代理家长”陪伴活动")],
        SpecialKind::MigrantChild => [(R::Visit, None, "协助办理入学手续"), (R::Change, None, "已在本地学校正常就读")],
        SpecialKind::NewEmployment => [(R::Report, None, "作为信息报送员报送小区安全隐患一条"), (R::Visit, None, "邀请参加新就业群体座谈会")],
    };
    let span = (input.last - since.max(input.first)).num_days().max(0) as u64;
    let mut days: Vec<NaiveDate> = (0..2).map(|_| since.max(input.first) + Days::new(rng.gen_range(0..=span))).collect();
    days.sort();
    for ((kind, amount, note), on) in records.into_iter().zip(days) {
        let rid = t[SPECIAL_RECORDS].id();
        let at = china::at(on, rng.gen_range(9..17), rng.gen_range(0..60), 0).min(input.now);
        t[SPECIAL_RECORDS].row([rid.into(), id.into(), kind.code().into(), day(on), amount.into(), note.into(), Val::NullI, at.into()]);
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

fn pick_weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|x| x.1).sum();
    let mut r = rng.gen_range(0..total);
    for (v, w) in items {
        if r < *w {
            return *v;
        }
        r -= w;
    }
    items[items.len() - 1].0
}

/// A day of the window, weekdays about twice as likely as weekend days.
fn pick_day(rng: &mut ChaCha8Rng, first: NaiveDate, last: NaiveDate) -> NaiveDate {
    let span = (last - first).num_days().max(0) as u64;
    loop {
        let d = first + Days::new(rng.gen_range(0..=span));
        if d.weekday().num_days_from_monday() < 5 || rng.gen_bool(0.45) {
            return d;
        }
    }
}

fn plus(d: NaiveDate, lo: u64, hi: u64, rng: &mut ChaCha8Rng) -> NaiveDate {
    d + Days::new(rng.gen_range(lo..=hi))
}

/// The first working day on or after `d` (staff act on working days).
fn workday(cal: &rr::Calendar, mut d: NaiveDate) -> NaiveDate {
    while !cal.is_working_day(d) {
        d = d + Days::new(1);
    }
    d
}

/// One recorded transition, of a request or a dispute.
#[derive(Default)]
struct Ev {
    action: &'static str,
    from: Option<&'static str>,
    to: &'static str,
    from_level: Option<&'static str>,
    to_level: Option<&'static str>,
    reason: Option<&'static str>,
    note: String,
    by: String,
    on: NaiveDate,
}

/// Unix times for a trail: the first at `first_at`, later ones that day a few minutes apart,
/// on a later day during office hours; never after `now`.
fn stamps(rng: &mut ChaCha8Rng, events: &[Ev], first_at: i64, now: i64) -> Vec<i64> {
    let mut out = Vec::with_capacity(events.len());
    let mut prev = first_at;
    for (i, e) in events.iter().enumerate() {
        let at = if i == 0 {
            first_at
        } else if e.on == events[i - 1].on {
            prev + rng.gen_range(300..2400)
        } else {
            china::at(e.on, rng.gen_range(8..18), rng.gen_range(0..60), rng.gen_range(0..60))
        };
        prev = at.min(now).max(prev);
        out.push(prev);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Requests

/// (text, public text) by category code; the public text names no one.
fn request_texts(category: &str) -> &'static [(&'static str, &'static str)] {
    match category {
        "sanitation" => &[
            ("小区垃圾桶满了没人清运，天热味道很大", "反映垃圾清运不及时"),
            ("村口排水沟堵了，一下雨就积水进院", "反映排水沟堵塞积水"),
            ("楼道里有人长期堆放杂物，堵了消防通道", "反映楼道杂物堆放"),
            ("路边电线杆上小广告太多，希望清理", "反映小广告需清理"),
            ("公厕卫生差，好几天没人打扫", "反映公厕保洁不到位"),
        ],
        "roads_facilities" => &[
            ("楼道灯坏了，晚上上下楼看不见", "反映楼道灯损坏"),
            ("小区充电桩不够用，飞线充电有隐患", "反映电动车充电设施不足"),
            ("村里主路有个大坑，骑电动车容易摔", "反映道路坑洼"),
            ("路灯不亮已经一个多星期了", "反映路灯不亮"),
            ("单元门禁坏了，陌生人随便进出", "反映单元门禁损坏"),
            ("健身器材螺丝松了，老人孩子用着危险", "反映健身器材松动"),
        ],
        "neighbour_dispute" => &[
            ("楼上每天很晚还在拖椅子、跺脚，影响休息", "反映邻里噪音问题"),
            ("邻居在公共过道养狗，粪便不清理", "反映邻居养犬扰民"),
            ("隔壁翻修房子把我家出路占了", "反映邻里通行纠纷"),
            ("楼上卫生间漏水到我家，协商不成", "反映楼上漏水纠纷"),
        ],
        "hardship_help" => &[
            ("家里老人瘫痪在床，子女在外打工，希望有人帮忙照看", "反映老人照护需求"),
            ("丈夫生病住院，孩子上学有困难", "反映因病致困家庭需要帮扶"),
            ("孤寡老人冬天取暖有困难", "反映困难老人取暖问题"),
            ("残疾人家里水管坏了，自己修不了", "反映残疾人家庭维修需求"),
        ],
        "micro_wish" => &[
            ("孩子想要一套课外读物", "留守儿童希望得到课外读物"),
            ("希望有人帮忙修一下家里的旧轮椅", "老人希望修理轮椅"),
            ("想要一个助听器", "高龄老人希望得到助听器"),
            ("孩子想要一个新书包和文具", "困难家庭儿童希望得到学习用品"),
            ("想学用智能手机挂号、视频通话", "老人希望学习使用智能手机"),
        ],
        "policy_inquiry" => &[
            ("想问一下城乡居民医保怎么续缴", "咨询医保缴费"),
            ("高龄津贴怎么申请，要带什么材料", "咨询高龄津贴申领"),
            ("孩子转学手续怎么办", "咨询子女入学政策"),
            ("老旧小区改造什么时候轮到我们楼", "咨询老旧小区改造安排"),
            ("养老保险补缴政策是怎样的", "咨询养老保险补缴"),
        ],
        _ => &[
            ("小区里流浪猫太多，希望想办法处理", "反映流浪动物问题"),
            ("希望组织一次义诊", "希望开展义诊活动"),
            ("广场舞音响声音太大", "反映广场舞噪音"),
            ("快递乱放，经常丢件", "反映快递收发问题"),
        ],
    }
}

fn fulfil_note(category: &str) -> &'static str {
    match category {
        "sanitation" => "已安排保洁人员清理完毕",
        "roads_facilities" => "已组织维修，恢复正常使用",
        "neighbour_dispute" => "经上门调解，双方达成一致",
        "hardship_help" => "已落实帮扶措施，安排志愿者定期上门",
        "micro_wish" => "心愿物品已送到群众手中",
        "policy_inquiry" => "已上门解答，并协助办理相关手续",
        _ => "已协调相关单位处理完毕",
    }
}

fn category_weight(code: &str) -> u32 {
    match code {
        "sanitation" => 20,
        "roads_facilities" => 22,
        "neighbour_dispute" => 10,
        "hardship_help" => 8,
        "micro_wish" => 15,
        "policy_inquiry" => 15,
        _ => 10,
    }
}

fn collector(source: rr::Source) -> &'static str {
    match source {
        rr::Source::DoorKnocking | rr::Source::GridWorker => "网格员",
        rr::Source::Online => "居民（网上提交）",
        rr::Source::WishBox => "微光心愿箱",
        rr::Source::Hotline => "热线受理员",
    }
}

/// A request's life so far, through `requests::rules::apply`.
struct RequestSim<'a> {
    rules: &'a rr::RequestRules,
    snap: rr::RequestSnapshot,
    today: NaiveDate,
    day: NaiveDate,
    stopped: bool,
    events: Vec<Ev>,
    /// The rating that closed it, if it was closed by a rating.
    rating: Option<rr::Rating>,
}

impl RequestSim<'_> {
    /// Applies `action` on `on` (or the last action's day, if later). Nothing happens once a
    /// step would fall after today.
    fn act(&mut self, action: rr::Action, on: NaiveDate, by: &str) -> AppResult<()> {
        let on = on.max(self.day);
        if self.stopped || on > self.today {
            self.stopped = true;
            return Ok(());
        }
        let t = rr::apply(self.rules, &self.snap, &action, on)
            .map_err(|r| anyhow::anyhow!("demo request script refused at {}: {}", action.kind().code(), r.message))?;
        self.events.push(Ev { action: t.action.code(), from: Some(t.from.code()), to: t.to.code(), note: t.note.clone(), by: by.to_string(), on, ..Ev::default() });
        self.rating = if t.to == rr::State::Closed { t.rating } else { None };
        self.snap = t.apply_to(&self.snap);
        self.day = on;
        Ok(())
    }
    fn state(&self) -> rr::State {
        self.snap.state
    }
}

/// Stuck requests and disputes are chosen among those created in the window's last this-many days.
const STUCK_WITHIN_DAYS: u64 = 120;

/// Where a stuck request stops.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stall {
    Published,
    Claimed,
    Arbitration,
}

struct Claimants<'a> {
    teams: &'a [(i64, String)],
    members: &'a [(i64, String)],
    partners: &'a [(i64, String)],
    town: &'a (i64, String),
}

impl Claimants<'_> {
    fn pick(&self, rng: &mut ChaCha8Rng) -> rr::Claimant {
        let r: f64 = rng.gen();
        let (kind, (id, name)) = if r < 0.15 && !self.members.is_empty() {
            (rr::ClaimantKind::Member, &self.members[rng.gen_range(0..self.members.len())])
        } else if r < 0.25 && !self.partners.is_empty() {
            (rr::ClaimantKind::Org, &self.partners[rng.gen_range(0..self.partners.len())])
        } else {
            (rr::ClaimantKind::VanguardTeam, &self.teams[rng.gen_range(0..self.teams.len())])
        };
        rr::Claimant { kind, id: *id, name: name.clone() }
    }
    fn town(&self) -> rr::Claimant {
        rr::Claimant { kind: rr::ClaimantKind::Org, id: self.town.0, name: self.town.1.clone() }
    }
}

/// The script of one request: most run the whole loop, a few are closed as duplicates, out of
/// scope or unresolvable, some are handed back (twice: 上级协调), some rated 不满意 and redone,
/// and stuck ones stop after dispatch. Returns the original of a duplicate.
fn request_script(rng: &mut ChaCha8Rng, sim: &mut RequestSim, c: &Claimants, org: &str, category: &str, stall: Option<Stall>, earlier: Option<i64>) -> AppResult<Option<i64>> {
    use rr::{Action as A, State as S};
    let cal = sim.rules.calendar.clone();
    let c0 = sim.day;
    let fate: f64 = rng.gen();
    if fate < 0.03 && stall.is_none() {
        if let Some(of) = earlier {
            sim.act(A::CloseDuplicate { of, reason: "与此前诉求反映的是同一问题".into() }, workday(&cal, plus(c0, 0, 2, rng)), org)?;
            return Ok(Some(of));
        }
    }
    if fate < 0.05 && stall.is_none() {
        let reason = ["属商品房质量问题，已告知通过法律途径解决", "属市场监管部门职责，已告知投诉渠道", "属个人民事事务，已做好解释"][rng.gen_range(0..3)];
        sim.act(A::CloseOutOfScope { reason: reason.into() }, workday(&cal, plus(c0, 0, 3, rng)), org)?;
        return Ok(None);
    }
    sim.act(A::Verify, workday(&cal, plus(c0, 0, 2, rng)), org)?;
    sim.act(A::Publish, workday(&cal, plus(sim.day, 0, 1, rng)), org)?;
    if stall == Some(Stall::Published) {
        return Ok(None);
    }
    let mut claimant = c.pick(rng);
    sim.act(A::Claim { claimant: claimant.clone() }, plus(sim.day, 0, 3, rng), &claimant.public_name())?;
    if fate < 0.055 && stall.is_none() {
        sim.act(A::CloseUnresolvable { reason: "涉及产权争议，暂不具备办理条件".into() }, workday(&cal, plus(sim.day, 2, 6, rng)), org)?;
        return Ok(None);
    }
    let releases = match (stall, rng.gen::<f64>()) {
        (Some(Stall::Arbitration), _) => 2,
        (_, r) if r < 0.015 => 2,
        (_, r) if r < 0.075 => 1,
        _ => 0,
    };
    for _ in 0..releases {
        let reason = ["人手不足，无法按期办理", "需专业维修，超出本队伍能力"][rng.gen_range(0..2)];
        sim.act(A::Release { reason: reason.into() }, plus(sim.day, 1, 3, rng), &claimant.public_name())?;
        match sim.state() {
            S::Published => {
                claimant = c.pick(rng);
                sim.act(A::Claim { claimant: claimant.clone() }, plus(sim.day, 0, 2, rng), &claimant.public_name())?;
            }
            S::Arbitration if stall != Some(Stall::Arbitration) => {
                claimant = c.town();
                sim.act(A::Assign { claimant: claimant.clone() }, workday(&cal, plus(sim.day, 1, 4, rng)), &c.town.1)?;
            }
            _ => {}
        }
    }
    if stall.is_some() || sim.stopped {
        return Ok(None);
    }
    for round in 0..2 {
        let due = sim.snap.deadline(&cal).unwrap_or(sim.day);
        let on = if rng.gen_bool(0.08) {
            plus(due, 1, 8, rng)
        } else {
            let room = (due - sim.day).num_days().max(0) as u64;
            plus(sim.day, room.min(1), room.max(1), rng)
        };
        sim.act(A::Fulfil { note: fulfil_note(category).into() }, on, &claimant.public_name())?;
        if rng.gen_bool(0.85) {
            let rating = if round == 0 {
                pick_weighted(rng, &[(rr::Rating::Satisfied, 85), (rr::Rating::Basic, 12), (rr::Rating::Unsatisfied, 3)])
            } else {
                pick_weighted(rng, &[(rr::Rating::Satisfied, 55), (rr::Rating::Basic, 35), (rr::Rating::Unsatisfied, 10)])
            };
            sim.act(A::Rate { rating, comment: String::new() }, plus(sim.day, 0, 6, rng), "居民")?;
            if sim.state() != S::Claimed {
                break;
            }
        } else {
            let wait = u64::from(sim.rules.feedback_wait_days);
            sim.act(A::CloseNoFeedback, workday(&cal, plus(sim.day, wait, wait + 3, rng)), org)?;
            break;
        }
    }
    Ok(None)
}

fn requests(rng: &mut ChaCha8Rng, t: &mut [Table], input: &Input, households: &[Household], teams: &[Vec<(i64, String)>]) -> AppResult<usize> {
    let rules = rr::RequestRules::default();
    let cats: Vec<(usize, u32)> = rules.categories.iter().enumerate().map(|(i, c)| (i, category_weight(&c.code))).collect();
    // Plans first, then ids in the order of creation.
    let mut plans: Vec<(NaiveDate, usize, usize)> = (0..input.scale.requests)
        .map(|_| (pick_day(rng, input.first, input.last), rng.gen_range(0..households.len()), pick_weighted(rng, &cats)))
        .collect();
    plans.sort_by_key(|p| p.0);
    let mut code_rng = ChaCha8Rng::seed_from_u64(input.seed ^ (input.town.0 as u64).wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0x0074_7261_636b);
    let mut digests = HashSet::with_capacity(plans.len());
    let mut last_of_place: Vec<Option<i64>> = vec![None; input.places.len()];
    for (i, (created, hi, ci)) in plans.into_iter().enumerate() {
        let h = &households[hi];
        let place = &input.places[h.place];
        let cat = &rules.categories[ci];
        let source = if cat.code == "micro_wish" {
            pick_weighted(rng, &[(rr::Source::WishBox, 60), (rr::Source::DoorKnocking, 30), (rr::Source::Online, 10)])
        } else {
            pick_weighted(rng, &[(rr::Source::DoorKnocking, 25), (rr::Source::GridWorker, 35), (rr::Source::Online, 15), (rr::Source::WishBox, 5), (rr::Source::Hotline, 20)])
        };
        let texts = request_texts(&cat.code);
        let (text, public_text) = texts[rng.gen_range(0..texts.len())];
        let anonymous = matches!(source, rr::Source::Online | rr::Source::Hotline) && rng.gen_bool(0.3);
        let contact_name = if anonymous { "" } else { h.head.as_str() };
        let contact_phone = if anonymous || rng.gen_bool(0.4) { None } else { h.phone.clone() };
        let id = t[REQUESTS].id();
        // One in 25 of the last 120 days' requests gets stuck after dispatch.
        let stuck = i % 25 == 17 && created + Days::new(STUCK_WITHIN_DAYS) > input.last;
        let stall = stuck.then(|| [Stall::Published, Stall::Claimed, Stall::Claimed, Stall::Arbitration][rng.gen_range(0..4)]);
        let mut sim = RequestSim { rules: &rules, snap: rr::RequestSnapshot::new(cat.expected_days), today: input.today, day: created, stopped: false, events: Vec::new(), rating: None };
        sim.events.push(Ev {
            action: "collect",
            to: rr::State::Collected.code(),
            note: format!("来源：{}；{}", source.label(), rr::public_status_note(rr::State::Collected, None)),
            by: collector(source).into(),
            on: created,
            ..Ev::default()
        });
        let claimants = Claimants { teams: &teams[h.place], members: &input.members, partners: &input.partners, town: &input.town };
        let duplicate_of = request_script(rng, &mut sim, &claimants, &place.name, &cat.code, stall, last_of_place[h.place])?;
        last_of_place[h.place] = Some(id);

        let created_at = china::at(created, rng.gen_range(8..20), rng.gen_range(0..60), rng.gen_range(0..60)).min(input.now);
        let ats = stamps(rng, &sim.events, created_at, input.now);
        for (e, at) in sim.events.iter().zip(&ats) {
            let eid = t[REQUEST_EVENTS].id();
            t[REQUEST_EVENTS].row([eid.into(), id.into(), e.action.into(), opt_str(e.from), e.to.into(), e.note.clone().into(), Val::NullI, e.by.clone().into(), day(e.on), (*at).into()]);
        }
        let snap = &sim.snap;
        let state = snap.state;
        let code = loop {
            let code = rr::TrackingCode::generate_with(&mut code_rng).digest(&input.tracking_key);
            if digests.insert(code.clone()) {
                break code;
            }
        };
        let claimant = snap.claimant.as_ref();
        let owner = if state == rr::State::Arbitration { input.town.0 } else { place.id };
        t[REQUESTS].row([
            id.into(),
            place.id.into(),
            place.path.clone().into(),
            owner.into(),
            h.micro.into(),
            (!anonymous).then_some(h.id).into(),
            cat.kind.code().into(),
            source.code().into(),
            cat.code.clone().into(),
            text.into(),
            public_text.into(),
            contact_name.into(),
            contact_phone.into(),
            state.code().into(),
            i64::from(state.class() == rr::StateClass::Open).into(),
            i64::from(cat.expected_days).into(),
            i64::from(snap.handbacks).into(),
            i64::from(snap.unsatisfied).into(),
            opt_str(claimant.map(|c| c.kind.code())),
            claimant.map(|c| c.id).into(),
            claimant.map(|c| c.name.clone()).into(),
            opt_day(snap.dispatched_on),
            opt_day(snap.deadline(&rules.calendar)),
            opt_day(snap.fulfilled_on),
            opt_day(snap.closed_on),
            opt_str(sim.rating.map(|r| r.code())),
            duplicate_of.filter(|_| state == rr::State::ClosedDuplicate).into(),
            code.into(),
            Val::NullS,
            day(created),
            created_at.into(),
            ats.last().copied().unwrap_or(created_at).into(),
            0i64.into(),
        ]);
    }
    Ok(t[REQUESTS].rows())
}

// ---------------------------------------------------------------------------------------------
// Disputes

fn dispute_summary(c: dr::Category) -> &'static [&'static str] {
    use dr::Category as C;
    match c {
        C::Family => &["夫妻因家庭琐事争吵，一方提出离婚", "子女之间对老人赡养费分担有分歧", "兄弟之间因老宅分割产生矛盾"],
        C::Neighbour => &["相邻两户因院墙界线发生争执", "楼上楼下因漏水赔偿发生纠纷", "邻居之间因排水问题发生争吵"],
        C::Land => &["两户村民因承包地边界发生争议", "土地流转租金未按期支付引发纠纷", "林地权属存在争议"],
        C::Labour => &["务工人员被拖欠工资", "工地受伤后赔偿问题协商不成"],
        C::Property => &["业主与物业公司因物业费和服务质量发生纠纷", "小区停车位使用引发业主之间矛盾"],
        C::Other => &["交通事故赔偿协商不成", "买卖货款迟迟未付引发纠纷"],
    }
}

fn referral(c: dr::Category) -> dr::Referral {
    match c {
        dr::Category::Labour => dr::Referral::Arbitration,
        dr::Category::Land => dr::Referral::Administrative,
        _ => dr::Referral::Judicial,
    }
}

fn dispute_action(a: &dr::Action) -> &'static str {
    match a {
        dr::Action::StartMediation => "start_mediation",
        dr::Action::RecordMediation { .. } => "record_mediation",
        dr::Action::Resolve { .. } => "resolve",
        dr::Action::Fail { .. } => "fail",
        dr::Action::Withdraw { .. } => "withdraw",
        dr::Action::Escalate { .. } => "escalate",
        dr::Action::UpgradeRisk { .. } => "upgrade_risk",
        dr::Action::AssignTeam { .. } => "assign_team",
    }
}

/// A dispute's life so far, through `disputes::rules::apply`.
struct DisputeSim<'a> {
    rules: &'a dr::DisputeRules,
    case: dr::CaseSnapshot,
    today: NaiveDate,
    day: NaiveDate,
    stopped: bool,
    events: Vec<Ev>,
}

impl DisputeSim<'_> {
    fn act(&mut self, action: dr::Action, on: NaiveDate) -> AppResult<()> {
        let on = on.max(self.day);
        if self.stopped || on > self.today {
            self.stopped = true;
            return Ok(());
        }
        let t = dr::apply(self.rules, &self.case, &action, on).map_err(|r| anyhow::anyhow!("demo dispute script refused at {}: {}", dispute_action(&action), r.message))?;
        let note = match &t.record {
            Some(r) => format!("{}记录：{r}", t.explanation),
            None => t.explanation.clone(),
        };
        let esc = t.escalation.as_ref();
        self.events.push(Ev {
            action: dispute_action(&action),
            from: Some(t.from_state.code()),
            to: t.case.state.code(),
            from_level: esc.map(|e| e.from.code()),
            to_level: esc.map(|e| e.to.code()),
            reason: esc.map(|e| e.reason.code()),
            note,
            on,
            ..Ev::default()
        });
        self.case = t.case;
        self.day = on;
        Ok(())
    }
    fn deadline(&self) -> NaiveDate {
        dr::deadline(self.rules, &self.case)
    }
}

const MEDIATION_NOTES: &[&str] = &[
    "调解员分别与双方当事人谈话，了解各自诉求",
    "组织双方面对面协商，初步达成意向",
    "邀请老党员、乡贤参与调解，做通双方思想工作",
    "实地查看现场，核实有关情况",
];
const AGREEMENTS: &[&str] = &["双方达成调解协议，当场履行完毕", "双方签订人民调解协议书，约定分期履行", "双方互谅互让，握手言和"];

/// The script of one dispute: screened, mediated and mostly resolved at its first level; some
/// escalated once (on the mediator's request or after the time limit), a few failed or
/// withdrawn; stuck ones stay open, escalated once if their first time limit has passed.
fn dispute_script(rng: &mut ChaCha8Rng, sim: &mut DisputeSim, stalled: bool) -> AppResult<()> {
    use dr::Action as A;
    let opened = sim.day;
    let category = sim.case.category;
    let outcome = pick_weighted(rng, &[(dr::State::Resolved, 89), (dr::State::Failed, 6), (dr::State::Withdrawn, 5)]);
    if !stalled && outcome != dr::State::Resolved && rng.gen_bool(0.3) {
        // At screening: a party refuses mediation, or the parties settle by themselves.
        let on = plus(opened, 0, 3, rng);
        if outcome == dr::State::Failed {
            sim.act(A::Fail { note: "一方当事人明确拒绝调解".into(), referral: referral(category) }, on)?;
        } else {
            sim.act(A::Withdraw { reason: "双方已自行和解，申请撤回".into() }, on)?;
        }
        return Ok(());
    }
    sim.act(A::StartMediation, plus(opened, 0, 2, rng))?;
    for _ in 0..rng.gen_range(1..=2) {
        sim.act(A::RecordMediation { note: MEDIATION_NOTES[rng.gen_range(0..MEDIATION_NOTES.len())].into() }, plus(sim.day, 1, 2, rng))?;
    }
    let can_escalate = sim.rules.next_level(sim.case.level).is_some();
    let escalate = can_escalate && rng.gen_bool(if sim.case.level == dr::Level::Village { 0.10 } else { 0.03 });
    if escalate {
        if rng.gen_bool(0.6) {
            let note = "涉及金额较大、当事人情绪激动，本级难以调处，申请提级";
            sim.act(A::Escalate { reason: dr::EscalationReason::MediatorRequest, note: note.into() }, plus(sim.day, 1, 2, rng))?;
        } else {
            let due = sim.deadline();
            sim.act(A::Escalate { reason: dr::EscalationReason::TimeLimit, note: String::new() }, plus(due, 1, 2, rng))?;
        }
        sim.act(A::RecordMediation { note: "上级调委会接手，重新组织双方调解".into() }, plus(sim.day, 1, 2, rng))?;
    }
    if stalled {
        if !escalate && can_escalate {
            let due = sim.deadline();
            sim.act(A::Escalate { reason: dr::EscalationReason::TimeLimit, note: String::new() }, due + Days::new(1))?;
        }
        return Ok(());
    }
    let on = plus(sim.day, 1, 3, rng);
    match outcome {
        dr::State::Resolved => sim.act(A::Resolve { agreement: AGREEMENTS[rng.gen_range(0..AGREEMENTS.len())].into() }, on),
        dr::State::Failed => sim.act(A::Fail { note: "双方分歧较大，经多次调解未能达成协议".into(), referral: referral(category) }, on),
        _ => sim.act(A::Withdraw { reason: "当事人表示自行协商解决，申请撤回".into() }, on),
    }
}

fn disputes(rng: &mut ChaCha8Rng, t: &mut [Table], input: &Input, households: &[Household]) -> AppResult<usize> {
    use dr::{Category as C, Risk};
    let rules = dr::DisputeRules::default();
    let mut plans: Vec<(NaiveDate, usize)> = (0..input.scale.disputes).map(|_| (pick_day(rng, input.first, input.last), rng.gen_range(0..households.len()))).collect();
    plans.sort_by_key(|p| p.0);
    for (i, (opened, hi)) in plans.into_iter().enumerate() {
        let h = &households[hi];
        let place = &input.places[h.place];
        let property = if place.community { 20 } else { 3 };
        let land = if place.community { 2 } else { 20 };
        let category = pick_weighted(rng, &[(C::Family, 22), (C::Neighbour, 30), (C::Land, land), (C::Labour, 10), (C::Property, property), (C::Other, 10)]);
        let risk = pick_weighted(rng, &[(Risk::General, 85), (Risk::Serious, 12), (Risk::Major, 3)]);
        let summaries = dispute_summary(category);
        let summary = summaries[rng.gen_range(0..summaries.len())];
        let id = t[DISPUTES].id();
        let case = dr::CaseSnapshot::new(&rules, id, category, risk, opened);
        let mut sim = DisputeSim { rules: &rules, case, today: input.today, day: opened, stopped: false, events: Vec::new() };
        sim.events.push(Ev {
            action: "screen",
            to: dr::State::Screened.code(),
            to_level: Some(sim.case.level.code()),
            note: format!("网格员排查登记：{summary}（{category}·{risk}风险），由{}首办", sim.case.level),
            on: opened,
            ..Ev::default()
        });
        if rules.team_required(risk) {
            let mut members = Vec::new();
            for role in &rules.five_for_one_roles {
                let male = rng.gen_bool(0.7);
                members.push(dr::TeamMember { role: role.clone(), name: person_name(rng, male) });
            }
            for m in &members {
                t[DISPUTE_TEAM].row([id.into(), m.role.clone().into(), m.name.clone().into()]);
            }
            sim.act(dr::Action::AssignTeam { members }, opened)?;
        }
        dispute_script(rng, &mut sim, i % 12 == 7 && opened + Days::new(STUCK_WITHIN_DAYS) > input.last)?;

        for (k, role) in ["申请人", "被申请人"].into_iter().enumerate() {
            let pid = t[PARTIES].id();
            let (name, ph) = if k == 0 {
                (h.head.clone(), h.phone.clone())
            } else {
                let male = rng.gen_bool(0.6);
                (person_name(rng, male), Some(phone(rng)))
            };
            t[PARTIES].row([pid.into(), id.into(), name.into(), ph.into(), role.into()]);
        }
        let created_at = china::at(opened, rng.gen_range(8..19), rng.gen_range(0..60), rng.gen_range(0..60)).min(input.now);
        let ats = stamps(rng, &sim.events, created_at, input.now);
        for (e, at) in sim.events.iter().zip(&ats) {
            let eid = t[DISPUTE_EVENTS].id();
            t[DISPUTE_EVENTS].row([
                eid.into(),
                id.into(),
                e.action.into(),
                opt_str(e.from),
                e.to.into(),
                opt_str(e.from_level),
                opt_str(e.to_level),
                opt_str(e.reason),
                e.note.clone().into(),
                Val::NullI,
                day(e.on),
                (*at).into(),
            ]);
        }
        let c = &sim.case;
        t[DISPUTES].row([
            id.into(),
            place.id.into(),
            place.path.clone().into(),
            h.full.into(),
            category.code().into(),
            risk.code().into(),
            c.level.code().into(),
            day(c.level_since),
            c.state.code().into(),
            i64::from(c.state.is_open()).into(),
            summary.into(),
            opt_str((c.state == dr::State::Failed).then(|| referral(category).code())),
            day(opened),
            opt_day(c.closed_on),
            day(sim.deadline()),
            Val::NullI,
            created_at.into(),
            ats.last().copied().unwrap_or(created_at).into(),
            0i64.into(),
        ]);
    }
    Ok(t[DISPUTES].rows())
}
