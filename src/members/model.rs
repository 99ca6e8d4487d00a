//! What a member record is.

use serde::Serialize;

crate::code_enum!(Gender { Male = ("male", "男"), Female = ("female", "女") });

crate::code_enum!(
    MemberStatus {
        Probationary = ("probationary", "预备党员"),
        Full = ("full", "正式党员"),
    }
);

crate::code_enum!(
    /// Highest education, as grouped in 党内统计.
    Education {
        Postgraduate = ("postgraduate", "研究生"),
        Bachelor = ("bachelor", "大学本科"),
        College = ("college", "大学专科"),
        Secondary = ("secondary", "中专"),
        HighSchool = ("high_school", "高中"),
        JuniorOrBelow = ("junior_or_below", "初中及以下"),
    }
);

crate::code_enum!(
    /// Posts a member holds in their organization.
    Post {
        Secretary = ("secretary", "书记"),
        DeputySecretary = ("deputy_secretary", "副书记"),
        CommitteeMember = ("committee_member", "委员"),
        OrganizationCommissioner = ("organization_commissioner", "组织委员"),
        PropagandaCommissioner = ("propaganda_commissioner", "宣传委员"),
        DisciplineCommissioner = ("discipline_commissioner", "纪检委员"),
        GroupLeader = ("group_leader", "党小组长"),
        CentralHousehold = ("central_household", "党员中心户"),
    }
);

impl Post {
    /// Seats on a branch committee (支部委员会).
    pub fn is_committee_seat(self) -> bool {
        !matches!(self, Post::GroupLeader | Post::CentralHousehold)
    }
}

/// The 56 ethnic groups (GB 3304).
pub const ETHNICITIES: [&str; 56] = [
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族",
    "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族",
    "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族",
    "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族",
    "德昂族", "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
];

pub fn parse_posts(s: &str) -> Result<Vec<Post>, String> {
    let mut out = Vec::new();
    for part in s.split([',', '，', '、', ';', '；', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
        let p = Post::parse(part).ok_or_else(|| format!("无效的职务“{part}”，可选：{}", Post::labels()))?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

pub fn posts_code(posts: &[Post]) -> String {
    posts.iter().map(|p| p.code()).collect::<Vec<_>>().join(",")
}

/// A member record as stored; `id_number` and `phone` are full values and must be
/// masked by whoever shows them ([`crate::members::view`]).
#[derive(Clone, Debug)]
pub struct Member {
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub name: String,
    pub id_number: String,
    pub gender: Gender,
    pub birth_date: String,
    pub ethnicity: String,
    pub education: Education,
    pub phone: Option<String>,
    pub joined_on: String,
    pub full_on: Option<String>,
    pub status: MemberStatus,
    pub posts: Vec<Post>,
    pub vanguard_post: Option<String>,
    pub responsibility_area: Option<String>,
    pub in_service: bool,
    pub report_org_id: Option<i64>,
    pub work_unit: Option<String>,
    /// The day the member left the roll (取消预备党员资格, …) and why; `None` while on it.
    pub left_on: Option<String>,
    pub left_reason: Option<String>,
}

/// Member as sent over the API; sensitive fields masked unless the caller may see them in full.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub name: String,
    pub id_number: String,
    pub id_number_masked: bool,
    #[schema(value_type = String)]
    pub gender: Gender,
    pub birth_date: String,
    pub ethnicity: String,
    #[schema(value_type = String)]
    pub education: Education,
    pub phone: Option<String>,
    pub joined_on: String,
    pub full_on: Option<String>,
    #[schema(value_type = String)]
    pub status: MemberStatus,
    #[schema(value_type = Vec<String>)]
    pub posts: Vec<Post>,
    pub vanguard_post: Option<String>,
    pub responsibility_area: Option<String>,
    pub in_service: bool,
    pub report_org_id: Option<i64>,
    pub work_unit: Option<String>,
    /// The day the member left the roll (取消预备党员资格, …) and why; `None` while on it.
    pub left_on: Option<String>,
    pub left_reason: Option<String>,
}
