//! Demo service centers: every village and community of the county has its 党群服务中心 except
//! one in about fifty, checked each quarter over the past year (the latest check this year).
//! Most pass; about one in seven misses a standard or two (with the inspector's note), about one
//! in seventeen is over a signage limit, and earlier checks found a little more wrong than later
//! ones. The first centers' latest checks carry a small photo. Written in bulk (a province has
//! 20,000 villages: there only the latest check is written).

use chrono::{Datelike, Duration, NaiveDate};
use sqlx::Row as _;

use crate::centers::rules::{self, CenterKind, CenterRules, Item, Signage};
use crate::db::{Db, Val};
use crate::error::AppResult;

#[derive(Default)]
pub struct Loaded {
    pub centers: usize,
    pub checks: usize,
    pub photos: usize,
}

/// What an inspector writes when a standard is not met.
fn note_for(code: &str) -> &'static str {
    match code {
        "meeting_room" => "会议室堆放杂物，无法召开会议",
        "member_room" => "党员活动室被占作仓库",
        "service_hall" => "代办窗口无人值守",
        "party_affairs" => "党费收缴台账未在中心存放",
        "village_affairs" => "“四议两公开”记录不全",
        "public_services" => "社保业务仍需群众到镇上办理",
        "commerce" => "电商服务点已停业",
        "medical" => "卫生室距中心较远，未整合",
        "square" => "小广场被用作停车场",
        "drying_ground" => "晒粮场地面破损",
        "assembly_ground" => "大会场未硬化",
        "sports_ground" => "健身器材损坏未修",
        "open_board" | "rules_on_wall" => "公开栏内容超过一个季度未更新",
        "flag" => "党旗褪色未更换",
        "hours" => "开放时间和值班表未公示",
        "on_duty" => "检查时无人坐班",
        "accessible" => "无障碍坡道未建",
        "safety" => "灭火器过期",
        "tidy" => "功能室挪作他用",
        "venue" => "场所面积不足",
        "elderly_center" => "日间照料室未开放",
        "mediation_center" => "调解室与其他功能室混用",
        "signage_clean" => "仍有形式主义挂牌未清理",
        _ => "未达到标准要求，限期整改",
    }
}

/// The answers of check `k` (0 = the latest) of center `id`: which standards fail, the signage.
fn check_of(rules: &CenterRules, kind: CenterKind, id: i64, k: i64) -> (Vec<Item>, Signage) {
    let list = rules.standards(kind);
    let n = list.len() as i64;
    // Latest: one in seven misses one (one in 21 two); earlier checks miss one more each 3rd.
    let mut misses = if id % 7 == 3 { 1 + (id % 3 == 0) as i64 } else { 0 };
    if k > 0 && (id + k) % 3 == 0 {
        misses += 1;
    }
    let failing: Vec<i64> = (0..misses).map(|m| (id * 7 + m * 5 + k) % n).collect();
    let items = list
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let met = !failing.contains(&(i as i64));
            Item { code: s.code.clone(), title: s.title.clone(), met, note: if met { String::new() } else { note_for(&s.code).into() } }
        })
        .collect();
    let over = id % 17 == 5 && k == 0;
    let plaques = if over && id % 2 == 1 { 8 } else { 3 + id % 4 };
    let guide_signs = if over && id % 2 == 0 { 15 } else { 6 + (id + k) % 7 };
    (items, Signage { plaques, guide_signs, max_plaques: rules.max_plaques, max_guide_signs: rules.max_guide_signs })
}

pub async fn load(db: &Db) -> AppResult<Loaded> {
    let rules = CenterRules::default();
    let mut out = Loaded::default();
    let today = crate::db::today();
    let jan1 = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let now = crate::db::now_secs();
    let mut tx = db.begin_bulk().await?;
    let sql = format!(
        "INSERT INTO service_centers (org_id, org_path, kind, name, address, area_m2, by_name, created_at) \
         SELECT o.id, o.path, CASE WHEN o.domain = 'community' THEN 'community' ELSE 'village' END, \
         REPLACE(REPLACE(o.name, '党总支', ''), '党支部', '') || '党群服务中心', '', 150 + (o.id * 37) % 650, '乡镇党建办', $1 \
         FROM orgs o WHERE o.id % 53 <> 7 AND {}",
        crate::cadres::store::VILLAGE_WHERE
    );
    out.centers = sqlx::query(&sql).bind(now - 400 * 86_400).execute(&mut *tx).await?.rows_affected() as usize;
    let centers: Vec<(i64, i64, String, String)> = sqlx::query("SELECT id, org_id, org_path, kind FROM service_centers ORDER BY id")
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("org_id")?, r.try_get("org_path")?, r.try_get("kind")?)))
        .collect::<AppResult<_>>()?;
    let per_center: i64 = if centers.len() > 2_000 { 1 } else { 4 };
    let mut vals: Vec<Val> = Vec::new();
    for (id, org_id, path, kind) in &centers {
        let kind = CenterKind::parse(kind).unwrap_or(CenterKind::Village);
        let latest = (today - Duration::days(id % 25)).max(jan1);
        for k in 0..per_center {
            let (items, signage) = check_of(&rules, kind, *id, k);
            let verdict = rules::judge(&items, signage);
            let day = latest - Duration::days(91 * k);
            let note = if verdict.passed { "整体规范" } else { "限期一个月整改，整改后复查" };
            vals.extend([
                Val::I(*id),
                Val::I(*org_id),
                Val::S(path.clone()),
                Val::S(day.to_string()),
                Val::S("乡镇党建办".into()),
                Val::I(signage.plaques),
                Val::I(signage.guide_signs),
                Val::I(signage.max_plaques),
                Val::I(signage.max_guide_signs),
                Val::S(serde_json::to_string(&items).map_err(|e| crate::error::AppError::Internal(e.into()))?),
                Val::I(verdict.met as i64),
                Val::I(verdict.total as i64),
                Val::I(verdict.passed as i64),
                Val::S(note.into()),
                Val::I(now),
            ]);
            out.checks += 1;
        }
    }
    crate::db::insert_rows(
        &mut tx,
        "INSERT INTO center_checks (center_id, org_id, org_path, on_day, by_name, plaques, guide_signs, max_plaques, max_guide_signs, results, met, total, passed, note, created_at) VALUES ",
        15,
        &vals,
        200,
    )
    .await?;
    // A photo on the latest check of the first centers.
    let latest: Vec<(i64, i64, i64, String)> = sqlx::query(
        "SELECT k.id, k.center_id, k.org_id, k.org_path FROM center_checks k WHERE k.id = (SELECT k2.id FROM center_checks k2 WHERE k2.center_id = k.center_id ORDER BY k2.on_day DESC, k2.id DESC LIMIT 1) ORDER BY k.center_id LIMIT 12",
    )
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("center_id")?, r.try_get("org_id")?, r.try_get("org_path")?)))
    .collect::<AppResult<_>>()?;
    for (i, (check_id, center_id, org_id, path)) in latest.iter().enumerate() {
        let png = tiny_png(16, 12, [200 - (i as u8) * 10, 40 + (i as u8) * 15, 40]);
        let c = crate::files::check("中心外景.png", &png)?;
        sqlx::query("INSERT INTO center_photos (check_id, center_id, org_id, org_path, name, content_type, size, sha256, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(check_id)
            .bind(center_id)
            .bind(org_id)
            .bind(path)
            .bind(&c.name)
            .bind(c.content_type)
            .bind(png.len() as i64)
            .bind(&c.sha256)
            .bind(png)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        out.photos += 1;
    }
    tx.commit().await?;
    Ok(out)
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// A small, valid PNG of one colour with a lighter band (RGB, stored deflate blocks): a stand-in
/// for a photo of the center.
pub fn tiny_png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(((width * 3 + 1) * height) as usize);
    for y in 0..height {
        raw.push(0); // no filter
        for _ in 0..width {
            if y >= height / 3 && y < height * 2 / 3 {
                raw.extend([rgb[0].saturating_add(40), rgb[1].saturating_add(40), rgb[2].saturating_add(40)]);
            } else {
                raw.extend(rgb);
            }
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push((i + 1 == blocks.len()) as u8);
        let len = block.len() as u16;
        z.extend(len.to_le_bytes());
        z.extend((!len).to_le_bytes());
        z.extend(*block);
    }
    z.extend(adler32(&raw).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        png.extend(&body);
        png.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &z);
    chunk(b"IEND", &[]);
    png
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_is_well_formed() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        let p = tiny_png(4, 3, [10, 20, 30]);
        assert_eq!(crate::files::sniff("x.png", &p), Some("image/png"));
        assert_eq!(&p[p.len() - 8..p.len() - 4], b"IEND");
    }

    #[test]
    fn most_demo_checks_pass() {
        let r = CenterRules::default();
        let passed = (1..=700).filter(|id| rules::judge(&check_of(&r, CenterKind::Village, *id, 0).0, check_of(&r, CenterKind::Village, *id, 0).1).passed).count();
        assert!(passed > 450 && passed < 650, "{passed}");
    }
}
