//! 发展党员 rules: the 25 steps of 《中国共产党发展党员工作细则》 (中共中央办公厅, 2014), the time
//! limits between them, and the flags raised on a file. Pure: no DB, no HTTP, no clock.
//!
//! - [`check_step`]: may this step be recorded on this day? Refuses a step out of order, taken too
//!   early, without the meeting it needs, or missing what it needs (contacts, sponsors, training,
//!   political review). Every [`Refusal`] has a stable code, the article, the first allowed day
//!   when there is one, and a Chinese sentence. Lateness (a talk after one month, an approval after
//!   three months, a missed half-yearly review) is not refused — it already happened — but comes
//!   back as a warning in [`Allowed::warnings`].
//! - [`probation_outcome`]: 按期转正, 延长预备期 (once, 6–12 months) or 取消预备党员资格.
//! - [`irregular`]: replays every recorded step through the same rules and lists what was wrong.
//! - [`no_new_member_flag`]: a village with no new member for three years or more.
//!
//! Decisions (each covered by a test):
//! - **Dates.** A period of N months ends on the same day N months later; when that month has no
//!   such day, on its last day (chrono's `checked_add_months`; the same rule as 《民法典》第二百零二条
//!   “没有对应日的，月末日为期间的最后一日”). 2025-01-31 + 1 month = 2025-02-28.
//! - **First allowed day.** “满一年” is met ON the anniversary: an activist from 2025-03-05 may
//!   become a 发展对象 on 2026-03-05, not on 2026-03-04. Likewise a person is 18 on their 18th
//!   birthday; born 2008-02-29, they are 18 on 2026-02-28 (no 29 February in 2026).
//! - **Deadlines** (“一个月内”, “三个月内”) include their last day: an application on 2026-01-31
//!   needs a talk by 2026-02-28; on 2026-03-01 it is late.
//! - **Reviews** (党支部每半年考察一次): the activist period is cut into half-years from the day of
//!   becoming an activist, (start, start+6m], (start+6m, start+12m], …; every half-year that has
//!   ended by the day of 确定发展对象 needs a review inside it. A review exactly six months after
//!   the previous boundary is on time.
//! - **Probation** runs from the 支部党员大会 that admitted the member (党章第七条, 《细则》第三十二条)
//!   for 12 months; 转正 may be discussed from the day it ends, which is also the day the member is
//!   full (党龄 counts from it). An extension adds 6–12 months to the original end, once.
//! - **Meetings.** Steps decided by the 支部委员会 need a committee meeting held that day; a branch
//!   without a committee uses its 支部党员大会 (《细则》第八条 “不设支部委员会的由支部大会，下同”).
//!   Admission and 转正 need a 支部党员大会. The higher committee's steps (预审, 审批) are taken
//!   by its own meeting, which the branch's records do not hold; they need no meeting id here.

use std::collections::BTreeSet;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::meetings::rules::MeetingKind;

/// The regulation the rules come from.
pub const SOURCE: &str = "《中国共产党发展党员工作细则》（中共中央办公厅2014年6月印发）";

/// 《细则》第五条：年满十八岁……可以申请加入中国共产党.
pub const ART_AGE: &str = "第五条";
/// 《细则》第六条：入党申请人应当向工作、学习所在单位党组织提出入党申请.
pub const ART_APPLICATION: &str = "第六条";
/// 《细则》第七条：党组织收到入党申请书后，应当在一个月内派人同入党申请人谈话.
pub const ART_TALK: &str = "第七条";
/// 《细则》第八条：确定入党积极分子由支部委员会（不设支部委员会的由支部大会）研究决定，并报上级党委备案.
pub const ART_ACTIVIST: &str = "第八条";
/// 《细则》第九条：党组织应当指定一至两名正式党员作入党积极分子的培养联系人.
pub const ART_CONTACTS: &str = "第九条";
/// 《细则》第十条：党组织应当采取吸收入党积极分子听党课、参加党内有关活动等方法进行培养教育.
pub const ART_EDUCATION: &str = "第十条";
/// 《细则》第十一条：党支部每半年对入党积极分子进行一次考察.
pub const ART_REVIEW: &str = "第十一条";
/// 《细则》第十三条：经过一年以上培养教育和考察……支部委员会讨论同意并报上级党委备案后，可列为发展对象.
pub const ART_TARGET: &str = "第十三条";
/// 《细则》第十四条：发展对象应当有两名正式党员作入党介绍人.
pub const ART_SPONSORS: &str = "第十四条";
/// 《细则》第十六条：凡未经政治审查或政治审查不合格的，不能发展入党.
pub const ART_POLITICAL: &str = "第十六条";
/// 《细则》第十七条：短期集中培训时间一般不少于三天（或不少于二十四个学时）.
pub const ART_TRAINING: &str = "第十七条";
/// 《细则》第十九条：支部委员会严格审查，报具有审批权限的基层党委预审；预审合格的发放入党志愿书.
pub const ART_PRE_REVIEW: &str = "第十九条";
/// 《细则》第二十条：经基层党委预审合格的发展对象，由支部委员会提交支部大会讨论.
pub const ART_ADMISSION_MEETING: &str = "第二十条";
/// 《细则》第四章 预备党员的接收: the 志愿书, the higher committee's talk, approval (三个月内，特殊情况
/// 可适当延长但不得超过六个月) and filing. Cited by chapter: the article numbers were not verified.
pub const ART_ADMISSION: &str = "第四章";
/// 《细则》第三十二条：预备期为一年，从支部大会通过之日算起；期满及时讨论；可以延长一次预备期，
/// 延长时间不能少于半年，最长不超过一年；不具备党员条件的取消预备党员资格.
pub const ART_PROBATION: &str = "第三十二条";
/// 《细则》第五章 预备党员的教育、考察和转正: 编入党支部和党小组, 入党宣誓, 继续教育考察, 转正申请与
/// 审批, 材料归档. Cited by chapter: the article numbers were not verified.
pub const ART_CONVERSION: &str = "第五章";
/// Rules that are a local default, not the 《细则》.
pub const ART_LOCAL: &str = "本地规定";
/// Where the no-new-member flag comes from.
pub const SOURCE_NO_NEW_MEMBER: &str =
    "县级党建工作总结[004]：着力破解“3年以上未发展党员行政村”问题（整顿口径，非《细则》规定）";

// ---------------------------------------------------------------------------------------------
// Vocabularies
// ---------------------------------------------------------------------------------------------

crate::code_enum!(
    /// Where a person stands.
    Stage {
        Applicant = ("applicant", "入党申请人"),
        Activist = ("activist", "入党积极分子"),
        Target = ("target", "发展对象"),
        Probationary = ("probationary", "预备党员"),
        Full = ("full", "正式党员"),
        Cancelled = ("cancelled", "已取消预备党员资格"),
        Withdrawn = ("withdrawn", "已终止"),
    }
);

crate::code_enum!(
    /// The five groups of the 25 steps.
    Phase {
        Application = ("application", "申请入党"),
        Activist = ("activist", "入党积极分子的确定和培养教育"),
        Target = ("target", "发展对象的确定和考察"),
        Admission = ("admission", "预备党员的接收"),
        Probation = ("probation", "预备党员的教育考察和转正"),
    }
);

crate::code_enum!(
    /// Who takes a step.
    Body {
        Applicant = ("applicant", "本人"),
        Branch = ("branch", "党支部"),
        BranchCommittee = ("branch_committee", "支部委员会"),
        GeneralMeeting = ("general_meeting", "支部党员大会"),
        HigherCommittee = ("higher_committee", "上级党委"),
        TrainingBody = ("training_body", "基层党委或县级党委组织部门"),
        HigherOrgDept = ("higher_org_dept", "再上一级党委组织部门"),
    }
);

crate::code_enum!(
    /// The 25 steps of 发展党员, in order.
    Step {
        Application = ("application", "递交入党申请书"),
        Talk = ("talk", "党组织派人谈话"),
        ActivistDecision = ("activist_decision", "推荐和确定入党积极分子"),
        ActivistFiling = ("activist_filing", "上级党委备案"),
        Contacts = ("contacts", "指定培养联系人"),
        ActivistEducation = ("activist_education", "培养教育考察"),
        TargetDecision = ("target_decision", "确定发展对象"),
        TargetFiling = ("target_filing", "报上级党委备案"),
        Sponsors = ("sponsors", "确定入党介绍人"),
        PoliticalReview = ("political_review", "进行政治审查"),
        Training = ("training", "开展集中培训"),
        CommitteeReview = ("committee_review", "支部委员会审查"),
        PreReview = ("pre_review", "上级党委预审"),
        ApplicationForm = ("application_form", "填写入党志愿书"),
        AdmissionMeeting = ("admission_meeting", "支部大会讨论"),
        ApprovalTalk = ("approval_talk", "上级党委派人谈话"),
        AdmissionApproval = ("admission_approval", "上级党委审批"),
        AdmissionFiling = ("admission_filing", "再上一级党委组织部门备案"),
        GroupAssignment = ("group_assignment", "编入党支部和党小组"),
        Oath = ("oath", "入党宣誓"),
        ProbationEducation = ("probation_education", "继续教育考察"),
        ConversionApplication = ("conversion_application", "提出转正申请"),
        ConversionMeeting = ("conversion_meeting", "支部大会讨论（转正）"),
        ConversionApproval = ("conversion_approval", "上级党委审批（转正）"),
        Archiving = ("archiving", "材料归档"),
    }
);

impl Step {
    /// 1 to 25.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The group of the 25 steps it belongs to.
    pub fn phase(self) -> Phase {
        match self.number() {
            1..=2 => Phase::Application,
            3..=6 => Phase::Activist,
            7..=11 => Phase::Target,
            12..=18 => Phase::Admission,
            _ => Phase::Probation,
        }
    }

    /// The stage the person is in once the step is recorded: an 入党积极分子 from step 3, a 发展对象
    /// from step 7, a 预备党员 from the higher committee's approval (step 17), a 正式党员 from the
    /// approval of 转正 (step 24).
    pub fn stage(self) -> Stage {
        match self.number() {
            1..=2 => Stage::Applicant,
            3..=6 => Stage::Activist,
            7..=16 => Stage::Target,
            17..=23 => Stage::Probationary,
            _ => Stage::Full,
        }
    }

    /// The article (or chapter, where the number was not verified) of the 《细则》 it comes from.
    pub fn article(self) -> &'static str {
        use Step::*;
        match self {
            Application => ART_APPLICATION,
            Talk => ART_TALK,
            ActivistDecision | ActivistFiling => ART_ACTIVIST,
            Contacts => ART_CONTACTS,
            ActivistEducation => ART_EDUCATION,
            TargetDecision | TargetFiling => ART_TARGET,
            Sponsors => ART_SPONSORS,
            PoliticalReview => ART_POLITICAL,
            Training => ART_TRAINING,
            CommitteeReview | PreReview => ART_PRE_REVIEW,
            ApplicationForm | ApprovalTalk | AdmissionApproval | AdmissionFiling => ART_ADMISSION,
            AdmissionMeeting => ART_ADMISSION_MEETING,
            ConversionMeeting => ART_PROBATION,
            GroupAssignment
            | Oath
            | ProbationEducation
            | ConversionApplication
            | ConversionApproval
            | Archiving => ART_CONVERSION,
        }
    }

    /// Who takes the step.
    pub fn body(self) -> Body {
        use Step::*;
        match self {
            Application | ApplicationForm | ConversionApplication => Body::Applicant,
            Talk | Contacts | ActivistEducation | Sponsors | PoliticalReview | GroupAssignment
            | Oath | ProbationEducation => Body::Branch,
            ActivistDecision | TargetDecision | CommitteeReview => Body::BranchCommittee,
            AdmissionMeeting | ConversionMeeting => Body::GeneralMeeting,
            ActivistFiling | TargetFiling | PreReview | ApprovalTalk | AdmissionApproval
            | ConversionApproval | Archiving => Body::HigherCommittee,
            Training => Body::TrainingBody,
            AdmissionFiling => Body::HigherOrgDept,
        }
    }

    /// The branch meeting the step is decided in, for a branch with a 支部委员会.
    pub fn meeting(self) -> Option<MeetingKind> {
        match self.body() {
            Body::BranchCommittee => Some(MeetingKind::Committee),
            Body::GeneralMeeting => Some(MeetingKind::GeneralAssembly),
            _ => None,
        }
    }

    /// The meeting the step needs in a given branch: one without a committee decides the
    /// committee's steps in its 支部党员大会 (《细则》第八条).
    pub fn required_meeting(self, branch_has_committee: bool) -> Option<MeetingKind> {
        match self.meeting() {
            Some(MeetingKind::Committee) if !branch_has_committee => {
                Some(MeetingKind::GeneralAssembly)
            }
            m => m,
        }
    }

    /// The steps that must be recorded, on or before the same day, before this one. Steps 4 and 5
    /// follow step 3 in either order, as do 9, 10 and 11 after step 8, and 18–20 after step 17.
    pub fn prerequisites(self) -> &'static [Step] {
        use Step::*;
        match self {
            Application => &[],
            Talk => &[Application],
            ActivistDecision => &[Talk],
            ActivistFiling | Contacts => &[ActivistDecision],
            ActivistEducation => &[ActivistFiling, Contacts],
            TargetDecision => &[ActivistEducation],
            TargetFiling => &[TargetDecision],
            Sponsors | PoliticalReview | Training => &[TargetFiling],
            CommitteeReview => &[Sponsors, PoliticalReview, Training],
            PreReview => &[CommitteeReview],
            ApplicationForm => &[PreReview],
            AdmissionMeeting => &[ApplicationForm],
            ApprovalTalk => &[AdmissionMeeting],
            AdmissionApproval => &[ApprovalTalk],
            AdmissionFiling | GroupAssignment | Oath => &[AdmissionApproval],
            ProbationEducation => &[GroupAssignment],
            ConversionApplication => &[ProbationEducation, Oath],
            ConversionMeeting => &[ConversionApplication],
            ConversionApproval => &[ConversionMeeting],
            Archiving => &[ConversionApproval, AdmissionFiling],
        }
    }

    /// “第7步“确定发展对象””.
    pub fn title(self) -> String {
        format!("第{}步“{}”", self.number(), self.label())
    }
}

crate::code_enum!(
    /// What a [`Refusal`] or an [`Irregularity`] is about. Stable codes for the API.
    RuleCode {
        FileClosed = ("file_closed", "档案已终止"),
        AlreadyRecorded = ("already_recorded", "重复办理"),
        MissingPreviousStep = ("missing_previous_step", "缺少前置步骤"),
        BeforePreviousStep = ("before_previous_step", "早于前置步骤"),
        UnderAge = ("under_age", "未达入党年龄"),
        TalkLate = ("talk_late", "谈话超过时限"),
        ContactsCount = ("contacts_count", "培养联系人人数不符"),
        ContactNotFullMember = ("contact_not_full_member", "培养联系人不是正式党员"),
        ReviewsMissing = ("reviews_missing", "缺少半年考察"),
        ActivistPeriodShort = ("activist_period_short", "培养考察期不足"),
        SponsorsCount = ("sponsors_count", "入党介绍人人数不符"),
        SponsorNotFullMember = ("sponsor_not_full_member", "入党介绍人不是正式党员"),
        PoliticalReviewNotPassed = ("political_review_not_passed", "未经政治审查或审查不合格"),
        TrainingInsufficient = ("training_insufficient", "集中培训不足"),
        ApprovalLate = ("approval_late", "审批超过时限"),
        ApprovalOverdue = ("approval_overdue", "审批超过最长期限"),
        ConversionApplicationEarly = ("conversion_application_early", "转正申请过早"),
        ProbationNotOver = ("probation_not_over", "预备期未满"),
        NotProbationary = ("not_probationary", "尚未成为预备党员"),
        AlreadyConverted = ("already_converted", "已讨论转正"),
        ExtensionMonths = ("extension_months", "延长预备期时间不符"),
        ExtensionRepeated = ("extension_repeated", "重复延长预备期"),
        ReasonMissing = ("reason_missing", "未写明理由"),
        MeetingMissing = ("meeting_missing", "缺少会议"),
        MeetingWrongKind = ("meeting_wrong_kind", "会议类型不符"),
        MeetingDateMismatch = ("meeting_date_mismatch", "会议日期不符"),
        MeetingUnknown = ("meeting_unknown", "会议不存在"),
        DuplicateStep = ("duplicate_step", "重复记录"),
    }
);

crate::code_enum!(
    /// The three ends of a probation.
    OutcomeKind {
        OnTime = ("on_time", "按期转正"),
        Extend = ("extend", "延长预备期"),
        Cancel = ("cancel", "取消预备党员资格"),
    }
);

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// A county's recruitment rules, deserializable from its configuration; every field has a default
/// from the 《细则》. [`RecruitmentRules::validate`] refuses values looser than the 《细则》.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecruitmentRules {
    /// Minimum age on the day of the application. 18: 《细则》第五条 (年满十八岁).
    pub min_age_years: u32,
    /// The branch talks with the applicant within this many months. 1: 《细则》第七条.
    pub talk_within_months: u32,
    /// 培养联系人: at least / at most. 1 and 2, full members: 《细则》第九条 (一至两名正式党员).
    pub contacts_min: u32,
    pub contacts_max: u32,
    /// The branch reviews an activist once in every this many months. 6: 《细则》第十一条.
    pub review_every_months: u32,
    /// Months as an activist before becoming a 发展对象. 12: 《细则》第十三条 (一年以上).
    pub activist_min_months: u32,
    /// 入党介绍人, all full members. 2: 《细则》第十四条, 党章第五条.
    pub sponsors_required: u32,
    /// 集中培训: at least this many days, or at least `training_min_class_hours`. 3 days or 24 学时:
    /// 《细则》第十七条 (一般不少于三天（或不少于二十四个学时）).
    pub training_min_days: u32,
    pub training_min_class_hours: u32,
    /// Probation, from the admitting 支部党员大会. 12: 党章第七条, 《细则》第三十二条.
    pub probation_months: u32,
    /// An extension of the probation, once: 6 to 12 months. 《细则》第三十二条 (延长时间不能少于半年，
    /// 最长不超过一年).
    pub extension_min_months: u32,
    pub extension_max_months: u32,
    /// The higher committee approves an admission or a 转正 within this many months of the branch
    /// meeting. 3: 《细则》第四章、第五章 (三个月内审批). Configurable.
    pub approval_within_months: u32,
    /// The longest an approval may take in special circumstances. 6: 《细则》第四章 (遇有特殊情况可
    /// 适当延长审批时间，但不得超过六个月).
    pub approval_extended_max_months: u32,
    /// The 转正申请 may be handed in this many days before the probation ends. 30: a local default
    /// (the 《细则》 sets no day); 0 means only from the end.
    pub conversion_application_lead_days: u32,
    /// A village is flagged after this many years without a new member. 3: the county review in the
    /// seed [004] (“3年以上未发展党员行政村”).
    pub no_new_member_years: u32,
}

impl Default for RecruitmentRules {
    fn default() -> Self {
        RecruitmentRules {
            min_age_years: 18,
            talk_within_months: 1,
            contacts_min: 1,
            contacts_max: 2,
            review_every_months: 6,
            activist_min_months: 12,
            sponsors_required: 2,
            training_min_days: 3,
            training_min_class_hours: 24,
            probation_months: 12,
            extension_min_months: 6,
            extension_max_months: 12,
            approval_within_months: 3,
            approval_extended_max_months: 6,
            conversion_application_lead_days: 30,
            no_new_member_years: 3,
        }
    }
}

/// A configuration that cannot be applied as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("{field}不能为0")]
    Zero { field: &'static str },
    #[error("{min_field}（{min}）不能大于{max_field}（{max}）")]
    Inverted {
        min_field: &'static str,
        min: u32,
        max_field: &'static str,
        max: u32,
    },
    #[error("{field}为{value}，不符合《细则》{article}的规定（{limit}）")]
    LooserThanRule {
        field: &'static str,
        value: u32,
        limit: &'static str,
        article: &'static str,
    },
}

impl RecruitmentRules {
    /// Checks a county's configuration: no zero periods, no inverted ranges, nothing looser than
    /// the 《细则》 (a county may be stricter, e.g. 18 months as an activist).
    pub fn validate(&self) -> Result<(), RulesError> {
        let zero = [
            ("talk_within_months", self.talk_within_months),
            ("contacts_min", self.contacts_min),
            ("review_every_months", self.review_every_months),
            ("approval_within_months", self.approval_within_months),
            ("no_new_member_years", self.no_new_member_years),
        ];
        if let Some((field, _)) = zero.iter().find(|(_, v)| *v == 0) {
            return Err(RulesError::Zero { field });
        }
        let looser = |field, value, bad: bool, limit, article| {
            if bad {
                Err(RulesError::LooserThanRule {
                    field,
                    value,
                    limit,
                    article,
                })
            } else {
                Ok(())
            }
        };
        looser(
            "min_age_years",
            self.min_age_years,
            self.min_age_years < 18,
            "年满十八岁",
            ART_AGE,
        )?;
        looser(
            "talk_within_months",
            self.talk_within_months,
            self.talk_within_months > 1,
            "一个月内谈话",
            ART_TALK,
        )?;
        looser(
            "contacts_max",
            self.contacts_max,
            self.contacts_max > 2,
            "一至两名",
            ART_CONTACTS,
        )?;
        looser(
            "review_every_months",
            self.review_every_months,
            self.review_every_months > 6,
            "每半年考察一次",
            ART_REVIEW,
        )?;
        looser(
            "activist_min_months",
            self.activist_min_months,
            self.activist_min_months < 12,
            "一年以上",
            ART_TARGET,
        )?;
        looser(
            "sponsors_required",
            self.sponsors_required,
            self.sponsors_required != 2,
            "两名正式党员",
            ART_SPONSORS,
        )?;
        looser(
            "training_min_days",
            self.training_min_days,
            self.training_min_days < 3,
            "不少于三天",
            ART_TRAINING,
        )?;
        looser(
            "training_min_class_hours",
            self.training_min_class_hours,
            self.training_min_class_hours < 24,
            "不少于二十四个学时",
            ART_TRAINING,
        )?;
        looser(
            "probation_months",
            self.probation_months,
            self.probation_months != 12,
            "预备期为一年",
            ART_PROBATION,
        )?;
        looser(
            "extension_min_months",
            self.extension_min_months,
            self.extension_min_months < 6,
            "不能少于半年",
            ART_PROBATION,
        )?;
        looser(
            "extension_max_months",
            self.extension_max_months,
            self.extension_max_months > 12,
            "最长不超过一年",
            ART_PROBATION,
        )?;
        let ranges = [
            (
                "contacts_min",
                self.contacts_min,
                "contacts_max",
                self.contacts_max,
            ),
            (
                "extension_min_months",
                self.extension_min_months,
                "extension_max_months",
                self.extension_max_months,
            ),
            (
                "approval_within_months",
                self.approval_within_months,
                "approval_extended_max_months",
                self.approval_extended_max_months,
            ),
        ];
        for (min_field, min, max_field, max) in ranges {
            if min > max {
                return Err(RulesError::Inverted {
                    min_field,
                    min,
                    max_field,
                    max,
                });
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// A branch meeting a step refers to, as the store knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRef {
    pub id: i64,
    pub kind: MeetingKind,
    pub held_on: NaiveDate,
}

/// One recorded step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: Step,
    pub on: NaiveDate,
    /// The body that took it, by name (“城关镇党委”, “第一党支部委员会”).
    pub body: String,
    pub meeting_id: Option<i64>,
    pub note: Option<String>,
}

/// A 培养联系人 or 入党介绍人.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub member_id: Option<i64>,
    pub name: String,
    /// 正式党员 (not a 预备党员) on the day they were designated.
    pub full_member: bool,
}

/// The 发展对象's 集中培训: days and 学时 attended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    pub days: u32,
    pub class_hours: u32,
}

/// A decided 延长预备期.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub decided_on: NaiveDate,
    pub months: u32,
    pub meeting_id: Option<i64>,
}

/// A decided 取消预备党员资格.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    pub on: NaiveDate,
    pub reason: String,
    pub meeting_id: Option<i64>,
}

/// A file closed before admission: the applicant withdrew, or the branch stopped the process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub on: NaiveDate,
    pub reason: String,
}

/// An applicant's file as the store hands it over. The application date is the date of the
/// [`Step::Application`] record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub birth_date: NaiveDate,
    /// Whether the branch has a 支部委员会 (else its 支部党员大会 takes the committee's steps).
    pub branch_has_committee: bool,
    #[serde(default)]
    pub steps: Vec<StepRecord>,
    /// The meetings the steps, the extension and the cancellation refer to.
    #[serde(default)]
    pub meetings: Vec<MeetingRef>,
    #[serde(default)]
    pub contacts: Vec<Person>,
    #[serde(default)]
    pub sponsors: Vec<Person>,
    /// The branch's half-yearly reviews of the activist (《细则》第十一条).
    #[serde(default)]
    pub reviews: Vec<NaiveDate>,
    /// The conclusion of the 政治审查: `None` while none is recorded.
    #[serde(default)]
    pub political_review_passed: Option<bool>,
    #[serde(default)]
    pub training: Option<Training>,
    #[serde(default)]
    pub extension: Option<Extension>,
    #[serde(default)]
    pub cancelled: Option<Cancellation>,
    #[serde(default)]
    pub withdrawn: Option<Withdrawal>,
}

impl File {
    /// A file with nothing recorded yet, in a branch with a 支部委员会.
    pub fn new(name: &str, birth_date: NaiveDate) -> File {
        File {
            name: name.into(),
            birth_date,
            branch_has_committee: true,
            steps: vec![],
            meetings: vec![],
            contacts: vec![],
            sponsors: vec![],
            reviews: vec![],
            political_review_passed: None,
            training: None,
            extension: None,
            cancelled: None,
            withdrawn: None,
        }
    }

    /// The first record of a step.
    pub fn record(&self, step: Step) -> Option<&StepRecord> {
        self.steps.iter().find(|r| r.step == step)
    }

    pub fn date_of(&self, step: Step) -> Option<NaiveDate> {
        self.record(step).map(|r| r.on)
    }

    pub fn applied_on(&self) -> Option<NaiveDate> {
        self.date_of(Step::Application)
    }

    pub fn meeting(&self, id: i64) -> Option<&MeetingRef> {
        self.meetings.iter().find(|m| m.id == id)
    }

    /// Where the person stands: cancelled or withdrawn, else the stage of the furthest step.
    pub fn stage(&self) -> Stage {
        if self.cancelled.is_some() {
            return Stage::Cancelled;
        }
        if self.withdrawn.is_some() {
            return Stage::Withdrawn;
        }
        self.steps
            .iter()
            .map(|r| r.step)
            .max()
            .map_or(Stage::Applicant, Step::stage)
    }

    /// The day the probation started: the admitting 支部党员大会.
    pub fn probation_start(&self) -> Option<NaiveDate> {
        self.date_of(Step::AdmissionMeeting)
    }

    /// The end of the probation as first set, without an extension.
    pub fn original_probation_end(&self, rules: &RecruitmentRules) -> Option<NaiveDate> {
        self.probation_start()
            .map(|d| add_months(d, rules.probation_months))
    }

    /// The end of the probation, extension included: the first day 转正 may be discussed and, if
    /// it is granted, the day the member is full.
    pub fn probation_end(&self, rules: &RecruitmentRules) -> Option<NaiveDate> {
        let end = self.original_probation_end(rules)?;
        Some(match &self.extension {
            Some(e) => add_months(end, e.months),
            None => end,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

/// Why a step, or a decision on the probation, cannot be recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: RuleCode,
    pub step: Step,
    /// “第十三条”, “第四章” or “本地规定”.
    pub article: &'static str,
    /// The first day the rule allows, when waiting is what is missing.
    pub allowed_from: Option<NaiveDate>,
    pub message: String,
}

/// A problem found on a file, or a warning on a step that is allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Irregularity {
    pub code: RuleCode,
    pub step: Option<Step>,
    pub article: &'static str,
    pub message: String,
}

/// A step that may be recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Allowed {
    pub step: Step,
    /// The stage once recorded.
    pub stage: Stage,
    pub explanation: String,
    /// Lateness the step reveals (talk, approval, reviews): allowed, but to be explained.
    pub warnings: Vec<Irregularity>,
}

/// What the 支部党员大会 decides at (or, for a breach of discipline, before) the end of a probation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProbationDecision {
    OnTime,
    Extend { months: u32 },
    Cancel { reason: String },
}

impl ProbationDecision {
    pub fn kind(&self) -> OutcomeKind {
        match self {
            ProbationDecision::OnTime => OutcomeKind::OnTime,
            ProbationDecision::Extend { .. } => OutcomeKind::Extend,
            ProbationDecision::Cancel { .. } => OutcomeKind::Cancel,
        }
    }
}

/// An allowed decision on a probation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutcomeVerdict {
    pub kind: OutcomeKind,
    pub decided_on: NaiveDate,
    pub probation_start: NaiveDate,
    /// The end before this decision (an earlier extension included).
    pub probation_end: NaiveDate,
    /// After an extension: original end + the months.
    pub new_probation_end: Option<NaiveDate>,
    /// After 转正: the day the member is full (党龄 counts from it).
    pub full_member_from: Option<NaiveDate>,
    pub stage: Stage,
    pub explanation: String,
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

/// `d` plus `months`, on the month's last day when the day does not exist (see the module doc).
pub fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The day a person born on `birth` turns `years` old.
pub fn birthday(birth: NaiveDate, years: u32) -> NaiveDate {
    add_months(birth, years.saturating_mul(12))
}

/// “一年”, “半年”, “一个月”, “18个月”.
fn months_cn(n: u32) -> String {
    match n {
        1 => "一个月".into(),
        3 => "三个月".into(),
        6 => "半年".into(),
        12 => "一年".into(),
        n if n % 12 == 0 => format!("{}年", n / 12),
        n => format!("{n}个月"),
    }
}

/// “《细则》第十三条”, or the text itself for a chapter-less local rule.
fn cite(article: &str) -> String {
    if article.starts_with('第') {
        format!("《细则》{article}")
    } else {
        article.to_string()
    }
}

/// The half-years (start, end] of an activist period that ended by `until` and hold no review.
pub fn missing_reviews(
    rules: &RecruitmentRules,
    start: NaiveDate,
    until: NaiveDate,
    reviews: &[NaiveDate],
) -> Vec<(NaiveDate, NaiveDate)> {
    let every = rules.review_every_months.max(1);
    let mut missing = Vec::new();
    let mut from = start;
    for k in 1.. {
        let to = add_months(start, every.saturating_mul(k));
        if to > until || to == NaiveDate::MAX {
            break;
        }
        if !reviews.iter().any(|&r| r > from && r <= to) {
            missing.push((from, to));
        }
        from = to;
    }
    missing
}

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

/// Whether `step` may be recorded on `on` in `file`, with `meeting` the branch meeting that
/// decided it (for the steps that need one). The first failing rule is returned, checked in this
/// order: file closed, step already recorded, previous steps, the step's own rules, the meeting.
pub fn check_step(
    rules: &RecruitmentRules,
    file: &File,
    step: Step,
    on: NaiveDate,
    meeting: Option<&MeetingRef>,
) -> Result<Allowed, Refusal> {
    let (mut refusals, warnings) = assess(rules, file, step, on, meeting);
    if !refusals.is_empty() {
        return Err(refusals.swap_remove(0));
    }
    let stage = step.stage();
    Ok(Allowed {
        step,
        stage,
        explanation: format!(
            "{on}可以办理{}（{}，由{}办理），办理后为{}。",
            step.title(),
            cite(step.article()),
            step.body().label(),
            stage.label()
        ),
        warnings,
    })
}

/// Every rule a step breaks (refusals) and every lateness it shows (warnings).
fn assess(
    rules: &RecruitmentRules,
    file: &File,
    step: Step,
    on: NaiveDate,
    meeting: Option<&MeetingRef>,
) -> (Vec<Refusal>, Vec<Irregularity>) {
    let mut refusals = Vec::new();
    let mut warnings = Vec::new();
    let mut refuse = |code, article, allowed_from, message: String| {
        refusals.push(Refusal {
            code,
            step,
            article,
            allowed_from,
            message,
        })
    };
    let mut warn = |code, article, message: String| {
        warnings.push(Irregularity {
            code,
            step: Some(step),
            article,
            message,
        })
    };
    let title = step.title();

    if let Some(c) = file.cancelled.as_ref().filter(|c| c.on <= on) {
        refuse(
            RuleCode::FileClosed,
            ART_PROBATION,
            None,
            format!(
                "{}已于{}被取消预备党员资格，不能再办理{title}。",
                file.name, c.on
            ),
        );
    }
    if let Some(w) = file.withdrawn.as_ref().filter(|w| w.on <= on) {
        refuse(
            RuleCode::FileClosed,
            step.article(),
            None,
            format!(
                "{}的发展程序已于{}终止（{}），不能再办理{title}。",
                file.name, w.on, w.reason
            ),
        );
    }
    if let Some(r) = file.record(step) {
        refuse(
            RuleCode::AlreadyRecorded,
            step.article(),
            None,
            format!("{title}已于{}办理，不能重复办理。", r.on),
        );
    }
    for &p in step.prerequisites() {
        match file.date_of(p) {
            None => refuse(
                RuleCode::MissingPreviousStep,
                step.article(),
                None,
                format!(
                    "{title}须在{}之后办理，档案中尚无{}的记录（{}）。",
                    p.title(),
                    p.title(),
                    cite(step.article())
                ),
            ),
            Some(d) if on < d => refuse(
                RuleCode::BeforePreviousStep,
                step.article(),
                Some(d),
                format!(
                    "{title}不能早于{}（{d}），自{d}起方可办理，{on}过早（{}）。",
                    p.title(),
                    cite(step.article())
                ),
            ),
            Some(_) => {}
        }
    }

    match step {
        Step::Application => {
            let from = birthday(file.birth_date, rules.min_age_years);
            if on < from {
                refuse(
                    RuleCode::UnderAge,
                    ART_AGE,
                    Some(from),
                    format!(
                        "年满{}岁方可申请入党（{}）：{}生于{}，自{from}起方可递交入党申请书，{on}尚未满{}岁。",
                        rules.min_age_years,
                        cite(ART_AGE),
                        file.name,
                        file.birth_date,
                        rules.min_age_years
                    ),
                );
            }
        }
        Step::Talk => {
            if let Some(applied) = file.applied_on() {
                let by = add_months(applied, rules.talk_within_months);
                if on > by {
                    warn(
                        RuleCode::TalkLate,
                        ART_TALK,
                        format!(
                            "党组织应在收到入党申请书（{applied}）后{}内、即{by}前派人谈话（{}），{on}谈话已超过时限。",
                            months_cn(rules.talk_within_months),
                            cite(ART_TALK)
                        ),
                    );
                }
            }
        }
        Step::Contacts => {
            let n = file.contacts.len() as u32;
            if n < rules.contacts_min || n > rules.contacts_max {
                refuse(
                    RuleCode::ContactsCount,
                    ART_CONTACTS,
                    None,
                    format!(
                        "应指定{}至{}名正式党员作培养联系人（{}），现有{n}名。",
                        rules.contacts_min,
                        rules.contacts_max,
                        cite(ART_CONTACTS)
                    ),
                );
            }
            for p in file.contacts.iter().filter(|p| !p.full_member) {
                refuse(
                    RuleCode::ContactNotFullMember,
                    ART_CONTACTS,
                    None,
                    format!(
                        "培养联系人{}不是正式党员，培养联系人应由正式党员担任（{}）。",
                        p.name,
                        cite(ART_CONTACTS)
                    ),
                );
            }
        }
        Step::TargetDecision => {
            if let Some(start) = file.date_of(Step::ActivistDecision) {
                let from = add_months(start, rules.activist_min_months);
                if on < from {
                    refuse(
                        RuleCode::ActivistPeriodShort,
                        ART_TARGET,
                        Some(from),
                        format!(
                            "确定为入党积极分子（{start}）满{}（{from}）后方可确定为发展对象（{}），{on}尚不满{}。",
                            months_cn(rules.activist_min_months),
                            cite(ART_TARGET),
                            months_cn(rules.activist_min_months)
                        ),
                    );
                }
                for (a, b) in missing_reviews(rules, start, on, &file.reviews) {
                    warn(
                        RuleCode::ReviewsMissing,
                        ART_REVIEW,
                        format!(
                            "党支部应每{}对入党积极分子考察一次（{}），{a}至{b}期间没有考察记录。",
                            months_cn(rules.review_every_months),
                            cite(ART_REVIEW)
                        ),
                    );
                }
            }
        }
        Step::Sponsors => {
            let n = file.sponsors.len() as u32;
            if n != rules.sponsors_required {
                refuse(
                    RuleCode::SponsorsCount,
                    ART_SPONSORS,
                    None,
                    format!(
                        "发展对象应当有{}名正式党员作入党介绍人（{}），现有{n}名。",
                        rules.sponsors_required,
                        cite(ART_SPONSORS)
                    ),
                );
            }
            for p in file.sponsors.iter().filter(|p| !p.full_member) {
                refuse(
                    RuleCode::SponsorNotFullMember,
                    ART_SPONSORS,
                    None,
                    format!(
                        "入党介绍人{}不是正式党员，入党介绍人应由正式党员担任（{}）。",
                        p.name,
                        cite(ART_SPONSORS)
                    ),
                );
            }
        }
        Step::Training => {
            if let Some(r) = training_refusal(rules, file) {
                refuse(RuleCode::TrainingInsufficient, ART_TRAINING, None, r);
            }
        }
        Step::CommitteeReview => {
            if file.political_review_passed != Some(true) {
                let why = match file.political_review_passed {
                    Some(false) => "政治审查结论为不合格",
                    _ => "档案中没有政治审查合格的结论",
                };
                refuse(
                    RuleCode::PoliticalReviewNotPassed,
                    ART_POLITICAL,
                    None,
                    format!(
                        "{why}，凡未经政治审查或政治审查不合格的，不能发展入党（{}）。",
                        cite(ART_POLITICAL)
                    ),
                );
            }
            if let Some(r) = training_refusal(rules, file) {
                refuse(RuleCode::TrainingInsufficient, ART_TRAINING, None, r);
            }
        }
        Step::AdmissionApproval | Step::ConversionApproval => {
            let (meeting_step, article) = if step == Step::AdmissionApproval {
                (Step::AdmissionMeeting, ART_ADMISSION)
            } else {
                (Step::ConversionMeeting, ART_CONVERSION)
            };
            if let Some(held) = file.date_of(meeting_step) {
                let within = add_months(held, rules.approval_within_months);
                let max = add_months(held, rules.approval_extended_max_months);
                if on > max {
                    warn(
                        RuleCode::ApprovalOverdue,
                        article,
                        format!(
                            "上级党委应在{}（{held}）后{}内审批，特殊情况最长不超过{}，即{max}前（{}），{on}审批已超过最长期限。",
                            meeting_step.title(),
                            months_cn(rules.approval_within_months),
                            months_cn(rules.approval_extended_max_months),
                            cite(article)
                        ),
                    );
                } else if on > within {
                    warn(
                        RuleCode::ApprovalLate,
                        article,
                        format!(
                            "上级党委应在{}（{held}）后{}内、即{within}前审批（{}），{on}审批已超过时限，须说明特殊情况。",
                            meeting_step.title(),
                            months_cn(rules.approval_within_months),
                            cite(article)
                        ),
                    );
                }
            }
        }
        Step::ConversionApplication => {
            if let Some(end) = file.probation_end(rules) {
                let from = end
                    .checked_sub_days(chrono::Days::new(u64::from(
                        rules.conversion_application_lead_days,
                    )))
                    .unwrap_or(end);
                if on < from {
                    refuse(
                        RuleCode::ConversionApplicationEarly,
                        ART_LOCAL,
                        Some(from),
                        format!(
                            "预备期至{end}期满，转正申请自{from}起方可提出（{}：预备期满前{}日内提出），{on}过早。",
                            ART_LOCAL, rules.conversion_application_lead_days
                        ),
                    );
                }
            }
        }
        Step::ConversionMeeting => {
            if let (Some(start), Some(end)) = (file.probation_start(), file.probation_end(rules)) {
                if on < end {
                    refuse(
                        RuleCode::ProbationNotOver,
                        ART_PROBATION,
                        Some(end),
                        probation_not_over(file, start, end, on),
                    );
                }
            }
        }
        _ => {}
    }

    if let Some(kind) = step.required_meeting(file.branch_has_committee) {
        if let Some(r) = meeting_refusal(file, step, kind, on, meeting) {
            refusals.push(r);
        }
    }
    (refusals, warnings)
}

fn training_refusal(rules: &RecruitmentRules, file: &File) -> Option<String> {
    let rule = format!(
        "发展对象集中培训时间一般不少于{}天（或不少于{}个学时）（{}）",
        rules.training_min_days,
        rules.training_min_class_hours,
        cite(ART_TRAINING)
    );
    match file.training {
        None => Some(format!("{rule}，档案中没有培训记录。")),
        Some(t)
            if t.days < rules.training_min_days
                && t.class_hours < rules.training_min_class_hours =>
        {
            Some(format!(
                "{rule}，现记录为{}天、{}学时。",
                t.days, t.class_hours
            ))
        }
        Some(_) => None,
    }
}

fn probation_not_over(file: &File, start: NaiveDate, end: NaiveDate, on: NaiveDate) -> String {
    let extended = if file.extension.is_some() {
        "（含延长的预备期）"
    } else {
        ""
    };
    format!(
        "预备期从支部大会通过之日（{start}）算起，至{end}期满{extended}，自{end}起方可讨论转正（{}），{on}预备期未满。",
        cite(ART_PROBATION)
    )
}

fn meeting_refusal(
    file: &File,
    step: Step,
    kind: MeetingKind,
    on: NaiveDate,
    meeting: Option<&MeetingRef>,
) -> Option<Refusal> {
    let article = if step.meeting() == Some(MeetingKind::Committee) && !file.branch_has_committee {
        ART_ACTIVIST
    } else {
        step.article()
    };
    let who = if kind == step.meeting().unwrap_or(kind) {
        String::new()
    } else {
        "本支部未设支部委员会，".to_string()
    };
    let (code, message) = match meeting {
        None => (
            RuleCode::MeetingMissing,
            format!(
                "{who}{}须经{}讨论决定（{}），请关联{on}召开的{}。",
                step.title(),
                kind.label(),
                cite(article),
                kind.label()
            ),
        ),
        Some(m) if m.kind != kind => (
            RuleCode::MeetingWrongKind,
            format!(
                "{who}{}须经{}讨论决定（{}），所关联的会议（编号{}）是{}。",
                step.title(),
                kind.label(),
                cite(article),
                m.id,
                m.kind.label()
            ),
        ),
        Some(m) if m.held_on != on => (
            RuleCode::MeetingDateMismatch,
            format!(
                "所关联的{}（编号{}）召开于{}，与{}的办理日期{on}不一致。",
                kind.label(),
                m.id,
                m.held_on,
                step.title()
            ),
        ),
        Some(_) => return None,
    };
    Some(Refusal {
        code,
        step,
        article,
        allowed_from: None,
        message,
    })
}

// ---------------------------------------------------------------------------------------------
// Probation
// ---------------------------------------------------------------------------------------------

/// Whether the 支部党员大会 held on `on` (`meeting`) may decide `decision` on the probation.
/// 按期转正 from the end of the probation; 延长预备期 once, by 6–12 months counted from the original
/// end, at the end or earlier (a minor breach of discipline, 《细则》第三十二条); 取消预备党员资格
/// at any time of the probation, with a reason. All need a 预备党员 (step 17 recorded) whose 转正
/// has not been discussed (step 23), and a 支部党员大会 held that day.
pub fn probation_outcome(
    rules: &RecruitmentRules,
    file: &File,
    decision: &ProbationDecision,
    on: NaiveDate,
    meeting: Option<&MeetingRef>,
) -> Result<OutcomeVerdict, Refusal> {
    let step = Step::ConversionMeeting;
    let refuse = |code, article, allowed_from, message: String| {
        Err(Refusal {
            code,
            step,
            article,
            allowed_from,
            message,
        })
    };
    let kind = decision.kind();
    if let Some(c) = file.cancelled.as_ref().filter(|c| c.on <= on) {
        return refuse(
            RuleCode::FileClosed,
            ART_PROBATION,
            None,
            format!(
                "{}已于{}被取消预备党员资格，不能再作出“{}”的决定。",
                file.name,
                c.on,
                kind.label()
            ),
        );
    }
    let approved = match file.date_of(Step::AdmissionApproval) {
        Some(d) => d,
        None => {
            return refuse(
                RuleCode::NotProbationary,
                ART_PROBATION,
                None,
                format!(
                    "{}尚未经上级党委审批为预备党员，不能作出“{}”的决定。",
                    file.name,
                    kind.label()
                ),
            )
        }
    };
    if on < approved {
        return refuse(
            RuleCode::BeforePreviousStep,
            ART_PROBATION,
            Some(approved),
            format!(
                "“{}”的决定不能早于上级党委审批接收预备党员之日（{approved}），{on}过早。",
                kind.label()
            ),
        );
    }
    if let Some(d) = file.date_of(Step::ConversionMeeting) {
        return refuse(
            RuleCode::AlreadyConverted,
            ART_PROBATION,
            None,
            format!(
                "支部大会已于{d}讨论转正，不能再作出“{}”的决定。",
                kind.label()
            ),
        );
    }
    // Step 17 recorded implies step 15 in a regular file; fall back to the approval day.
    let start = file.probation_start().unwrap_or(approved);
    let original_end = add_months(start, rules.probation_months);
    let end = file.probation_end(rules).unwrap_or(original_end);

    let (new_end, full_from, stage, explanation) = match decision {
        ProbationDecision::OnTime => {
            if on < end {
                return refuse(
                    RuleCode::ProbationNotOver,
                    ART_PROBATION,
                    Some(end),
                    probation_not_over(file, start, end, on),
                );
            }
            let what = if file.extension.is_some() {
                "延长的预备期"
            } else {
                "预备期"
            };
            (
                None,
                Some(end),
                Stage::Full,
                format!(
                    "{}{what}至{end}期满，支部大会于{on}讨论同意转为正式党员，报上级党委批准后自{end}起为正式党员（{}）。",
                    file.name,
                    cite(ART_PROBATION)
                ),
            )
        }
        ProbationDecision::Extend { months } => {
            if let Some(e) = &file.extension {
                return refuse(
                    RuleCode::ExtensionRepeated,
                    ART_PROBATION,
                    None,
                    format!(
                        "预备期只能延长一次（{}），已于{}延长{}个月。",
                        cite(ART_PROBATION),
                        e.decided_on,
                        e.months
                    ),
                );
            }
            if *months < rules.extension_min_months || *months > rules.extension_max_months {
                return refuse(
                    RuleCode::ExtensionMonths,
                    ART_PROBATION,
                    None,
                    format!(
                        "延长预备期的时间不能少于{}个月、最长不超过{}个月（{}），现为{months}个月。",
                        rules.extension_min_months,
                        rules.extension_max_months,
                        cite(ART_PROBATION)
                    ),
                );
            }
            let new_end = add_months(original_end, *months);
            (
                Some(new_end),
                None,
                Stage::Probationary,
                format!(
                    "{}的预备期原至{original_end}期满，支部大会于{on}决定延长{months}个月，至{new_end}期满，报上级党委批准（{}）。",
                    file.name,
                    cite(ART_PROBATION)
                ),
            )
        }
        ProbationDecision::Cancel { reason } => {
            if reason.trim().is_empty() {
                return refuse(
                    RuleCode::ReasonMissing,
                    ART_PROBATION,
                    None,
                    "取消预备党员资格须写明理由（不履行党员义务、不具备党员条件或违犯党纪情节较重）。".to_string(),
                );
            }
            (
                None,
                None,
                Stage::Cancelled,
                format!(
                    "支部大会于{on}决定取消{}的预备党员资格（{}），报上级党委批准（{}）。",
                    file.name,
                    reason.trim(),
                    cite(ART_PROBATION)
                ),
            )
        }
    };
    if let Some(r) = meeting_refusal(file, step, MeetingKind::GeneralAssembly, on, meeting) {
        return Err(r);
    }
    Ok(OutcomeVerdict {
        kind,
        decided_on: on,
        probation_start: start,
        probation_end: end,
        new_probation_end: new_end,
        full_member_from: full_from,
        stage,
        explanation,
    })
}

// ---------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------

/// Everything wrong with a file: each recorded step is checked, on its own date and with its
/// meeting, against the file as it stood before it (the steps numbered below it), so a file
/// built through [`check_step`] without warnings has none. The extension and the cancellation
/// are checked through [`probation_outcome`]. Half-yearly reviews are judged up to 确定发展对象;
/// with no clock here, an open activist period is not judged.
pub fn irregular(rules: &RecruitmentRules, file: &File) -> Vec<Irregularity> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for r in &file.steps {
        if !seen.insert(r.step) {
            let first = file.date_of(r.step).unwrap_or(r.on);
            out.push(Irregularity {
                code: RuleCode::DuplicateStep,
                step: Some(r.step),
                article: r.step.article(),
                message: format!(
                    "{}有重复记录（{first}、{}），请核对。",
                    r.step.title(),
                    r.on
                ),
            });
        }
    }
    let firsts: Vec<StepRecord> = Step::ALL
        .iter()
        .filter_map(|&s| file.record(s).cloned())
        .collect();
    for r in &firsts {
        let before = File {
            steps: firsts.iter().filter(|p| p.step < r.step).cloned().collect(),
            extension: file.extension.clone().filter(|e| e.decided_on <= r.on),
            ..file.clone()
        };
        let (meeting, unknown) = lookup_meeting(file, r.meeting_id);
        if let Some(id) = unknown {
            out.push(Irregularity {
                code: RuleCode::MeetingUnknown,
                step: Some(r.step),
                article: r.step.article(),
                message: format!(
                    "档案记载{}办理{}，所关联的会议（编号{id}）不存在。",
                    r.on,
                    r.step.title()
                ),
            });
        }
        let (refusals, warnings) = assess(rules, &before, r.step, r.on, meeting);
        for f in refusals {
            if unknown.is_some() && f.code == RuleCode::MeetingMissing {
                continue;
            }
            out.push(Irregularity {
                code: f.code,
                step: Some(r.step),
                article: f.article,
                message: format!("档案记载{}办理{}：{}", r.on, r.step.title(), f.message),
            });
        }
        out.extend(warnings);
    }
    let mut outcome =
        |decision: ProbationDecision, on: NaiveDate, meeting_id: Option<i64>, before: File| {
            let (meeting, unknown) = lookup_meeting(file, meeting_id);
            let what = decision.kind().label();
            if let Some(id) = unknown {
                out.push(Irregularity {
                    code: RuleCode::MeetingUnknown,
                    step: Some(Step::ConversionMeeting),
                    article: ART_PROBATION,
                    message: format!("档案记载{on}决定{what}，所关联的会议（编号{id}）不存在。"),
                });
            }
            if let Err(f) = probation_outcome(rules, &before, &decision, on, meeting) {
                if !(unknown.is_some() && f.code == RuleCode::MeetingMissing) {
                    out.push(Irregularity {
                        code: f.code,
                        step: Some(Step::ConversionMeeting),
                        article: f.article,
                        message: format!("档案记载{on}决定{what}：{}", f.message),
                    });
                }
            }
        };
    let before_conversion: Vec<StepRecord> = firsts
        .iter()
        .filter(|p| p.step < Step::ConversionMeeting)
        .cloned()
        .collect();
    if let Some(e) = &file.extension {
        let before = File {
            steps: before_conversion.clone(),
            extension: None,
            cancelled: None,
            ..file.clone()
        };
        outcome(
            ProbationDecision::Extend { months: e.months },
            e.decided_on,
            e.meeting_id,
            before,
        );
    }
    if let Some(c) = &file.cancelled {
        let before = File {
            steps: before_conversion,
            extension: file.extension.clone().filter(|e| e.decided_on <= c.on),
            cancelled: None,
            ..file.clone()
        };
        outcome(
            ProbationDecision::Cancel {
                reason: c.reason.clone(),
            },
            c.on,
            c.meeting_id,
            before,
        );
    }
    out
}

/// The meeting an id points to, or the id when the file does not hold it.
fn lookup_meeting(file: &File, id: Option<i64>) -> (Option<&MeetingRef>, Option<i64>) {
    match id {
        None => (None, None),
        Some(id) => match file.meeting(id) {
            Some(m) => (Some(m), None),
            None => (None, Some(id)),
        },
    }
}

/// The flag for a village whose branches admitted no new member (the higher committee's
/// approval, step 17) for `no_new_member_years` or more: flagged from the anniversary on.
/// A village with no admission on record is flagged too.
pub fn no_new_member_flag(
    rules: &RecruitmentRules,
    last_admission: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<String> {
    let years = rules.no_new_member_years;
    match last_admission {
        None => Some(format!(
            "没有发展党员的记录，按连续{years}年以上未发展党员的村核实（{SOURCE_NO_NEW_MEMBER}）。"
        )),
        Some(last) => {
            let since = birthday(last, years);
            (today >= since).then(|| {
                format!(
                    "上次发展党员在{last}，至{today}已连续{years}年以上未发展党员（自{since}起满{years}年；{SOURCE_NO_NEW_MEMBER}）。"
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::value::{Error as DeError, MapDeserializer};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn person(name: &str, full: bool) -> Person {
        Person {
            member_id: None,
            name: name.into(),
            full_member: full,
        }
    }

    fn empty_file(birth: NaiveDate) -> File {
        File::new("张三", birth)
    }

    /// Records a step, with a meeting of the kind it needs held that day. Panics if refused.
    fn take(rules: &RecruitmentRules, file: &mut File, step: Step, on: NaiveDate) -> Allowed {
        let meeting = next_meeting(file, step, on);
        let allowed = check_step(rules, file, step, on, meeting.as_ref())
            .unwrap_or_else(|r| panic!("{} refused: {}", step.label(), r.message));
        push(file, step, on, meeting);
        allowed
    }

    fn next_meeting(file: &File, step: Step, on: NaiveDate) -> Option<MeetingRef> {
        step.required_meeting(file.branch_has_committee)
            .map(|kind| MeetingRef {
                id: 100 + file.meetings.len() as i64,
                kind,
                held_on: on,
            })
    }

    fn push(file: &mut File, step: Step, on: NaiveDate, meeting: Option<MeetingRef>) {
        file.steps.push(StepRecord {
            step,
            on,
            body: step.body().label().into(),
            meeting_id: meeting.as_ref().map(|m| m.id),
            note: None,
        });
        file.meetings.extend(meeting);
    }

    fn ga(id: i64, on: NaiveDate) -> MeetingRef {
        MeetingRef {
            id,
            kind: MeetingKind::GeneralAssembly,
            held_on: on,
        }
    }

    /// A file taken through every step up to and including `last`, on the happy path's dates.
    fn file_up_to(last: Step) -> File {
        let rules = RecruitmentRules::default();
        let mut f = empty_file(d(1990, 5, 1));
        f.contacts = vec![person("李四", true)];
        f.sponsors = vec![person("李四", true), person("王五", true)];
        f.reviews = vec![d(2024, 9, 1), d(2025, 3, 1)];
        f.political_review_passed = Some(true);
        f.training = Some(Training {
            days: 3,
            class_hours: 24,
        });
        for &(step, on) in HAPPY.iter() {
            take(&rules, &mut f, step, on);
            if step == last {
                break;
            }
        }
        f
    }

    const HAPPY: [(Step, NaiveDate); 25] = {
        const fn d(y: i32, m: u32, day: u32) -> NaiveDate {
            match NaiveDate::from_ymd_opt(y, m, day) {
                Some(x) => x,
                None => panic!(),
            }
        }
        use Step::*;
        [
            (Application, d(2024, 1, 10)),
            (Talk, d(2024, 2, 5)),
            (ActivistDecision, d(2024, 3, 5)),
            (ActivistFiling, d(2024, 3, 12)),
            (Contacts, d(2024, 3, 5)),
            (ActivistEducation, d(2024, 3, 15)),
            (TargetDecision, d(2025, 3, 5)),
            (TargetFiling, d(2025, 3, 10)),
            (Sponsors, d(2025, 3, 12)),
            (PoliticalReview, d(2025, 4, 10)),
            (Training, d(2025, 4, 20)),
            (CommitteeReview, d(2025, 5, 6)),
            (PreReview, d(2025, 5, 20)),
            (ApplicationForm, d(2025, 5, 25)),
            (AdmissionMeeting, d(2025, 6, 10)),
            (ApprovalTalk, d(2025, 6, 20)),
            (AdmissionApproval, d(2025, 7, 15)),
            (AdmissionFiling, d(2025, 7, 25)),
            (GroupAssignment, d(2025, 7, 20)),
            (Oath, d(2025, 7, 20)),
            (ProbationEducation, d(2025, 7, 21)),
            (ConversionApplication, d(2026, 5, 20)),
            (ConversionMeeting, d(2026, 6, 10)),
            (ConversionApproval, d(2026, 7, 1)),
            (Archiving, d(2026, 7, 10)),
        ]
    };

    fn refused(r: Result<Allowed, Refusal>) -> Refusal {
        match r {
            Ok(a) => panic!("expected a refusal, allowed: {}", a.explanation),
            Err(r) => r,
        }
    }

    fn codes(v: &[Irregularity]) -> Vec<&'static str> {
        v.iter().map(|i| i.code.code()).collect()
    }

    #[test]
    fn the_25_steps() {
        assert_eq!(Step::ALL.len(), 25);
        for (i, s) in Step::ALL.iter().enumerate() {
            assert_eq!(s.number() as usize, i + 1);
            assert_eq!(Step::parse(s.label()), Some(*s));
            assert_eq!(Step::parse(s.code()), Some(*s));
            assert!(s.prerequisites().iter().all(|p| p < s), "{s:?}");
            assert!(s.article().starts_with('第'), "{s:?}");
        }
        let labels: BTreeSet<&str> = Step::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(labels.len(), 25);
        // Stages never go back along the steps.
        assert!(Step::ALL.windows(2).all(|w| w[0].stage() <= w[1].stage()));
        assert_eq!(Step::Talk.stage(), Stage::Applicant);
        assert_eq!(Step::ActivistDecision.stage(), Stage::Activist);
        assert_eq!(Step::TargetDecision.stage(), Stage::Target);
        assert_eq!(Step::AdmissionApproval.stage(), Stage::Probationary);
        assert_eq!(Step::ConversionApproval.stage(), Stage::Full);
        assert_eq!(Step::Archiving.phase(), Phase::Probation);
        assert_eq!(Step::CommitteeReview.phase(), Phase::Admission);
        let meetings: Vec<(u8, MeetingKind)> = Step::ALL
            .iter()
            .filter_map(|s| s.meeting().map(|m| (s.number(), m)))
            .collect();
        use MeetingKind::*;
        assert_eq!(
            meetings,
            vec![
                (3, Committee),
                (7, Committee),
                (12, Committee),
                (15, GeneralAssembly),
                (23, GeneralAssembly)
            ]
        );
        assert_eq!(
            Step::TargetDecision.required_meeting(false),
            Some(GeneralAssembly)
        );
        assert_eq!(Step::TargetFiling.required_meeting(true), None);
        assert_eq!(Step::TargetDecision.title(), "第7步“确定发展对象”");
        assert_eq!(Step::ConversionMeeting.label(), "支部大会讨论（转正）");
    }

    #[test]
    fn age_boundary_is_the_18th_birthday() {
        let rules = RecruitmentRules::default();
        let f = empty_file(d(2008, 3, 5));
        let r = refused(check_step(
            &rules,
            &f,
            Step::Application,
            d(2026, 3, 4),
            None,
        ));
        assert_eq!(r.code, RuleCode::UnderAge);
        assert_eq!(r.article, "第五条");
        assert_eq!(r.allowed_from, Some(d(2026, 3, 5)));
        assert_eq!(
            r.message,
            "年满18岁方可申请入党（《细则》第五条）：张三生于2008-03-05，自2026-03-05起方可递交入党申请书，2026-03-04尚未满18岁。"
        );
        let a = check_step(&rules, &f, Step::Application, d(2026, 3, 5), None).unwrap();
        assert_eq!(a.stage, Stage::Applicant);
        assert!(a.warnings.is_empty());
        assert_eq!(
            a.explanation,
            "2026-03-05可以办理第1步“递交入党申请书”（《细则》第六条，由本人办理），办理后为入党申请人。"
        );
    }

    #[test]
    fn leap_day_birthday() {
        let rules = RecruitmentRules::default();
        let f = empty_file(d(2008, 2, 29));
        // 2026 has no 29 February: 18 on the month's last day.
        let r = refused(check_step(
            &rules,
            &f,
            Step::Application,
            d(2026, 2, 27),
            None,
        ));
        assert_eq!(r.allowed_from, Some(d(2026, 2, 28)));
        assert!(check_step(&rules, &f, Step::Application, d(2026, 2, 28), None).is_ok());
        // In a leap year the birthday itself.
        let twenty = RecruitmentRules {
            min_age_years: 20,
            ..rules
        };
        assert_eq!(birthday(d(2008, 2, 29), 20), d(2028, 2, 29));
        assert!(check_step(&twenty, &f, Step::Application, d(2028, 2, 28), None).is_err());
        assert!(check_step(&twenty, &f, Step::Application, d(2028, 2, 29), None).is_ok());
    }

    #[test]
    fn talk_within_one_month() {
        let rules = RecruitmentRules::default();
        let mut f = empty_file(d(1990, 1, 1));
        let r = refused(check_step(&rules, &f, Step::Talk, d(2026, 3, 5), None));
        assert_eq!(r.code, RuleCode::MissingPreviousStep);
        take(&rules, &mut f, Step::Application, d(2026, 3, 5));
        let r = refused(check_step(&rules, &f, Step::Talk, d(2026, 3, 4), None));
        assert_eq!(r.code, RuleCode::BeforePreviousStep);
        assert_eq!(r.allowed_from, Some(d(2026, 3, 5)));
        assert!(check_step(&rules, &f, Step::Talk, d(2026, 4, 5), None)
            .unwrap()
            .warnings
            .is_empty());
        let late = check_step(&rules, &f, Step::Talk, d(2026, 4, 6), None).unwrap();
        assert_eq!(codes(&late.warnings), vec!["talk_late"]);
        assert_eq!(
            late.warnings[0].message,
            "党组织应在收到入党申请书（2026-03-05）后一个月内、即2026-04-05前派人谈话（《细则》第七条），2026-04-06谈话已超过时限。"
        );
        // 31 January: the month ends on the last day of February.
        let mut g = empty_file(d(1990, 1, 1));
        take(&rules, &mut g, Step::Application, d(2026, 1, 31));
        assert!(check_step(&rules, &g, Step::Talk, d(2026, 2, 28), None)
            .unwrap()
            .warnings
            .is_empty());
        assert_eq!(
            check_step(&rules, &g, Step::Talk, d(2026, 3, 1), None)
                .unwrap()
                .warnings
                .len(),
            1
        );
    }

    #[test]
    fn activist_one_year_before_target() {
        let rules = RecruitmentRules::default();
        let mut f = file_up_to(Step::ActivistEducation);
        assert_eq!(f.stage(), Stage::Activist);
        // Activist on 2024-03-05.
        let r = refused(check_step(
            &rules,
            &f,
            Step::TargetDecision,
            d(2025, 3, 4),
            None,
        ));
        assert_eq!(r.code, RuleCode::ActivistPeriodShort);
        assert_eq!(r.article, "第十三条");
        assert_eq!(r.allowed_from, Some(d(2025, 3, 5)));
        assert_eq!(
            r.message,
            "确定为入党积极分子（2024-03-05）满一年（2025-03-05）后方可确定为发展对象（《细则》第十三条），2025-03-04尚不满一年。"
        );
        let m = next_meeting(&f, Step::TargetDecision, d(2025, 3, 5));
        let a = check_step(&rules, &f, Step::TargetDecision, d(2025, 3, 5), m.as_ref()).unwrap();
        assert!(a.warnings.is_empty(), "{:?}", a.warnings);
        assert_eq!(a.stage, Stage::Target);
        // A county may ask for 18 months.
        let strict = RecruitmentRules {
            activist_min_months: 18,
            ..rules.clone()
        };
        assert_eq!(strict.validate(), Ok(()));
        let r = refused(check_step(
            &strict,
            &f,
            Step::TargetDecision,
            d(2025, 9, 4),
            None,
        ));
        assert_eq!(r.allowed_from, Some(d(2025, 9, 5)));
        assert!(
            r.message.contains("满18个月（2025-09-05）"),
            "{}",
            r.message
        );
        take(&strict, &mut f, Step::TargetDecision, d(2025, 9, 5));
    }

    #[test]
    fn reviews_every_six_months() {
        let rules = RecruitmentRules::default();
        let start = d(2025, 3, 5);
        let until = d(2026, 3, 5);
        assert!(missing_reviews(&rules, start, until, &[d(2025, 9, 5), d(2026, 3, 5)]).is_empty());
        // One day late for the first half-year.
        assert_eq!(
            missing_reviews(&rules, start, until, &[d(2025, 9, 6), d(2026, 3, 5)]),
            vec![(d(2025, 3, 5), d(2025, 9, 5))]
        );
        // The half-year ending after `until` is not judged yet.
        assert!(missing_reviews(&rules, start, d(2026, 3, 4), &[d(2025, 9, 5)]).is_empty());
        assert_eq!(missing_reviews(&rules, start, until, &[]).len(), 2);
        // Through check_step: a warning, not a refusal.
        let mut f = file_up_to(Step::ActivistEducation);
        f.reviews = vec![d(2024, 9, 6), d(2025, 3, 1)];
        let m = next_meeting(&f, Step::TargetDecision, d(2025, 3, 5));
        let a = check_step(&rules, &f, Step::TargetDecision, d(2025, 3, 5), m.as_ref()).unwrap();
        assert_eq!(codes(&a.warnings), vec!["reviews_missing"]);
        assert_eq!(
            a.warnings[0].message,
            "党支部应每半年对入党积极分子考察一次（《细则》第十一条），2024-03-05至2024-09-05期间没有考察记录。"
        );
    }

    #[test]
    fn contacts_and_sponsors() {
        let rules = RecruitmentRules::default();
        let mut f = file_up_to(Step::ActivistFiling);
        for n in [0, 3] {
            f.contacts = (0..n).map(|i| person(&format!("党员{i}"), true)).collect();
            let r = refused(check_step(&rules, &f, Step::Contacts, d(2024, 3, 5), None));
            assert_eq!(r.code, RuleCode::ContactsCount);
            assert_eq!(r.article, "第九条");
        }
        f.contacts = vec![person("李四", true), person("赵六", false)];
        let r = refused(check_step(&rules, &f, Step::Contacts, d(2024, 3, 5), None));
        assert_eq!(r.code, RuleCode::ContactNotFullMember);
        assert!(
            r.message.starts_with("培养联系人赵六不是正式党员"),
            "{}",
            r.message
        );
        f.contacts = vec![person("李四", true), person("赵六", true)];
        assert!(check_step(&rules, &f, Step::Contacts, d(2024, 3, 5), None).is_ok());

        let mut f = file_up_to(Step::TargetFiling);
        f.sponsors = vec![person("李四", true)];
        let r = refused(check_step(&rules, &f, Step::Sponsors, d(2025, 3, 12), None));
        assert_eq!(r.code, RuleCode::SponsorsCount);
        assert_eq!(
            r.message,
            "发展对象应当有2名正式党员作入党介绍人（《细则》第十四条），现有1名。"
        );
        f.sponsors = vec![person("李四", true), person("孙七", false)];
        let r = refused(check_step(&rules, &f, Step::Sponsors, d(2025, 3, 12), None));
        assert_eq!(r.code, RuleCode::SponsorNotFullMember);
        f.sponsors[1].full_member = true;
        assert!(check_step(&rules, &f, Step::Sponsors, d(2025, 3, 12), None).is_ok());
    }

    #[test]
    fn training_boundary_and_political_review() {
        let rules = RecruitmentRules::default();
        let mut f = file_up_to(Step::PoliticalReview);
        let on = d(2025, 4, 20);
        for (days, hours, ok) in [(2, 23, false), (2, 24, true), (3, 0, true), (0, 23, false)] {
            f.training = Some(Training {
                days,
                class_hours: hours,
            });
            let r = check_step(&rules, &f, Step::Training, on, None);
            assert_eq!(r.is_ok(), ok, "{days} days, {hours} hours");
        }
        f.training = Some(Training {
            days: 2,
            class_hours: 23,
        });
        let r = refused(check_step(&rules, &f, Step::Training, on, None));
        assert_eq!(r.code, RuleCode::TrainingInsufficient);
        assert_eq!(r.article, "第十七条");
        assert_eq!(
            r.message,
            "发展对象集中培训时间一般不少于3天（或不少于24个学时）（《细则》第十七条），现记录为2天、23学时。"
        );
        f.training = None;
        assert!(refused(check_step(&rules, &f, Step::Training, on, None))
            .message
            .ends_with("档案中没有培训记录。"));

        let mut f = file_up_to(Step::Training);
        let on = d(2025, 5, 6);
        let m = next_meeting(&f, Step::CommitteeReview, on);
        for passed in [None, Some(false)] {
            f.political_review_passed = passed;
            let r = refused(check_step(
                &rules,
                &f,
                Step::CommitteeReview,
                on,
                m.as_ref(),
            ));
            assert_eq!(r.code, RuleCode::PoliticalReviewNotPassed);
            assert_eq!(r.article, "第十六条");
        }
        f.political_review_passed = Some(true);
        assert!(check_step(&rules, &f, Step::CommitteeReview, on, m.as_ref()).is_ok());
    }

    #[test]
    fn meetings_of_the_right_kind_on_the_day() {
        let rules = RecruitmentRules::default();
        let mut f = file_up_to(Step::Talk);
        let on = d(2024, 3, 5);
        let r = refused(check_step(&rules, &f, Step::ActivistDecision, on, None));
        assert_eq!(r.code, RuleCode::MeetingMissing);
        assert_eq!(
            r.message,
            "第3步“推荐和确定入党积极分子”须经支部委员会讨论决定（《细则》第八条），请关联2024-03-05召开的支部委员会。"
        );
        let wrong = ga(7, on);
        let r = refused(check_step(
            &rules,
            &f,
            Step::ActivistDecision,
            on,
            Some(&wrong),
        ));
        assert_eq!(r.code, RuleCode::MeetingWrongKind);
        assert!(
            r.message.ends_with("所关联的会议（编号7）是支部党员大会。"),
            "{}",
            r.message
        );
        let other_day = MeetingRef {
            id: 8,
            kind: MeetingKind::Committee,
            held_on: d(2024, 3, 4),
        };
        let r = refused(check_step(
            &rules,
            &f,
            Step::ActivistDecision,
            on,
            Some(&other_day),
        ));
        assert_eq!(r.code, RuleCode::MeetingDateMismatch);
        // A branch without a committee decides in its general meeting.
        f.branch_has_committee = false;
        assert!(check_step(&rules, &f, Step::ActivistDecision, on, Some(&wrong)).is_ok());
        let r = refused(check_step(
            &rules,
            &f,
            Step::ActivistDecision,
            on,
            Some(&other_day),
        ));
        assert_eq!(r.code, RuleCode::MeetingWrongKind);
        assert!(
            r.message.starts_with("本支部未设支部委员会，"),
            "{}",
            r.message
        );
        // Steps of the higher committee need no branch meeting.
        let f = file_up_to(Step::ActivistDecision);
        assert!(check_step(&rules, &f, Step::ActivistFiling, d(2024, 3, 12), None).is_ok());
    }

    #[test]
    fn order_repeats_and_closed_files() {
        let rules = RecruitmentRules::default();
        let mut f = file_up_to(Step::TargetFiling);
        let r = refused(check_step(
            &rules,
            &f,
            Step::CommitteeReview,
            d(2025, 5, 6),
            None,
        ));
        assert_eq!(r.code, RuleCode::MissingPreviousStep);
        assert_eq!(
            r.message,
            "第12步“支部委员会审查”须在第9步“确定入党介绍人”之后办理，档案中尚无第9步“确定入党介绍人”的记录（《细则》第十九条）。"
        );
        let r = refused(check_step(&rules, &f, Step::Talk, d(2024, 2, 6), None));
        assert_eq!(r.code, RuleCode::AlreadyRecorded);
        // Steps 9, 10 and 11 in any order after step 8.
        take(&rules, &mut f, Step::Training, d(2025, 3, 20));
        take(&rules, &mut f, Step::Sponsors, d(2025, 3, 21));
        f.withdrawn = Some(Withdrawal {
            on: d(2025, 4, 1),
            reason: "本人撤回申请".into(),
        });
        assert_eq!(f.stage(), Stage::Withdrawn);
        assert!(check_step(&rules, &f, Step::PoliticalReview, d(2025, 3, 31), None).is_ok());
        let r = refused(check_step(
            &rules,
            &f,
            Step::PoliticalReview,
            d(2025, 4, 1),
            None,
        ));
        assert_eq!(r.code, RuleCode::FileClosed);
        assert_eq!(
            r.message,
            "张三的发展程序已于2025-04-01终止（本人撤回申请），不能再办理第10步“进行政治审查”。"
        );
    }

    #[test]
    fn admission_approval_time_limit() {
        let rules = RecruitmentRules::default();
        let f = file_up_to(Step::ApprovalTalk);
        // Admitted by the general meeting on 2025-06-10.
        let w = |on| {
            check_step(&rules, &f, Step::AdmissionApproval, on, None)
                .unwrap()
                .warnings
        };
        assert!(w(d(2025, 9, 10)).is_empty());
        assert_eq!(codes(&w(d(2025, 9, 11))), vec!["approval_late"]);
        assert_eq!(codes(&w(d(2025, 12, 10))), vec!["approval_late"]);
        assert_eq!(codes(&w(d(2025, 12, 11))), vec!["approval_overdue"]);
        assert_eq!(w(d(2025, 9, 11))[0].article, "第四章");
        let slow = RecruitmentRules {
            approval_within_months: 4,
            ..rules.clone()
        };
        assert!(
            check_step(&slow, &f, Step::AdmissionApproval, d(2025, 10, 10), None)
                .unwrap()
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn probation_ends_after_one_year() {
        let rules = RecruitmentRules::default();
        let f = file_up_to(Step::ProbationEducation);
        assert_eq!(f.stage(), Stage::Probationary);
        assert_eq!(f.probation_end(&rules), Some(d(2026, 6, 10)));
        // The 转正申请: 30 days before the end at the earliest (local default).
        let r = refused(check_step(
            &rules,
            &f,
            Step::ConversionApplication,
            d(2026, 5, 10),
            None,
        ));
        assert_eq!(r.code, RuleCode::ConversionApplicationEarly);
        assert_eq!(r.allowed_from, Some(d(2026, 5, 11)));
        assert_eq!(r.article, "本地规定");
        let f = file_up_to(Step::ConversionApplication);
        let day_before = d(2026, 6, 9);
        let r = refused(check_step(
            &rules,
            &f,
            Step::ConversionMeeting,
            day_before,
            Some(&ga(1, day_before)),
        ));
        assert_eq!(r.code, RuleCode::ProbationNotOver);
        assert_eq!(r.allowed_from, Some(d(2026, 6, 10)));
        assert_eq!(
            r.message,
            "预备期从支部大会通过之日（2025-06-10）算起，至2026-06-10期满，自2026-06-10起方可讨论转正（《细则》第三十二条），2026-06-09预备期未满。"
        );
        let r = probation_outcome(
            &rules,
            &f,
            &ProbationDecision::OnTime,
            day_before,
            Some(&ga(1, day_before)),
        );
        assert_eq!(r.unwrap_err().code, RuleCode::ProbationNotOver);
        let on = d(2026, 6, 10);
        assert!(check_step(&rules, &f, Step::ConversionMeeting, on, Some(&ga(1, on))).is_ok());
        let v = probation_outcome(&rules, &f, &ProbationDecision::OnTime, on, Some(&ga(1, on)))
            .unwrap();
        assert_eq!(v.kind, OutcomeKind::OnTime);
        assert_eq!(v.full_member_from, Some(on));
        assert_eq!(v.stage, Stage::Full);
        assert_eq!(
            v.explanation,
            "张三预备期至2026-06-10期满，支部大会于2026-06-10讨论同意转为正式党员，报上级党委批准后自2026-06-10起为正式党员（《细则》第三十二条）。"
        );
        // Without a general meeting, refused.
        let r = probation_outcome(&rules, &f, &ProbationDecision::OnTime, on, None).unwrap_err();
        assert_eq!(r.code, RuleCode::MeetingMissing);
    }

    #[test]
    fn extension_once_six_to_twelve_months() {
        let rules = RecruitmentRules::default();
        let mut f = file_up_to(Step::ConversionApplication);
        let on = d(2026, 6, 10);
        let m = ga(1, on);
        for months in [5, 13] {
            let r = probation_outcome(
                &rules,
                &f,
                &ProbationDecision::Extend { months },
                on,
                Some(&m),
            )
            .unwrap_err();
            assert_eq!(r.code, RuleCode::ExtensionMonths);
            assert_eq!(r.article, "第三十二条");
        }
        for months in [6, 12] {
            assert!(probation_outcome(
                &rules,
                &f,
                &ProbationDecision::Extend { months },
                on,
                Some(&m)
            )
            .is_ok());
        }
        let v = probation_outcome(
            &rules,
            &f,
            &ProbationDecision::Extend { months: 6 },
            on,
            Some(&m),
        )
        .unwrap();
        assert_eq!(v.new_probation_end, Some(d(2026, 12, 10)));
        assert_eq!(v.stage, Stage::Probationary);
        assert_eq!(
            v.explanation,
            "张三的预备期原至2026-06-10期满，支部大会于2026-06-10决定延长6个月，至2026-12-10期满，报上级党委批准（《细则》第三十二条）。"
        );
        f.meetings.push(m.clone());
        f.extension = Some(Extension {
            decided_on: on,
            months: 6,
            meeting_id: Some(1),
        });
        assert_eq!(f.probation_end(&rules), Some(d(2026, 12, 10)));
        let later = d(2026, 12, 10);
        let r = probation_outcome(
            &rules,
            &f,
            &ProbationDecision::Extend { months: 6 },
            later,
            Some(&ga(2, later)),
        )
        .unwrap_err();
        assert_eq!(r.code, RuleCode::ExtensionRepeated);
        assert_eq!(
            r.message,
            "预备期只能延长一次（《细则》第三十二条），已于2026-06-10延长6个月。"
        );
        // 转正 at the extended end, not the day before.
        let r = refused(check_step(
            &rules,
            &f,
            Step::ConversionMeeting,
            d(2026, 12, 9),
            Some(&ga(2, d(2026, 12, 9))),
        ));
        assert_eq!(r.allowed_from, Some(later));
        assert!(r.message.contains("（含延长的预备期）"), "{}", r.message);
        let v = probation_outcome(
            &rules,
            &f,
            &ProbationDecision::OnTime,
            later,
            Some(&ga(2, later)),
        )
        .unwrap();
        assert_eq!(v.full_member_from, Some(later));
        assert!(
            v.explanation.contains("延长的预备期至2026-12-10期满"),
            "{}",
            v.explanation
        );
        // The extension is counted from the original end even if decided early (a breach of discipline).
        let g = file_up_to(Step::ProbationEducation);
        let early = d(2026, 1, 15);
        let v = probation_outcome(
            &rules,
            &g,
            &ProbationDecision::Extend { months: 12 },
            early,
            Some(&ga(3, early)),
        )
        .unwrap();
        assert_eq!(v.new_probation_end, Some(d(2027, 6, 10)));
    }

    #[test]
    fn cancellation() {
        let rules = RecruitmentRules::default();
        let mut f = file_up_to(Step::ProbationEducation);
        let on = d(2026, 1, 20);
        let blank = ProbationDecision::Cancel {
            reason: "  ".into(),
        };
        assert_eq!(
            probation_outcome(&rules, &f, &blank, on, Some(&ga(1, on)))
                .unwrap_err()
                .code,
            RuleCode::ReasonMissing
        );
        let cancel = ProbationDecision::Cancel {
            reason: "违犯党纪，情节较重".into(),
        };
        let v = probation_outcome(&rules, &f, &cancel, on, Some(&ga(1, on))).unwrap();
        assert_eq!(v.kind, OutcomeKind::Cancel);
        assert_eq!(v.stage, Stage::Cancelled);
        assert_eq!(
            v.explanation,
            "支部大会于2026-01-20决定取消张三的预备党员资格（违犯党纪，情节较重），报上级党委批准（《细则》第三十二条）。"
        );
        f.meetings.push(ga(1, on));
        f.cancelled = Some(Cancellation {
            on,
            reason: "违犯党纪，情节较重".into(),
            meeting_id: Some(1),
        });
        assert_eq!(f.stage(), Stage::Cancelled);
        let r = refused(check_step(
            &rules,
            &f,
            Step::ConversionApplication,
            d(2026, 5, 20),
            None,
        ));
        assert_eq!(r.code, RuleCode::FileClosed);
        let r = probation_outcome(&rules, &f, &ProbationDecision::OnTime, d(2026, 6, 10), None)
            .unwrap_err();
        assert_eq!(r.code, RuleCode::FileClosed);
        assert!(
            irregular(&rules, &f).is_empty(),
            "{:?}",
            irregular(&rules, &f)
        );
        // Not before the higher committee made them a 预备党员.
        let g = file_up_to(Step::ApprovalTalk);
        let r = probation_outcome(&rules, &g, &cancel, on, Some(&ga(1, on))).unwrap_err();
        assert_eq!(r.code, RuleCode::NotProbationary);
    }

    #[test]
    fn happy_path_through_all_25_steps() {
        let rules = RecruitmentRules::default();
        let f = file_up_to(Step::Archiving);
        assert_eq!(f.steps.len(), 25);
        assert_eq!(f.stage(), Stage::Full);
        assert_eq!(f.meetings.len(), 5);
        assert_eq!(irregular(&rules, &f), vec![]);
        let r = refused(check_step(&rules, &f, Step::Archiving, d(2026, 8, 1), None));
        assert_eq!(r.code, RuleCode::AlreadyRecorded);
        let r = probation_outcome(
            &rules,
            &f,
            &ProbationDecision::Extend { months: 6 },
            d(2026, 8, 1),
            None,
        );
        assert_eq!(r.unwrap_err().code, RuleCode::AlreadyConverted);
    }

    #[test]
    fn irregularities_of_a_messy_file() {
        let rules = RecruitmentRules::default();
        let mut f = empty_file(d(2008, 1, 1));
        f.contacts = vec![person("赵六", false)];
        f.sponsors = vec![person("李四", true)];
        f.training = Some(super::Training {
            days: 2,
            class_hours: 16,
        });
        let committee = |id, on| MeetingRef {
            id,
            kind: MeetingKind::Committee,
            held_on: on,
        };
        f.meetings = vec![committee(1, d(2027, 1, 10)), ga(2, d(2027, 6, 1))];
        let rec = |step, on, meeting_id| StepRecord {
            step,
            on,
            body: String::new(),
            meeting_id,
            note: None,
        };
        use Step::*;
        f.steps = vec![
            rec(Application, d(2025, 12, 1), None),       // 17 years old
            rec(Talk, d(2026, 1, 15), None),              // 45 days later
            rec(ActivistDecision, d(2026, 1, 20), None),  // no meeting
            rec(Contacts, d(2026, 1, 20), None),          // not a full member
            rec(ActivistEducation, d(2026, 1, 25), None), // step 4 missing
            rec(TargetDecision, d(2027, 1, 10), Some(1)), // under a year, no reviews
            rec(TargetFiling, d(2027, 1, 15), None),
            rec(Sponsors, d(2027, 1, 16), None), // one sponsor
            rec(PoliticalReview, d(2027, 2, 1), None),
            rec(Training, d(2027, 3, 1), None), // 2 days, 16 hours
            rec(CommitteeReview, d(2027, 4, 1), Some(99)), // no review conclusion; unknown meeting
            rec(PreReview, d(2027, 4, 10), None),
            rec(ApplicationForm, d(2027, 6, 5), None),
            rec(AdmissionMeeting, d(2027, 6, 1), Some(2)), // before the form
            rec(ApprovalTalk, d(2027, 6, 10), None),
            rec(AdmissionApproval, d(2028, 1, 5), None), // seven months after
            rec(Talk, d(2026, 1, 16), None),             // duplicate
        ];
        let found = irregular(&rules, &f);
        let got = codes(&found);
        for want in [
            "duplicate_step",
            "under_age",
            "talk_late",
            "meeting_missing",
            "contact_not_full_member",
            "missing_previous_step",
            "activist_period_short",
            "reviews_missing",
            "sponsors_count",
            "training_insufficient",
            "meeting_unknown",
            "political_review_not_passed",
            "before_previous_step",
            "approval_overdue",
        ] {
            assert!(got.contains(&want), "{want} not in {got:?}");
        }
        assert!(!got.contains(&"meeting_wrong_kind"), "{got:?}");
        assert_eq!(
            got.iter()
                .filter(|c| **c == "training_insufficient")
                .count(),
            2,
            "steps 11 and 12"
        );
        let under_age = found.iter().find(|i| i.code == RuleCode::UnderAge).unwrap();
        assert_eq!(under_age.step, Some(Application));
        assert_eq!(
            under_age.message,
            "档案记载2025-12-01办理第1步“递交入党申请书”：年满18岁方可申请入党（《细则》第五条）：张三生于2008-01-01，自2026-01-01起方可递交入党申请书，2025-12-01尚未满18岁。"
        );
        let missing = found
            .iter()
            .find(|i| i.code == RuleCode::MissingPreviousStep)
            .unwrap();
        assert!(
            missing.message.contains("第4步“上级党委备案”"),
            "{}",
            missing.message
        );
        let reviews: Vec<_> = found
            .iter()
            .filter(|i| i.code == RuleCode::ReviewsMissing)
            .collect();
        assert_eq!(reviews.len(), 1, "one half-year ended before 2027-01-10");

        // A conversion before the year is over, and a second extension.
        let mut g = file_up_to(Step::ConversionApplication);
        g.meetings.push(ga(50, d(2026, 6, 1)));
        g.steps.push(StepRecord {
            step: ConversionMeeting,
            on: d(2026, 6, 1),
            body: String::new(),
            meeting_id: Some(50),
            note: None,
        });
        g.extension = Some(Extension {
            decided_on: d(2026, 5, 25),
            months: 13,
            meeting_id: None,
        });
        assert_eq!(
            codes(&irregular(&rules, &g)),
            vec!["probation_not_over", "extension_months"]
        );
        g.extension.as_mut().unwrap().months = 6;
        assert_eq!(
            codes(&irregular(&rules, &g)),
            vec!["probation_not_over", "meeting_missing"]
        );
    }

    #[test]
    fn no_new_member_for_three_years() {
        let rules = RecruitmentRules::default();
        let last = d(2023, 3, 5);
        assert_eq!(no_new_member_flag(&rules, Some(last), d(2026, 3, 4)), None);
        let flag = no_new_member_flag(&rules, Some(last), d(2026, 3, 5)).unwrap();
        assert!(
            flag.starts_with("上次发展党员在2023-03-05，至2026-03-05已连续3年以上未发展党员（自2026-03-05起满3年；"),
            "{flag}"
        );
        assert!(flag.contains("[004]"), "{flag}");
        assert!(no_new_member_flag(&rules, None, d(2026, 3, 5))
            .unwrap()
            .starts_with("没有发展党员的记录"));
        // Leap day: 2024-02-29 + 3 years = 2027-02-28.
        assert_eq!(
            no_new_member_flag(&rules, Some(d(2024, 2, 29)), d(2027, 2, 27)),
            None
        );
        assert!(no_new_member_flag(&rules, Some(d(2024, 2, 29)), d(2027, 2, 28)).is_some());
    }

    #[test]
    fn rules_validation() {
        let ok = RecruitmentRules::default();
        assert_eq!(ok.validate(), Ok(()));
        let young = RecruitmentRules {
            min_age_years: 16,
            ..ok.clone()
        };
        assert_eq!(
            young.validate().unwrap_err().to_string(),
            "min_age_years为16，不符合《细则》第五条的规定（年满十八岁）"
        );
        let cases: Vec<(RecruitmentRules, &str)> = vec![
            (
                RecruitmentRules {
                    activist_min_months: 11,
                    ..ok.clone()
                },
                "activist_min_months",
            ),
            (
                RecruitmentRules {
                    training_min_class_hours: 20,
                    ..ok.clone()
                },
                "training_min_class_hours",
            ),
            (
                RecruitmentRules {
                    training_min_days: 2,
                    ..ok.clone()
                },
                "training_min_days",
            ),
            (
                RecruitmentRules {
                    sponsors_required: 1,
                    ..ok.clone()
                },
                "sponsors_required",
            ),
            (
                RecruitmentRules {
                    contacts_max: 3,
                    ..ok.clone()
                },
                "contacts_max",
            ),
            (
                RecruitmentRules {
                    probation_months: 6,
                    ..ok.clone()
                },
                "probation_months",
            ),
            (
                RecruitmentRules {
                    extension_min_months: 5,
                    ..ok.clone()
                },
                "extension_min_months",
            ),
            (
                RecruitmentRules {
                    extension_max_months: 13,
                    ..ok.clone()
                },
                "extension_max_months",
            ),
            (
                RecruitmentRules {
                    review_every_months: 7,
                    ..ok.clone()
                },
                "review_every_months",
            ),
            (
                RecruitmentRules {
                    talk_within_months: 2,
                    ..ok.clone()
                },
                "talk_within_months",
            ),
        ];
        for (rules, field) in cases {
            match rules.validate() {
                Err(RulesError::LooserThanRule { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let zero = RecruitmentRules {
            no_new_member_years: 0,
            ..ok.clone()
        };
        assert_eq!(
            zero.validate(),
            Err(RulesError::Zero {
                field: "no_new_member_years"
            })
        );
        let inverted = RecruitmentRules {
            extension_min_months: 10,
            extension_max_months: 8,
            ..ok.clone()
        };
        assert!(matches!(
            inverted.validate(),
            Err(RulesError::Inverted {
                min: 10,
                max: 8,
                ..
            })
        ));
        let approval = RecruitmentRules {
            approval_within_months: 7,
            ..ok.clone()
        };
        assert_eq!(
            approval.validate().unwrap_err().to_string(),
            "approval_within_months（7）不能大于approval_extended_max_months（6）"
        );
        let stricter = RecruitmentRules {
            min_age_years: 19,
            contacts_max: 1,
            review_every_months: 3,
            ..ok
        };
        assert_eq!(stricter.validate(), Ok(()));
    }

    #[test]
    fn rules_deserialize_with_defaults() {
        let map = vec![("approval_within_months", 4u32), ("no_new_member_years", 5)];
        let rules =
            RecruitmentRules::deserialize(MapDeserializer::<_, DeError>::new(map.into_iter()))
                .unwrap();
        assert_eq!(rules.approval_within_months, 4);
        assert_eq!(rules.no_new_member_years, 5);
        assert_eq!(rules.activist_min_months, 12);
        assert_eq!(rules.validate(), Ok(()));
        let typo = vec![("approval_months", 4u32)];
        assert!(
            RecruitmentRules::deserialize(MapDeserializer::<_, DeError>::new(typo.into_iter()))
                .is_err()
        );
        // A file travels as JSON with codes or labels.
        let f = file_up_to(Step::Talk);
        let json = serde_json::to_string(&f).unwrap();
        assert!(json.contains("\"step\":\"talk\""), "{json}");
        let back: File =
            serde_json::from_str(&json.replace("\"talk\"", "\"党组织派人谈话\"")).unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn month_arithmetic() {
        assert_eq!(add_months(d(2025, 1, 31), 1), d(2025, 2, 28));
        assert_eq!(add_months(d(2024, 1, 31), 1), d(2024, 2, 29));
        assert_eq!(add_months(d(2025, 8, 31), 6), d(2026, 2, 28));
        // Half-years are counted from the start, not chained: no drift to the 28th.
        let rules = RecruitmentRules::default();
        assert!(missing_reviews(
            &rules,
            d(2025, 8, 31),
            d(2026, 8, 31),
            &[d(2026, 2, 28), d(2026, 8, 31)]
        )
        .is_empty());
        assert_eq!(months_cn(18), "18个月");
        assert_eq!(months_cn(24), "2年");
        assert_eq!(cite("第四章"), "《细则》第四章");
        assert_eq!(cite(ART_LOCAL), "本地规定");
    }
}
