//! Interim demo generator (to be replaced by the full one).
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use crate::members::id_card::IdCardNumber;
use crate::members::model::{Education, Gender, MemberStatus, Post};
use crate::orgs::model::{OrgDomain, OrgKind, OrgVariant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale { County, City, Province }
impl Scale {
    pub fn parse(s: &str) -> Option<Scale> {
        match s { "county" => Some(Scale::County), "city" => Some(Scale::City), "province" => Some(Scale::Province), _ => None }
    }
}
pub struct DemoOrg { pub id: i64, pub parent_id: Option<i64>, pub code: String, pub name: String, pub kind: OrgKind, pub variant: OrgVariant, pub domain: OrgDomain, pub joint_units: i64, pub term_start: Option<NaiveDate>, pub founded_on: NaiveDate }
pub struct DemoMember { pub org_id: i64, pub name: String, pub id_number: IdCardNumber, pub gender: Gender, pub birth_date: NaiveDate, pub ethnicity: String, pub education: Education, pub phone: Option<String>, pub joined_on: NaiveDate, pub full_on: Option<NaiveDate>, pub status: MemberStatus, pub posts: Vec<Post>, pub in_service: bool, pub work_unit: Option<String> }

pub fn generate(scale: Scale, seed: u64, _today: NaiveDate, on_org: &mut dyn FnMut(DemoOrg), on_member: &mut dyn FnMut(DemoMember)) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let towns = match scale { Scale::County => 12, Scale::City => 34, Scale::Province => 2400 };
    let d = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let mut id = 0i64;
    let mut mk = |parent: Option<i64>, name: String, kind: OrgKind, domain: OrgDomain, on_org: &mut dyn FnMut(DemoOrg)| {
        id += 1;
        on_org(DemoOrg { id, parent_id: parent, code: format!("D{id:07}"), name, kind, variant: OrgVariant::Regular, domain, joint_units: 0, term_start: Some(d), founded_on: d });
        id
    };
    let root = mk(None, "中共演示县委员会".into(), OrgKind::Committee, OrgDomain::Region, on_org);
    let mut branches = Vec::new();
    for t in 0..towns {
        let town = mk(Some(root), format!("第{}镇党委", t + 1), OrgKind::Committee, OrgDomain::Township, on_org);
        for v in 0..40 {
            branches.push(mk(Some(town), format!("第{}镇{}村党支部", t + 1, v + 1), OrgKind::Branch, OrgDomain::Rural, on_org));
        }
    }
    let mut seq = 0u32;
    for b in branches {
        for _ in 0..25 {
            seq += 1;
            let birth = NaiveDate::from_ymd_opt(rng.gen_range(1945..2000), rng.gen_range(1..13), rng.gen_range(1..29)).unwrap();
            let region = 140000 + (seq / 1000 % 1000);
            let idn = IdCardNumber::build(region, birth, seq % 1000);
            let joined = birth + chrono::Duration::days(365 * 20 + rng.gen_range(0..3000));
            on_member(DemoMember { org_id: b, name: format!("王{}", ["伟", "芳", "强", "敏"][seq as usize % 4]), gender: if idn.is_male() { Gender::Male } else { Gender::Female }, id_number: idn, birth_date: birth, ethnicity: "汉族".into(), education: Education::HighSchool, phone: None, joined_on: joined, full_on: Some(joined + chrono::Duration::days(366)), status: MemberStatus::Full, posts: vec![], in_service: false, work_unit: None });
        }
    }
}
