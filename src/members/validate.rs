//! Turning raw input (an API body, a spreadsheet row) into a [`NewMember`] that is
//! valid, or into the list of every field that is wrong and how to fix it. Pure.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::id_card::IdCardNumber;
use super::model::{parse_posts, Education, Gender, MemberStatus, Post, ETHNICITIES};

/// Raw member fields, all optional text, as they arrive.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MemberInput {
    pub org_id: Option<i64>,
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub ethnicity: Option<String>,
    pub education: Option<String>,
    pub phone: Option<String>,
    pub joined_on: Option<String>,
    pub full_on: Option<String>,
    pub status: Option<String>,
    /// Comma-separated posts, codes or labels: 书记,委员
    pub posts: Option<String>,
    pub vanguard_post: Option<String>,
    pub responsibility_area: Option<String>,
    pub in_service: Option<bool>,
    pub report_org_id: Option<i64>,
    pub work_unit: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewMember {
    pub name: String,
    pub id_number: IdCardNumber,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub ethnicity: String,
    pub education: Education,
    pub phone: Option<String>,
    pub joined_on: NaiveDate,
    pub full_on: Option<NaiveDate>,
    pub status: MemberStatus,
    pub posts: Vec<Post>,
    pub vanguard_post: Option<String>,
    pub responsibility_area: Option<String>,
    pub in_service: bool,
    pub report_org_id: Option<i64>,
    pub work_unit: Option<String>,
}

/// One wrong field: which, what is wrong, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: &'static str,
    /// The column header / form label in Chinese.
    pub column: &'static str,
    pub message: String,
}

/// Column labels, named after the national member information system's fields.
pub const COLUMNS: &[(&str, &str)] = &[
    ("org_code", "所在党组织编码"),
    ("name", "姓名"),
    ("id_number", "公民身份号码"),
    ("gender", "性别"),
    ("birth_date", "出生日期"),
    ("ethnicity", "民族"),
    ("education", "学历"),
    ("phone", "联系电话"),
    ("joined_on", "入党日期"),
    ("full_on", "转为正式党员日期"),
    ("status", "人员类别"),
    ("posts", "党内职务"),
    ("vanguard_post", "先锋岗"),
    ("responsibility_area", "责任区"),
    ("in_service", "是否在职党员"),
    ("work_unit", "工作单位"),
];

pub fn column_label(field: &str) -> &'static str {
    COLUMNS.iter().find(|(f, _)| *f == field).map(|(_, l)| *l).unwrap_or("")
}

/// Parses 2024-03-01, 2024/3/1, 2024.3.1, 20240301 or 2024年3月1日.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(s, "%Y%m%d").ok();
    }
    let norm: String = s
        .replace(['/', '.', '年', '月'], "-")
        .trim_end_matches('日')
        .to_string();
    let head = norm.split([' ', 'T']).next().unwrap_or("");
    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The day something already happened, from a form field: required, readable, not after today
/// (China time). Errors name `field`.
pub fn past_day(field: &'static str, s: Option<&str>) -> Result<NaiveDate, crate::error::AppError> {
    use crate::error::AppError;
    let s = s.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| AppError::invalid_field("date_required", field, "请填写日期，如 2026-03-05"))?;
    let d = parse_date(s).ok_or_else(|| AppError::invalid_field("date_invalid", field, format!("无法识别的日期“{s}”，请写成 2026-03-05")))?;
    if d > crate::db::today() {
        return Err(AppError::invalid_field("date_in_future", field, format!("{d} 尚未到来：只能登记已经发生的事项")));
    }
    Ok(d)
}

/// A form's free text, trimmed (empty when absent), refused over `max` characters naming `label`.
pub fn short_text(field: &'static str, v: &Option<String>, max: usize, label: &str) -> Result<String, crate::error::AppError> {
    let s = v.as_deref().map(str::trim).unwrap_or("").to_string();
    if s.chars().count() > max {
        return Err(crate::error::AppError::invalid_field("too_long", field, format!("{label}不超过{max}字")));
    }
    Ok(s)
}

/// A date from a form or query, or today (China time) when left empty.
pub fn parse_day(s: Option<&str>) -> Result<NaiveDate, crate::error::AppError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(crate::db::today()),
        Some(s) => parse_date(s).ok_or_else(|| {
            crate::error::AppError::invalid_field("date_invalid", "date", format!("无法识别的日期“{s}”，请写成 2024-01-31"))
        }),
    }
}

/// Mobile (11 digits from 1) or landline with area code (0xxx-xxxxxxx).
pub fn valid_phone(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    (digits.len() == 11 && digits.starts_with('1')) || (digits.starts_with('0') && (10..=12).contains(&digits.len()))
}

/// Minimum age at joining: 《中国共产党章程》第一条 (年满十八岁).
pub const MIN_JOIN_AGE: i32 = 18;

pub fn validate(input: &MemberInput, today: NaiveDate) -> Result<NewMember, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut err = |field: &'static str, message: String| {
        errs.push(FieldError { field, column: column_label(field), message });
    };

    let name = match nonempty(&input.name) {
        Some(n) if n.chars().count() <= 30 && !n.chars().any(|c| c.is_ascii_digit()) => Some(n.to_string()),
        Some(_) => {
            err("name", "姓名不应含数字，且不超过30个字".into());
            None
        }
        None => {
            err("name", "姓名不能为空".into());
            None
        }
    };

    let id = match nonempty(&input.id_number) {
        Some(raw) => match IdCardNumber::parse(raw) {
            Ok(id) => Some(id),
            Err(e) => {
                err("id_number", format!("{e}"));
                None
            }
        },
        None => {
            err("id_number", "公民身份号码不能为空".into());
            None
        }
    };

    let gender = match nonempty(&input.gender) {
        Some(g) => match Gender::parse(g) {
            Some(g) => {
                if let Some(id) = &id {
                    if id.is_male() != (g == Gender::Male) {
                        err("gender", format!("性别“{}”与身份证号第17位所示性别不一致", g.label()));
                    }
                }
                Some(g)
            }
            None => {
                err("gender", format!("无效的性别“{g}”，请填写“男”或“女”"));
                None
            }
        },
        None => id.as_ref().map(|id| if id.is_male() { Gender::Male } else { Gender::Female }),
    };

    let birth_date = match nonempty(&input.birth_date) {
        Some(b) => match parse_date(b) {
            Some(d) => {
                if let Some(id) = &id {
                    if id.birth_date() != d {
                        err("birth_date", format!("出生日期 {d} 与身份证号中的 {} 不一致", id.birth_date()));
                    }
                }
                Some(d)
            }
            None => {
                err("birth_date", format!("无法识别的日期“{b}”，请写成 1980-01-31"));
                None
            }
        },
        None => id.as_ref().map(|id| id.birth_date()),
    };

    let ethnicity = match nonempty(&input.ethnicity) {
        None => Some("汉族".to_string()),
        Some(e) => {
            let with_suffix = if e.ends_with('族') { e.to_string() } else { format!("{e}族") };
            if ETHNICITIES.contains(&with_suffix.as_str()) {
                Some(with_suffix)
            } else {
                err("ethnicity", format!("无效的民族“{e}”，请填写56个民族之一，如“汉族”"));
                None
            }
        }
    };

    let education = match nonempty(&input.education) {
        Some(e) => Education::parse(e).or_else(|| {
            err("education", format!("无效的学历“{e}”，可选：{}", Education::labels()));
            None
        }),
        None => {
            err("education", format!("学历不能为空，可选：{}", Education::labels()));
            None
        }
    };

    let phone = match nonempty(&input.phone) {
        Some(p) if valid_phone(p) => Some(p.chars().filter(|c| *c != ' ').collect()),
        Some(p) => {
            err("phone", format!("无效的电话“{p}”，请填写11位手机号或带区号的固定电话"));
            None
        }
        None => None,
    };

    let joined_on = match nonempty(&input.joined_on) {
        Some(j) => match parse_date(j) {
            Some(d) if d > today => {
                err("joined_on", format!("入党日期 {d} 晚于今天"));
                None
            }
            Some(d) => {
                if let Some(b) = birth_date {
                    if age_on(b, d) < MIN_JOIN_AGE {
                        err("joined_on", format!("入党日期 {d} 时未满{MIN_JOIN_AGE}周岁（党章第一条），请核对入党日期或出生日期"));
                    }
                }
                Some(d)
            }
            None => {
                err("joined_on", format!("无法识别的日期“{j}”，请写成 2001-07-01"));
                None
            }
        },
        None => {
            err("joined_on", "入党日期不能为空".into());
            None
        }
    };

    let status = match nonempty(&input.status) {
        Some(s) => MemberStatus::parse(s).or_else(|| {
            err("status", format!("无效的人员类别“{s}”，可选：{}", MemberStatus::labels()));
            None
        }),
        None => Some(if nonempty(&input.full_on).is_some() { MemberStatus::Full } else { MemberStatus::Probationary }),
    };

    let full_on = match nonempty(&input.full_on) {
        Some(f) => match parse_date(f) {
            Some(d) => {
                if let Some(j) = joined_on {
                    if d <= j {
                        err("full_on", format!("转正日期 {d} 应晚于入党日期 {j}"));
                    }
                }
                if d > today {
                    err("full_on", format!("转正日期 {d} 晚于今天"));
                }
                if status == Some(MemberStatus::Probationary) {
                    err("full_on", "预备党员不应有转正日期；如已转正，请将人员类别填为“正式党员”".into());
                }
                Some(d)
            }
            None => {
                err("full_on", format!("无法识别的日期“{f}”，请写成 2002-07-01"));
                None
            }
        },
        None => {
            if status == Some(MemberStatus::Full) {
                err("full_on", "正式党员须填写转为正式党员日期".into());
            }
            None
        }
    };

    let posts = match nonempty(&input.posts) {
        Some(p) => parse_posts(p).unwrap_or_else(|m| {
            err("posts", m);
            Vec::new()
        }),
        None => Vec::new(),
    };

    let trimmed = |v: &Option<String>, field: &'static str, max: usize, err: &mut dyn FnMut(&'static str, String)| {
        let v = nonempty(v).map(str::to_string);
        if let Some(s) = &v {
            if s.chars().count() > max {
                err(field, format!("内容过长，请不超过{max}个字"));
            }
        }
        v
    };
    let vanguard_post = trimmed(&input.vanguard_post, "vanguard_post", 50, &mut err);
    let responsibility_area = trimmed(&input.responsibility_area, "responsibility_area", 100, &mut err);
    let work_unit = trimmed(&input.work_unit, "work_unit", 100, &mut err);

    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(NewMember {
        name: name.unwrap(),
        id_number: id.unwrap(),
        gender: gender.unwrap(),
        birth_date: birth_date.unwrap(),
        ethnicity: ethnicity.unwrap(),
        education: education.unwrap(),
        phone,
        joined_on: joined_on.unwrap(),
        full_on,
        status: status.unwrap(),
        posts,
        vanguard_post,
        responsibility_area,
        in_service: input.in_service.unwrap_or(false),
        report_org_id: input.report_org_id,
        work_unit,
    })
}

/// Whole years of age on `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn good() -> MemberInput {
        MemberInput {
            name: Some("王建国".into()),
            id_number: Some(IdCardNumber::build(140781, NaiveDate::from_ymd_opt(1975, 6, 1).unwrap(), 11).to_string()),
            education: Some("大学本科".into()),
            joined_on: Some("2001-07-01".into()),
            full_on: Some("2002/07/01".into()),
            phone: Some("13812345678".into()),
            posts: Some("书记、组织委员".into()),
            ..Default::default()
        }
    }

    #[test]
    fn derives_gender_birth_and_status() {
        let m = validate(&good(), today()).unwrap();
        assert_eq!(m.gender, Gender::Male);
        assert_eq!(m.birth_date, NaiveDate::from_ymd_opt(1975, 6, 1).unwrap());
        assert_eq!(m.status, MemberStatus::Full);
        assert_eq!(m.ethnicity, "汉族");
        assert_eq!(m.posts, vec![Post::Secretary, Post::OrganizationCommissioner]);
    }

    #[test]
    fn reports_every_wrong_field() {
        let input = MemberInput {
            gender: Some("女".into()),
            birth_date: Some("1975-06-02".into()),
            education: Some("博士后".into()),
            joined_on: Some("1990-01-01".into()),
            phone: Some("12345".into()),
            ..good()
        };
        let errs = validate(&input, today()).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["gender", "birth_date", "education", "phone", "joined_on"]);
        assert!(errs[4].message.contains("未满18周岁"));
    }

    #[test]
    fn probationary_with_full_date_is_refused() {
        let input = MemberInput { status: Some("预备党员".into()), ..good() };
        let errs = validate(&input, today()).unwrap_err();
        assert_eq!(errs[0].field, "full_on");
        let input = MemberInput { status: Some("正式党员".into()), full_on: None, ..good() };
        assert_eq!(validate(&input, today()).unwrap_err()[0].field, "full_on");
    }

    #[test]
    fn dates_in_many_spellings() {
        for s in ["2024-03-01", "2024/3/1", "2024.03.01", "20240301", "2024年3月1日", "2024-03-01 00:00:00"] {
            assert_eq!(parse_date(s), NaiveDate::from_ymd_opt(2024, 3, 1), "{s}");
        }
        assert_eq!(parse_date("2024-02-30"), None);
    }

    #[test]
    fn age_boundaries() {
        let b = NaiveDate::from_ymd_opt(2000, 3, 1).unwrap();
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2018, 2, 28).unwrap()), 17);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2018, 3, 1).unwrap()), 18);
    }
}
