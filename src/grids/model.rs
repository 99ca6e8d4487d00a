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
