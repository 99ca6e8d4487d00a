//! Closed vocabularies of grid governance.

crate::code_enum!(
    /// 全科网格 (about 300–500 households) and the 微网格 nested in one.
    GridKind {
        Full = ("full", "全科网格"),
        Micro = ("micro", "微网格"),
    }
);

crate::code_enum!(
    /// Special groups with dynamic records (seed 002).
    SpecialKind {
        Elderly80 = ("elderly_80", "80岁以上高龄老人"),
        TekunElderly = ("tekun_elderly", "特困老人"),
        LeftBehindChild = ("left_behind_child", "留守儿童"),
        MigrantChild = ("migrant_child", "流动儿童"),
        NewEmployment = ("new_employment", "新就业群体"),
    }
);

crate::code_enum!(
    /// What a dynamic record of a special group says happened.
    SpecialRecordKind {
        Allowance = ("allowance", "高龄津贴发放"),
        Visit = ("visit", "走访关爱"),
        Report = ("report", "信息报送"),
        Change = ("change", "情况变化"),
    }
);

crate::code_enum!(
    Gender {
        Male = ("male", "男"),
        Female = ("female", "女"),
    }
);

/// Age from which a resident counts as 高龄老人 for the special-group ledger (the 高龄津贴 of
/// the seeds' counties is paid from 80).
pub const ELDERLY_AGE: u32 = 80;

/// Residents who, by their birth date, belong in 80岁以上高龄老人 but are not recorded there yet:
/// (resident id, the sentence shown). `current` holds (kind, resident id) of the household's
/// groups still in force.
pub fn elderly_suggestions(residents: &[(i64, &str, Option<&str>)], current: &[(SpecialKind, Option<i64>)], today: chrono::NaiveDate) -> Vec<(i64, String)> {
    residents
        .iter()
        .filter_map(|(id, name, birth)| {
            let birth = chrono::NaiveDate::parse_from_str((*birth)?, "%Y-%m-%d").ok()?;
            let age = today.years_since(birth)?;
            let recorded = current.iter().any(|(k, r)| *k == SpecialKind::Elderly80 && *r == Some(*id));
            (age >= ELDERLY_AGE && !recorded).then(|| (*id, format!("{name}生于{birth}，已满{age}周岁，尚未登记为{}", SpecialKind::Elderly80.label())))
        })
        .collect()
}

#[cfg(test)]
mod elderly_tests {
    use super::*;
    #[test]
    fn a_resident_born_in_1943_is_suggested_once() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let residents = [(1, "王大爷", Some("1943-05-01")), (2, "王小明", Some("2010-01-01")), (3, "李奶奶", Some("1946-12-01"))];
        let s = elderly_suggestions(&residents, &[], today);
        assert_eq!(s.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1], "79 on 30 Nov 2026 is not yet 80");
        assert!(s[0].1.contains("已满83周岁"));
        assert!(elderly_suggestions(&residents, &[(SpecialKind::Elderly80, Some(1))], today).is_empty());
    }
}
