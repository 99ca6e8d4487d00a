//! Household import over real HTTP, on SQLite and PostgreSQL: a good CSV, a file with every
//! kind of mistake (nothing written), an .xlsx, scope, and the template.

mod common;

use common::id;
use serde_json::Value;
use yinghuo::auth::store::{actor_for_token, SessionKind};
use yinghuo::grids::store::{create_grid, GridInput};
use yinghuo::orgs::model::Org;
use yinghuo::write_tx;

const HEADER: &str = "网格编码,楼栋,门牌地址,姓名,与户主关系,性别,公民身份号码,出生日期,联系电话,特殊群体\n";

async fn count(app: &common::TestApp, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&app.db.pool).await.unwrap()
}

async fn upload(app: &common::TestApp, token: &str, org: &Org, filename: &str, body: Vec<u8>) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}/api/v1/orgs/{}/households/import?filename={filename}", app.url, org.id))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

both_backends!(households_import, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let actor = {
        let mut c = app.db.pool.acquire().await.unwrap();
        actor_for_token(&mut c, &t, SessionKind::Api).await.unwrap().unwrap()
    };
    for (org, code) in [(&app.tree.village_a, "WG01"), (&app.tree.village_a, "WG02"), (&app.tree.village_b, "WB01")] {
        let input = GridInput { org_id: org.id, kind: "full".into(), parent_grid_id: None, code: code.into(), name: format!("{code}网格"), worker_user_id: None };
        write_tx!(&app.db, |tx| create_grid(&mut tx, &actor, &input).await).unwrap();
    }
    let village_a = app.tree.village_a.clone();

    // 3 households, 7 residents, one special group; heads marked 户主 or 本人.
    let good = format!(
        "{HEADER}\
         WG01,1号楼,东关村一组1号,王大山,户主,,{},,13900000001,80岁以上高龄老人\n\
         WG01,1号楼,东关村一组1号,李桂花,配偶,女,,1942-05-06,,\n\
         WG01,1号楼,东关村一组1号,王小明,孙子,男,,2015-09-01,,\n\
         WG01,,东关村一组2号,赵刚,本人,,{},,0351-1234567,\n\
         WG01,,东关村一组2号,钱芳,妻,,{},,,\n\
         WG02,,东关村二组8号,孙丽,户主,,{},,137 0000 0000,\n\
         WG02,,东关村二组8号,周洋,子,男,,2012-12-12,,\n",
        id("1940-03-01", 11),
        id("1975-01-01", 13),
        id("1976-02-02", 14),
        id("1988-08-08", 22)
    );
    let (s, v) = upload(&app, &t, &village_a, "h.csv", good.into_bytes()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["rows"].as_i64(), v["households"].as_i64(), v["residents"].as_i64(), v["special"].as_i64()), (Some(7), Some(3), Some(7), Some(1)), "{v}");
    assert_eq!((count(&app, "households").await, count(&app, "residents").await, count(&app, "special_groups").await, count(&app, "buildings").await), (3, 7, 1, 1));
    let (org_id, head, phone, building): (i64, String, Option<String>, Option<i64>) =
        sqlx::query_as("SELECT org_id, head_name, phone, building_id FROM households WHERE address = '东关村二组8号'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!((org_id, head.as_str(), phone.as_deref(), building), (village_a.id, "孙丽", Some("13700000000"), None));
    let (kind, resident): (String, String) = sqlx::query_as("SELECT s.kind, r.name FROM special_groups s JOIN residents r ON r.id = s.resident_id").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!((kind.as_str(), resident.as_str()), ("elderly_80", "王大山"));
    let (relation, gender): (String, String) = sqlx::query_as("SELECT relation, gender FROM residents WHERE name = '赵刚'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!((relation.as_str(), gender.as_str()), ("户主", "male"), "本人 is stored as 户主; gender from the ID number");
    let audits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'household.import'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(audits, 1);

    // Every kind of mistake at once: all listed, nothing written.
    let mut bad_id = id("1960-01-02", 21);
    let last = if bad_id.ends_with('1') { "2" } else { "1" };
    bad_id.replace_range(17.., last);
    let broken = format!(
        "{HEADER}\
         WG01,,东关村三组1号,钱坏号,户主,,{bad_id},,,\n\
         WG01,,东关村三组2号,孙无主,子,男,,,,\n\
         WG01,,东关村一组1号,李重复,户主,男,,,,\n\
         WG99,,东关村三组3号,周无网,户主,男,,,,\n\
         WB01,,西关村1号,吴越界,户主,男,,,,\n\
         WG02,,东关村三组4号,郑电话,户主,男,,,12345,\n\
         WG02,,东关村三组5号,冯正常,户主,男,,,,\n"
    );
    let before = (count(&app, "households").await, count(&app, "residents").await);
    let (s, e) = upload(&app, &t, &village_a, "broken.csv", broken.into_bytes()).await;
    assert_eq!((s, e["error"]["code"].as_str()), (422, Some("import_rejected")), "{e}");
    let rows: Vec<(i64, String, String)> = e["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_i64().unwrap(), r["column"].as_str().unwrap().to_string(), r["message"].as_str().unwrap().to_string()))
        .collect();
    let at: Vec<(i64, &str)> = rows.iter().map(|(r, c, _)| (*r, c.as_str())).collect();
    assert_eq!(at, vec![(2, "公民身份号码"), (3, "与户主关系"), (4, "门牌地址"), (5, "网格编码"), (6, "网格编码"), (7, "联系电话")], "{e}");
    assert!(rows[0].2.contains("校验位"), "{}", rows[0].2);
    assert!(rows[2].2.contains("已存在，请勿重复导入"), "{}", rows[2].2);
    assert!(rows[3].2.contains("不存在") && rows[4].2.contains("不存在"), "another village's grid looks missing");
    assert_eq!((count(&app, "households").await, count(&app, "residents").await), before, "nothing written");

    // Someone without the village in scope: the org is not there for them.
    let sec_b = app.token("sec_b").await;
    let (s, _) = upload(&app, &sec_b, &village_a, "h.csv", format!("{HEADER}WG02,,东关村四组1号,陈一,户主,男,,,,\n").into_bytes()).await;
    assert_eq!(s, 404);

    // An .xlsx from the village's branch secretary: a number-typed phone, a real date cell.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.trim_end().split(',').enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2016, 4, 5).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let chu = id("1970-07-07", 31);
    let rows = [
        ["WG02", "2号楼", "东关村二组9号", "褚平", "户主", "", chu.as_str(), "", "", "新就业群体"],
        ["WG02", "2号楼", "东关村二组9号", "褚乐", "女", "女", "", "", "", "留守儿童"],
    ];
    for (r, cells) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r, c as u16, *v).unwrap();
            }
        }
        if r == 1 {
            ws.write_number(r, 8, 13600000000.0).unwrap();
        } else {
            ws.write_datetime_with_format(r, 7, &date, &fmt).unwrap();
        }
    }
    let sec_a = app.token("sec_a").await;
    let (s, v) = upload(&app, &sec_a, &village_a, "h.xlsx", wb.save_to_buffer().unwrap()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["households"].as_i64(), v["residents"].as_i64(), v["special"].as_i64()), (Some(1), Some(2), Some(2)), "{v}");
    let (phone, building): (Option<String>, String) = sqlx::query_as("SELECT h.phone, b.name FROM households h JOIN buildings b ON b.id = h.building_id WHERE h.address = '东关村二组9号'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!((phone.as_deref(), building.as_str()), (Some("13600000000"), "2号楼"));
    let born: Option<String> = sqlx::query_scalar("SELECT birth_date FROM residents WHERE name = '褚乐'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(born.as_deref(), Some("2016-04-05"));
    assert_eq!(count(&app, "households").await, 4);

    // The template downloads, and as filled in it imports (its example grid is WG01).
    let r = app.client.get(format!("{}/api/v1/households/template.xlsx", app.url)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let template = r.bytes().await.unwrap().to_vec();
    assert!(template.starts_with(b"PK"));
    let (s, v) = upload(&app, &t, &village_a, "template.xlsx", template).await;
    assert_eq!((s, v["households"].as_i64()), (200, Some(1)), "{v}");
    let (_, doc) = app.get(&t, "/api/v1/openapi.json").await;
    assert!(doc["paths"]["/api/v1/orgs/{id}/households/import"].is_object());
});
