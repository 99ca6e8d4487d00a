//! Bounded spreadsheets over real HTTP, on SQLite and PostgreSQL: a zip-bomb .xlsx (declared
//! sizes honest, or rewritten to look small) and CSV files with an over-long field are refused
//! by the member, org and household imports with a stable code and a Chinese message, and
//! nothing is written.

mod bomb;
mod common;

use common::id;
use serde_json::{json, Value};
use yinghuo::members::sheets::{member_headers, org_headers};

const HOUSEHOLD_HEADER: &str = "网格编码,楼栋,门牌地址,姓名,与户主关系,性别,公民身份号码,出生日期,联系电话,特殊群体";

async fn count(app: &common::TestApp, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&app.db.pool).await.unwrap()
}

async fn upload(app: &common::TestApp, token: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
    let r = app.client.post(format!("{}{path}", app.url)).bearer_auth(token).body(body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The import was refused as a whole with `code` on its first listed row; returns that row.
fn refused(s: u16, e: &Value, code: &str) -> Value {
    assert_eq!((s, e["error"]["code"].as_str()), (422, Some("import_rejected")), "{e}");
    let row = e["error"]["rows"][0].clone();
    assert_eq!(row["code"].as_str(), Some(code), "{e}");
    row
}

both_backends!(hostile_spreadsheets_are_refused, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let village = app.tree.village_a.clone();
    let (s, g) = app.post(&t, "/api/v1/grids", json!({"org_id": village.id, "kind": "full", "code": "WG01", "name": "一网格"})).await;
    assert_eq!(s, 201, "{g}");
    let members = "/api/v1/import/members?filename=m.xlsx";
    let orgs = "/api/v1/import/orgs?filename=o.xlsx";
    let households = format!("/api/v1/orgs/{}/households/import?filename=h.xlsx", village.id);
    let before = (count(&app, "members").await, count(&app, "orgs").await, count(&app, "households").await, count(&app, "residents").await);

    // 512 MiB of shared strings in a file of about 500 KB, under each import's headers.
    let hh: Vec<&str> = HOUSEHOLD_HEADER.split(',').collect();
    for (path, headers) in [(members, member_headers()), (orgs, org_headers()), (households.as_str(), hh)] {
        let bytes = bomb::bomb_xlsx(&headers, 512);
        assert!(bytes.len() < 1 << 20, "{}", bytes.len());
        let (s, e) = upload(&app, &t, path, bytes).await;
        let row = refused(s, &e, "spreadsheet_too_large");
        assert_eq!(row["row"], 0, "{e}");
        let m = row["message"].as_str().unwrap();
        assert!(m.contains("MB") && m.contains("分成几个较小的文件") && m.contains("CSV"), "{m}");
    }
    // The same bomb claiming a 1 KB shared-string table: caught while inflating.
    let lying = bomb::declare_size(bomb::bomb_xlsx(&member_headers(), 512), "xl/sharedStrings.xml", 1000);
    let (s, e) = upload(&app, &t, members, lying).await;
    let row = refused(s, &e, "spreadsheet_too_large");
    assert!(row["message"].as_str().unwrap().contains("更大"), "{e}");

    // A CSV field over 2,000 characters: that row and column, with the count.
    let long = "长".repeat(2_001);
    let m_csv = format!(
        "{}\nV001,王一,{},,,汉族,高中,,2000-07-01,2001-07-01,正式党员,,,,,{long}\n",
        member_headers().join(","),
        id("1970-01-02", 11)
    );
    let (s, e) = upload(&app, &t, "/api/v1/import/members?filename=m.csv", m_csv.into_bytes()).await;
    let row = refused(s, &e, "cell_too_long");
    assert_eq!((row["row"].as_i64(), row["column"].as_str()), (Some(2), Some("工作单位")), "{e}");
    assert!(row["message"].as_str().unwrap().contains("2001"), "{e}");
    let o_csv = format!("党组织编码,上级党组织编码,党组织名称,党组织类别,所属领域\nV010,T001,{long},党支部,农村\n");
    let (s, e) = upload(&app, &t, "/api/v1/import/orgs?filename=o.csv", o_csv.into_bytes()).await;
    let row = refused(s, &e, "cell_too_long");
    assert_eq!(row["column"].as_str(), Some("党组织名称"), "{e}");
    let h_csv = format!("{HOUSEHOLD_HEADER}\nWG01,,{long},王大山,户主,男,,1950-01-01,,\n");
    let path = format!("/api/v1/orgs/{}/households/import?filename=h.csv", village.id);
    let (s, e) = upload(&app, &t, &path, h_csv.into_bytes()).await;
    let row = refused(s, &e, "cell_too_long");
    assert_eq!((row["row"].as_i64(), row["column"].as_str()), (Some(2), Some("门牌地址")), "{e}");

    // A quote never closed: one 3 MB record, refused once it passes the row budget.
    let mut runaway = format!("{HOUSEHOLD_HEADER}\nWG01,,\"东关村").into_bytes();
    runaway.extend(std::iter::repeat_n(b'x', 3 << 20));
    let (s, e) = upload(&app, &t, &path, runaway).await;
    refused(s, &e, "row_too_long");

    let after = (count(&app, "members").await, count(&app, "orgs").await, count(&app, "households").await, count(&app, "residents").await);
    assert_eq!(after, before, "nothing written");

    // An ordinary file still imports.
    let ok = format!("{HOUSEHOLD_HEADER}\nWG01,,东关村一组1号,王大山,户主,男,,1950-01-01,,\n");
    let (s, v) = upload(&app, &t, &path, ok.into_bytes()).await;
    assert_eq!(s, 200, "{v}");
});
