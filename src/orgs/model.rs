//! What an organization is: kinds, variants, domains, and the record itself.

use serde::Serialize;

crate::code_enum!(
    /// The kinds of Party organization in the tree (DOMAIN.md §1).
    OrgKind {
        Committee = ("committee", "党委"),
        WorkingCommittee = ("working_committee", "党工委"),
        LeadingGroup = ("leading_group", "党组"),
        GeneralBranch = ("general_branch", "党总支"),
        Branch = ("branch", "党支部"),
        Group = ("group", "党小组"),
    }
);

crate::code_enum!(
    /// How a branch or group departs from the ordinary one.
    OrgVariant {
        Regular = ("regular", "常设"),
        Joint = ("joint", "联合"),
        Temporary = ("temporary", "临时"),
        Functional = ("functional", "功能型"),
    }
);

crate::code_enum!(
    /// The sector an organization is set up in (党内统计 categories).
    OrgDomain {
        Region = ("region", "地方党委"),
        Township = ("township", "乡镇街道"),
        Rural = ("rural", "农村"),
        Community = ("community", "社区"),
        Organ = ("organ", "机关"),
        Institution = ("institution", "事业单位"),
        Soe = ("soe", "国有企业"),
        Private = ("private", "非公企业"),
        Social = ("social", "社会组织"),
    }
);

impl OrgKind {
    /// Members belong to branches and their groups, where they hold their organizational life.
    pub fn holds_members(self) -> bool {
        matches!(self, OrgKind::Branch | OrgKind::Group)
    }
    /// Whether `child` may sit under `self`.
    pub fn may_contain(self, child: OrgKind) -> bool {
        use OrgKind::*;
        match self {
            Committee | WorkingCommittee => child != Group,
            LeadingGroup => false,
            GeneralBranch => matches!(child, Branch | Group),
            Branch => child == Group,
            Group => false,
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Org {
    pub id: i64,
    pub parent_id: Option<i64>,
    #[serde(skip)]
    pub path: String,
    pub depth: i64,
    pub code: String,
    pub name: String,
    /// committee, working_committee, leading_group, general_branch, branch, group
    #[schema(value_type = String)]
    pub kind: OrgKind,
    #[schema(value_type = String)]
    pub variant: OrgVariant,
    #[schema(value_type = String)]
    pub domain: OrgDomain,
    pub kind_label: String,
    pub domain_label: String,
    /// Units covered by a joint organization.
    pub joint_units: i64,
    pub term_start: Option<String>,
    pub founded_on: Option<String>,
    pub dissolved_on: Option<String>,
    pub dissolve_reason: Option<String>,
}

impl Org {
    pub fn is_dissolved(&self) -> bool {
        self.dissolved_on.is_some()
    }
    /// Residents submit requests (the 微光心愿箱 page, Open311) only to a village's or a
    /// community's Party org that is in service: not to a township, the county root or a group.
    pub fn takes_public_requests(&self) -> bool {
        !self.is_dissolved() && matches!(self.domain, OrgDomain::Rural | OrgDomain::Community) && self.kind != OrgKind::Group
    }
    /// The display name with its variant, e.g. 临时党支部 for a temporary branch.
    pub fn kind_display(&self) -> String {
        match self.variant {
            OrgVariant::Regular => self.kind.label().to_string(),
            v => format!("{}{}", v.label(), self.kind.label()),
        }
    }
}
