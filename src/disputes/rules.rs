//! 矛盾纠纷规则：状态流转、限时办理与逐级提级、“五包一”专班、周调度/月研判统计。
//!
//! 纯函数：不读库、不联网、不用浮点。调用方按组织树筛好某个子树的案件再传入；
//! 当事人信息（已脱敏）不在本模块处理。

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

crate::code_enum! {
    /// 纠纷类别。
    Category {
        Family = ("family", "婚姻家庭"),
        Neighbour = ("neighbour", "邻里"),
        Land = ("land", "土地山林"),
        Labour = ("labour", "劳动争议"),
        Property = ("property", "物业"),
        Other = ("other", "其他"),
    }
}

crate::code_enum! {
    /// 风险等级，声明顺序即由低到高。
    Risk {
        General = ("general", "一般"),
        Serious = ("serious", "较大"),
        Major = ("major", "重大"),
    }
}

crate::code_enum! {
    /// 办理层级，声明顺序即由低到高。
    Level {
        Village = ("village", "村(社区)"),
        Town = ("town", "乡镇(街道)"),
        County = ("county", "县(市、区)"),
    }
}

impl Level {
    /// 上一级；县(市、区)之上没有。配置的最高层级见 [`DisputeRules::next_level`]。
    pub fn next(self) -> Option<Level> {
        match self {
            Level::Village => Some(Level::Town),
            Level::Town => Some(Level::County),
            Level::County => None,
        }
    }
}

crate::code_enum! {
    /// 案件状态。提级只改变层级，不改变状态。
    State {
        Screened = ("screened", "排查登记"),
        Mediating = ("mediating", "调解中"),
        Resolved = ("resolved", "调解成功"),
        Failed = ("failed", "调解不成"),
        Withdrawn = ("withdrawn", "当事人撤回"),
    }
}

impl State {
    pub fn is_open(self) -> bool {
        matches!(self, State::Screened | State::Mediating)
    }
    pub fn is_closed(self) -> bool {
        !self.is_open()
    }
}

crate::code_enum! {
    /// 调解不成时引导当事人的途径（《人民调解法》第三条第三项：仲裁、行政、司法）。
    Referral {
        Arbitration = ("arbitration", "仲裁"),
        Administrative = ("administrative", "行政"),
        Judicial = ("judicial", "司法"),
    }
}

crate::code_enum! {
    /// 提级原因。
    EscalationReason {
        TimeLimit = ("time_limit", "超过时限"),
        MediatorRequest = ("mediator_request", "调解员申请"),
        RiskUpgrade = ("risk_upgrade", "风险升级"),
    }
}

crate::code_enum! {
    /// 拒绝办理的原因码（稳定，供前端和接口判断）。
    RefusalCode {
        CaseClosed = ("case_closed", "案件已办结"),
        AlreadyMediating = ("already_mediating", "已在调解中"),
        SkipStep = ("skip_step", "不能跳过步骤"),
        NoteRequired = ("note_required", "须填写内容"),
        ReasonRequired = ("reason_required", "须填写理由"),
        TeamIncomplete = ("team_incomplete", "五包一专班不完整"),
        TeamEmpty = ("team_empty", "未指定专班成员"),
        MemberInvalid = ("member_invalid", "专班成员信息不全"),
        TopLevel = ("top_level", "已到最高层级"),
        NotOverdue = ("not_overdue", "尚未超过时限"),
        UseUpgradeRisk = ("use_upgrade_risk", "应使用风险升级"),
        RiskNotHigher = ("risk_not_higher", "风险等级未升高"),
        DateInvalid = ("date_invalid", "日期有误"),
    }
}

crate::code_enum! {
    /// 统计周期类型。
    PeriodKind {
        Week = ("week", "周"),
        Month = ("month", "月"),
        Custom = ("custom", "自定义"),
    }
}

// ---------------------------------------------------------------- 配置

/// 各层级办理时限（自然日，自该层级接手之日起算）。
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(default)]
pub struct LevelDays {
    /// 7 天：本地默认。种子材料只提到“三个一”限时办理，未给出天数。
    pub village: u32,
    /// 15 天：本地默认。与村级 7 天合计 22 天，不超过下条所引“一个月”。
    pub town: u32,
    /// 30 天：取《人民调解工作若干规定》（2002 年司法部令第 75 号）第三十三条
    /// “人民调解委员会调解纠纷，一般在一个月内调结”，按 30 个自然日计。
    pub county: u32,
}

impl Default for LevelDays {
    fn default() -> Self {
        LevelDays {
            village: 7,
            town: 15,
            county: 30,
        }
    }
}

impl LevelDays {
    pub fn get(&self, level: Level) -> u32 {
        match level {
            Level::Village => self.village,
            Level::Town => self.town,
            Level::County => self.county,
        }
    }
}

/// 各风险等级的首办层级。
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(default)]
pub struct StartLevels {
    /// 村(社区)：“小事不出村”，一般纠纷在村里办。
    pub general: Level,
    /// 乡镇(街道)：“大事不出镇”，较大纠纷即属大事，由乡镇首办。
    pub serious: Level,
    /// 乡镇(街道)：“大事不出镇”；县级力量通过“五包一”专班中的县级领导下沉，不把案件移出镇。
    pub major: Level,
}

impl Default for StartLevels {
    fn default() -> Self {
        StartLevels {
            general: Level::Village,
            serious: Level::Town,
            major: Level::Town,
        }
    }
}

impl StartLevels {
    pub fn get(&self, risk: Risk) -> Level {
        match risk {
            Risk::General => self.general,
            Risk::Serious => self.serious,
            Risk::Major => self.major,
        }
    }
}

/// 矛盾纠纷办理规则（本地可配置）。
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(default)]
pub struct DisputeRules {
    /// 各层级办理时限，默认值出处见 [`LevelDays`]。
    pub time_limit_days: LevelDays,
    /// 各风险等级的首办层级，默认值出处见 [`StartLevels`]。
    pub start_level_by_risk: StartLevels,
    /// “五包一”专班必备角色。默认五个角色来自产品说明；种子材料只写“五包一”联动机制、
    /// 重点矛盾纠纷由党委书记、镇长牵头，未列具体角色，属本地默认。
    pub five_for_one_roles: Vec<String>,
    /// 从该风险等级起须组建“五包一”专班。默认“重大”（产品说明：专班用于重大案件）。
    pub five_for_one_from: Risk,
    /// 最高办理层级。默认县(市、区)，即“村→镇→县”三级。
    pub max_level: Level,
}

impl Default for DisputeRules {
    fn default() -> Self {
        DisputeRules {
            time_limit_days: LevelDays::default(),
            start_level_by_risk: StartLevels::default(),
            five_for_one_roles: ["县级领导", "乡镇领导", "包村干部", "村干部", "网格员"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            five_for_one_from: Risk::Major,
            max_level: Level::County,
        }
    }
}

/// 配置有误，列出全部问题。
#[derive(Serialize, Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("矛盾纠纷规则配置有误：{}", .problems.join("；"))]
pub struct InvalidRules {
    pub problems: Vec<String>,
}

impl DisputeRules {
    pub fn validate(&self) -> Result<(), InvalidRules> {
        let mut problems = Vec::new();
        for &level in Level::ALL {
            let days = self.time_limit_days.get(level);
            if !(1..=365).contains(&days) {
                problems.push(format!("{}办理时限须在1至365天之间，现为{}天", level, days));
            }
        }
        let mut prev: Option<(Risk, Level)> = None;
        for &risk in Risk::ALL {
            let level = self.start_level_by_risk.get(risk);
            if level > self.max_level {
                problems.push(format!(
                    "{}风险的首办层级{}高于最高层级{}",
                    risk, level, self.max_level
                ));
            }
            if let Some((low_risk, low_level)) = prev.filter(|(_, low)| level < *low) {
                problems.push(format!(
                    "{}风险的首办层级{}低于{}风险的{}",
                    risk, level, low_risk, low_level
                ));
            }
            prev = Some((risk, level));
        }
        if self.five_for_one_roles.is_empty() {
            problems.push("“五包一”专班角色不能为空".to_string());
        }
        let mut seen: Vec<&str> = Vec::new();
        for role in &self.five_for_one_roles {
            let role = role.trim();
            if role.is_empty() {
                problems.push("“五包一”专班角色名称不能为空白".to_string());
            } else if seen.contains(&role) {
                problems.push(format!("“五包一”专班角色“{}”重复", role));
            } else {
                seen.push(role);
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(InvalidRules { problems })
        }
    }

    pub fn time_limit(&self, level: Level) -> u32 {
        self.time_limit_days.get(level)
    }

    /// 该风险等级的首办层级（不高于最高层级）。
    pub fn start_level(&self, risk: Risk) -> Level {
        self.start_level_by_risk.get(risk).min(self.max_level)
    }

    /// 可提级到的上一级；已到配置的最高层级时为 None。
    pub fn next_level(&self, level: Level) -> Option<Level> {
        level.next().filter(|n| *n <= self.max_level)
    }

    pub fn team_required(&self, risk: Risk) -> bool {
        risk >= self.five_for_one_from
    }

    /// 该风险等级须有而专班中尚缺的角色；不要求专班时为空。
    pub fn missing_roles(&self, risk: Risk, team: &[TeamMember]) -> Vec<String> {
        if !self.team_required(risk) {
            return Vec::new();
        }
        self.five_for_one_roles
            .iter()
            .map(|r| r.trim())
            .filter(|role| {
                !team
                    .iter()
                    .any(|m| m.role.trim() == *role && !m.name.trim().is_empty())
            })
            .map(str::to_string)
            .collect()
    }
}

// ---------------------------------------------------------------- 案件与操作

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, utoipa::ToSchema)]
pub struct TeamMember {
    pub role: String,
    pub name: String,
}

/// 一次层级变化（提级）。
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct LevelChange {
    pub on: NaiveDate,
    pub from: Level,
    pub to: Level,
    pub reason: EscalationReason,
}

/// 办理中用到的案件现状。
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CaseSnapshot {
    pub id: i64,
    pub category: Category,
    pub state: State,
    pub risk: Risk,
    pub level: Level,
    /// 当前层级接手之日，时限由此起算。
    pub level_since: NaiveDate,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub team: Vec<TeamMember>,
}

impl CaseSnapshot {
    /// 排查登记一件新纠纷，按风险等级定首办层级。
    pub fn new(
        rules: &DisputeRules,
        id: i64,
        category: Category,
        risk: Risk,
        opened_on: NaiveDate,
    ) -> Self {
        CaseSnapshot {
            id,
            category,
            state: State::Screened,
            risk,
            level: rules.start_level(risk),
            level_since: opened_on,
            opened_on,
            closed_on: None,
            team: Vec::new(),
        }
    }
}

/// 对案件的操作。
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// 排查登记 → 调解中。
    StartMediation,
    /// 调解中填写一次调解记录，状态不变。
    RecordMediation {
        note: String,
    },
    /// 调解中 → 调解成功；达到专班门槛的须专班齐全。
    Resolve {
        agreement: String,
    },
    /// 调解中 → 调解不成；也可在排查登记时使用，表示当事人拒绝调解。
    Fail {
        note: String,
        referral: Referral,
    },
    /// 在办 → 当事人撤回。
    Withdraw {
        reason: String,
    },
    /// 升一级并重新起算时限；调解员申请须写理由，超过时限须确已超期。
    Escalate {
        reason: EscalationReason,
        #[serde(default)]
        note: String,
    },
    /// 风险只升不降；新风险的首办层级高于当前层级时随之提级。
    UpgradeRisk {
        risk: Risk,
    },
    AssignTeam {
        members: Vec<TeamMember>,
    },
}

impl Action {
    pub fn label(&self) -> &'static str {
        match self {
            Action::StartMediation => "开始调解",
            Action::RecordMediation { .. } => "填写调解记录",
            Action::Resolve { .. } => "登记调解成功",
            Action::Fail { .. } => "登记调解不成",
            Action::Withdraw { .. } => "登记当事人撤回",
            Action::Escalate { .. } => "提级",
            Action::UpgradeRisk { .. } => "风险升级",
            Action::AssignTeam { .. } => "指定专班",
        }
    }
}

/// 操作成功的结果：新的案件现状和说明。
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub case: CaseSnapshot,
    pub action: Action,
    pub from_state: State,
    pub escalation: Option<LevelChange>,
    /// 应存入调解记录的文字（调解情况、协议要点、不成说明、撤回理由、提级理由）。
    pub record: Option<String>,
    pub explanation: String,
    /// 提醒（不阻止本次操作），如专班尚缺角色。
    pub notices: Vec<String>,
}

/// 操作被拒：稳定的原因码和告诉下一步怎么做的中文说明。
#[derive(Serialize, Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub code: RefusalCode,
    pub message: String,
}

fn refuse<T>(code: RefusalCode, message: String) -> Result<T, Refusal> {
    Err(Refusal { code, message })
}

fn cn_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

fn cn_md(d: NaiveDate) -> String {
    format!("{}月{}日", d.month(), d.day())
}

fn add_days(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_days(Days::new(u64::from(n)))
        .unwrap_or(NaiveDate::MAX)
}

fn team_notice(rules: &DisputeRules, risk: Risk, missing: &[String]) -> String {
    format!(
        "{}风险案件须组建“五包一”专班（{}），尚缺：{}；专班齐全前不能登记调解成功。",
        risk,
        rules.five_for_one_roles.join("、"),
        missing.join("、")
    )
}

/// 当前层级的办理期限（含当日）：接手之日加该层级时限天数。
pub fn deadline(rules: &DisputeRules, case: &CaseSnapshot) -> NaiveDate {
    add_days(case.level_since, rules.time_limit(case.level))
}

/// 对案件执行一项操作。只判断、不落库；调用方保存 `Transition::case` 与记录。
pub fn apply(
    rules: &DisputeRules,
    case: &CaseSnapshot,
    action: &Action,
    today: NaiveDate,
) -> Result<Transition, Refusal> {
    use RefusalCode as C;
    let name = format!("案件#{}", case.id);
    let act = action.label();
    if case.state.is_closed() {
        let when = case
            .closed_on
            .map(|d| format!("于{}", cn_date(d)))
            .unwrap_or_default();
        return refuse(
            C::CaseClosed,
            format!(
                "{}已{}办结（{}），不能再“{}”；如纠纷再起，请重新排查登记为新案件。",
                name, when, case.state, act
            ),
        );
    }
    if today < case.level_since || today < case.opened_on {
        return refuse(
            C::DateInvalid,
            format!(
                "操作日期{}早于{}接手之日{}，请核对日期。",
                cn_date(today),
                case.level,
                cn_date(case.level_since.max(case.opened_on))
            ),
        );
    }

    let mut next = case.clone();
    let mut escalation = None;
    let mut record = None;
    let mut notices = Vec::new();
    let team_missing = |risk: Risk, team: &[TeamMember]| rules.missing_roles(risk, team);

    let explanation = match action {
        Action::StartMediation => {
            if case.state == State::Mediating {
                return refuse(
                    C::AlreadyMediating,
                    format!("{}已在调解中，无需重复开始；请直接填写调解记录。", name),
                );
            }
            next.state = State::Mediating;
            let missing = team_missing(case.risk, &case.team);
            if !missing.is_empty() {
                notices.push(team_notice(rules, case.risk, &missing));
            }
            format!(
                "{}，{}开始调解{}（{}·{}风险），本层级办理期限至{}。",
                cn_date(today),
                case.level,
                name,
                case.category,
                case.risk,
                cn_date(deadline(rules, case))
            )
        }
        Action::RecordMediation { note } => {
            if case.state == State::Screened {
                return refuse(
                    C::SkipStep,
                    format!("{}尚未开始调解，请先“开始调解”，再填写调解记录。", name),
                );
            }
            if note.trim().is_empty() {
                return refuse(
                    C::NoteRequired,
                    "请填写本次调解的情况后再保存调解记录。".to_string(),
                );
            }
            record = Some(note.trim().to_string());
            format!(
                "{}，{}记录{}调解情况，案件仍在调解中，本层级办理期限至{}。",
                cn_date(today),
                case.level,
                name,
                cn_date(deadline(rules, case))
            )
        }
        Action::Resolve { agreement } => {
            if case.state == State::Screened {
                return refuse(
                    C::SkipStep,
                    format!(
                        "{}尚未开始调解，不能直接登记调解成功；请先“开始调解”并填写调解记录。",
                        name
                    ),
                );
            }
            if agreement.trim().is_empty() {
                return refuse(
                    C::NoteRequired,
                    "请填写调解协议要点后再登记调解成功。".to_string(),
                );
            }
            let missing = team_missing(case.risk, &case.team);
            if !missing.is_empty() {
                return refuse(
                    C::TeamIncomplete,
                    format!(
                        "{}为{}风险案件，须由完整的“五包一”专班包案后才能登记调解成功，尚缺：{}；请先“指定专班”补齐。",
                        name,
                        case.risk,
                        missing.join("、")
                    ),
                );
            }
            next.state = State::Resolved;
            next.closed_on = Some(today);
            record = Some(agreement.trim().to_string());
            format!(
                "{}，{}调解成功，由{}办结。",
                cn_date(today),
                name,
                case.level
            )
        }
        Action::Fail { note, referral } => {
            if note.trim().is_empty() {
                return refuse(
                    C::NoteRequired,
                    "请写明调解不成的情况后再登记。".to_string(),
                );
            }
            next.state = State::Failed;
            next.closed_on = Some(today);
            record = Some(note.trim().to_string());
            let basis = if case.state == State::Screened {
                "当事人一方明确拒绝调解的，不得调解（《人民调解法》第十七条）"
            } else {
                "调解不成，终止调解"
            };
            format!(
                "{}，{}{}，由{}办结，已引导当事人通过{}途径依法维护权利（《人民调解法》第三条第三项）。",
                cn_date(today),
                name,
                basis,
                case.level,
                referral
            )
        }
        Action::Withdraw { reason } => {
            if reason.trim().is_empty() {
                return refuse(
                    C::ReasonRequired,
                    "请填写当事人撤回的理由后再登记。".to_string(),
                );
            }
            next.state = State::Withdrawn;
            next.closed_on = Some(today);
            record = Some(reason.trim().to_string());
            format!(
                "{}，{}当事人撤回，由{}办结。",
                cn_date(today),
                name,
                case.level
            )
        }
        Action::Escalate { reason, note } => {
            if *reason == EscalationReason::RiskUpgrade {
                return refuse(
                    C::UseUpgradeRisk,
                    "因风险升级需要提级的，请使用“风险升级”操作，系统会按新的风险等级确定办理层级。".to_string(),
                );
            }
            let Some(to) = rules.next_level(case.level) else {
                return refuse(
                    C::TopLevel,
                    format!(
                        "{}已由{}办理，这是最高办理层级，不能再提级；请继续调解，调解不成的，登记调解不成并引导当事人通过仲裁、行政、司法途径解决。",
                        name, case.level
                    ),
                );
            };
            let due = deadline(rules, case);
            match reason {
                EscalationReason::TimeLimit if today <= due => {
                    return refuse(
                        C::NotOverdue,
                        format!(
                            "{}办理时限{}天，期限至{}（含当日），尚未超过时限，不能以“超过时限”提级；确需提级的，请以“调解员申请”提级并写明理由。",
                            case.level,
                            rules.time_limit(case.level),
                            cn_date(due)
                        ),
                    );
                }
                EscalationReason::MediatorRequest if note.trim().is_empty() => {
                    return refuse(C::ReasonRequired, "调解员申请提级须写明理由。".to_string());
                }
                _ => {}
            }
            next.level = to;
            next.level_since = today;
            escalation = Some(LevelChange {
                on: today,
                from: case.level,
                to,
                reason: *reason,
            });
            if !note.trim().is_empty() {
                record = Some(note.trim().to_string());
            }
            let why = match reason {
                EscalationReason::TimeLimit => format!(
                    "超过时限（{}时限{}天，期限至{}）",
                    case.level,
                    rules.time_limit(case.level),
                    cn_date(due)
                ),
                _ => format!("{}", reason),
            };
            format!(
                "{}，{}因{}由{}提级至{}办理；{}办理时限{}天，期限至{}。",
                cn_date(today),
                name,
                why,
                case.level,
                to,
                to,
                rules.time_limit(to),
                cn_date(deadline(rules, &next))
            )
        }
        Action::UpgradeRisk { risk } => {
            if *risk <= case.risk {
                return refuse(
                    C::RiskNotHigher,
                    format!(
                        "新风险等级“{}”不高于当前的“{}”；风险等级只升不降，请选择更高的等级。",
                        risk, case.risk
                    ),
                );
            }
            next.risk = *risk;
            let target = rules.start_level(*risk).max(case.level);
            let moved = if target > case.level {
                next.level = target;
                next.level_since = today;
                escalation = Some(LevelChange {
                    on: today,
                    from: case.level,
                    to: target,
                    reason: EscalationReason::RiskUpgrade,
                });
                format!(
                    "，按规则{}风险由{}首办，案件由{}提级至{}，办理时限{}天，期限至{}",
                    risk,
                    target,
                    case.level,
                    target,
                    rules.time_limit(target),
                    cn_date(deadline(rules, &next))
                )
            } else {
                format!("，仍由{}办理", case.level)
            };
            let missing = team_missing(*risk, &case.team);
            if !missing.is_empty() {
                notices.push(team_notice(rules, *risk, &missing));
            }
            format!(
                "{}，{}风险由“{}”升为“{}”{}。",
                cn_date(today),
                name,
                case.risk,
                risk,
                moved
            )
        }
        Action::AssignTeam { members } => {
            if members.is_empty() {
                return refuse(C::TeamEmpty, "请至少指定一名专班成员。".to_string());
            }
            if let Some(i) = members
                .iter()
                .position(|m| m.role.trim().is_empty() || m.name.trim().is_empty())
            {
                return refuse(
                    C::MemberInvalid,
                    format!("第{}名专班成员的角色或姓名为空，请补全后再提交。", i + 1),
                );
            }
            next.team = members
                .iter()
                .map(|m| TeamMember {
                    role: m.role.trim().to_string(),
                    name: m.name.trim().to_string(),
                })
                .collect();
            let missing = team_missing(case.risk, &next.team);
            let status = if !rules.team_required(case.risk) {
                String::new()
            } else if missing.is_empty() {
                "，“五包一”专班已齐全".to_string()
            } else {
                notices.push(team_notice(rules, case.risk, &missing));
                "，“五包一”专班尚不齐全".to_string()
            };
            let list: Vec<String> = next
                .team
                .iter()
                .map(|m| format!("{}{}", m.role, m.name))
                .collect();
            format!(
                "{}，{}指定专班{}人：{}{}。",
                cn_date(today),
                name,
                next.team.len(),
                list.join("、"),
                status
            )
        }
    };

    Ok(Transition {
        case: next,
        action: action.clone(),
        from_state: case.state,
        escalation,
        record,
        explanation,
        notices,
    })
}

// ---------------------------------------------------------------- 超期与自动提级

/// 超期情况。
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    pub case_id: i64,
    pub level: Level,
    pub level_since: NaiveDate,
    pub limit_days: u32,
    pub deadline: NaiveDate,
    /// 超过期限的天数（期限次日为 1）。
    pub days: i64,
    /// 应提级到的层级；已到最高层级时为 None。
    pub must_escalate_to: Option<Level>,
    pub explanation: String,
}

fn overdue_at(
    rules: &DisputeRules,
    id: i64,
    level: Level,
    since: NaiveDate,
    today: NaiveDate,
) -> Option<Overdue> {
    let limit = rules.time_limit(level);
    let due = add_days(since, limit);
    if today <= due {
        return None;
    }
    let days = (today - due).num_days();
    let must = rules.next_level(level);
    let next_step = match must {
        Some(n) => format!("应提级至{}办理", n),
        None => format!(
            "已在最高办理层级{}，不能再提级，应由包案领导督办限期化解，调解不成的依法引导当事人通过仲裁、行政、司法途径解决",
            level
        ),
    };
    Some(Overdue {
        case_id: id,
        level,
        level_since: since,
        limit_days: limit,
        deadline: due,
        days,
        must_escalate_to: must,
        explanation: format!(
            "案件#{}自{}由{}办理，按限时办理规则{}办理时限{}天，应于{}（含当日）前办结；截至{}已超期{}天，{}。",
            id,
            cn_date(since),
            level,
            level,
            limit,
            cn_date(due),
            cn_date(today),
            days,
            next_step
        ),
    })
}

/// 在办案件超过当前层级时限时返回超期情况；办结案件和未超期案件为 None。
pub fn overdue(rules: &DisputeRules, case: &CaseSnapshot, today: NaiveDate) -> Option<Overdue> {
    if case.state.is_closed() {
        return None;
    }
    overdue_at(rules, case.id, case.level, case.level_since, today)
}

/// 每日任务应提级的一件案件。
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct AutoEscalation {
    pub case_id: i64,
    pub from: Level,
    pub to: Level,
    pub explanation: String,
}

/// 今日应因超过时限自动提级的案件（每次只升一级）。已在最高层级的超期案件不在此列，见 [`overdue`]。
/// 每项都可用 `Action::Escalate { reason: TimeLimit, .. }` 经 [`apply`] 执行。
pub fn auto_escalations(
    rules: &DisputeRules,
    cases: &[CaseSnapshot],
    today: NaiveDate,
) -> Vec<AutoEscalation> {
    cases
        .iter()
        .filter_map(|c| {
            let o = overdue(rules, c, today)?;
            let to = o.must_escalate_to?;
            Some(AutoEscalation {
                case_id: c.id,
                from: c.level,
                to,
                explanation: o.explanation,
            })
        })
        .collect()
}

// ---------------------------------------------------------------- 统计周期

/// 统计周期（起止均含）。
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ReportPeriod {
    pub kind: PeriodKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub label: String,
}

fn span_label(from: NaiveDate, to: NaiveDate) -> String {
    if from.year() == to.year() {
        format!("{}—{}", cn_md(from), cn_md(to))
    } else {
        format!("{}—{}", cn_date(from), cn_date(to))
    }
}

fn last_of_month(year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

impl ReportPeriod {
    /// 日期所在的 ISO 周（周一至周日），如“2026年第47周（11月16日—11月22日）”；年份为 ISO 周年。
    /// At the ends of the calendar (a query can ask for year 262143) the week is cut at
    /// `NaiveDate::MIN` / `MAX` instead of overflowing (found by the dispute_rules fuzz target).
    pub fn week_of(date: NaiveDate) -> ReportPeriod {
        let back = Days::new(u64::from(date.weekday().num_days_from_monday()));
        let from = date.checked_sub_days(back).unwrap_or(NaiveDate::MIN);
        let to = from.checked_add_days(Days::new(6)).unwrap_or(NaiveDate::MAX);
        let w = date.iso_week();
        ReportPeriod {
            kind: PeriodKind::Week,
            from,
            to,
            label: format!("{}年第{}周（{}）", w.year(), w.week(), span_label(from, to)),
        }
    }

    /// 日期所在的自然月，如“2026年11月”。
    pub fn month_of(date: NaiveDate) -> ReportPeriod {
        let from = date.with_day(1).unwrap_or(date);
        let to = last_of_month(date.year(), date.month());
        ReportPeriod {
            kind: PeriodKind::Month,
            from,
            to,
            label: format!("{}年{}月", date.year(), date.month()),
        }
    }

    /// 任意起止日期；恰为一个 ISO 周或自然月时按周、月处理。
    pub fn custom(from: NaiveDate, to: NaiveDate) -> ReportPeriod {
        if from.weekday() == Weekday::Mon && from.checked_add_days(Days::new(6)) == Some(to) {
            return Self::week_of(from);
        }
        if from.day() == 1 && to == last_of_month(from.year(), from.month()) {
            return Self::month_of(from);
        }
        let label = if from == to {
            cn_date(from)
        } else {
            format!("{}—{}", cn_date(from), cn_date(to))
        };
        ReportPeriod {
            kind: PeriodKind::Custom,
            from,
            to,
            label,
        }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }

    /// 周报叫“周调度”，月报叫“月研判”。
    pub fn title(&self) -> &'static str {
        match self.kind {
            PeriodKind::Week => "周调度",
            PeriodKind::Month => "月研判",
            PeriodKind::Custom => "矛盾纠纷统计",
        }
    }
}

// ---------------------------------------------------------------- 统计

/// 统计用的案件行。`escalations` 为全部提级记录（含风险升级引起的），用来还原任一日的层级。
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub id: i64,
    pub category: Category,
    pub risk: Risk,
    /// 当前层级。
    pub level: Level,
    pub state: State,
    pub opened_on: NaiveDate,
    /// 办结日；办结状态缺此项时按受理日计。
    pub closed_on: Option<NaiveDate>,
    pub escalations: Vec<LevelChange>,
}

impl CaseRow {
    fn closed_date(&self) -> Option<NaiveDate> {
        self.state
            .is_closed()
            .then(|| self.closed_on.unwrap_or(self.opened_on))
    }

    fn open_on(&self, d: NaiveDate) -> bool {
        self.opened_on <= d && self.closed_date().is_none_or(|c| c > d)
    }

    /// 某日结束时的办理层级。
    pub fn level_on(&self, d: NaiveDate) -> Level {
        self.escalations
            .iter()
            .filter(|e| e.on > d)
            .min_by_key(|e| e.on)
            .map_or(self.level, |e| e.from)
    }

    /// 某日结束时当前层级的接手之日。
    pub fn level_since_on(&self, d: NaiveDate) -> NaiveDate {
        self.escalations
            .iter()
            .filter(|e| e.on <= d)
            .map(|e| e.on)
            .max()
            .unwrap_or(self.opened_on)
    }

    /// 首办层级。
    pub fn start_level(&self) -> Level {
        self.escalations
            .iter()
            .min_by_key(|e| e.on)
            .map_or(self.level, |e| e.from)
    }
}

/// 比率：分子、分母、基点（万分之一，四舍五入；分母为 0 时为 None）。
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub numerator: u32,
    pub denominator: u32,
    pub bp: Option<u32>,
    pub explanation: String,
}

impl Rate {
    /// 如“93.33%”；分母为 0 时为 None。
    pub fn percent(&self) -> Option<String> {
        self.bp.map(bp_percent)
    }
}

fn bp_percent(bp: u32) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

/// numerator / denominator，以基点计，四舍五入（0.5 进位）。分母为 0 时为 None。
pub fn rate_bp(numerator: u32, denominator: u32) -> Option<u32> {
    if denominator == 0 {
        return None;
    }
    let (n, d) = (u64::from(numerator), u64::from(denominator));
    u32::try_from((n * 20_000 + d) / (2 * d)).ok()
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct LevelCount {
    pub level: Level,
    pub count: u32,
}

/// 类别 × 层级矩阵的一行。
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct MatrixRow {
    pub category: Category,
    /// 按 `Level::ALL` 顺序。
    pub by_level: Vec<LevelCount>,
    pub total: u32,
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct ReasonCount {
    pub reason: EscalationReason,
    pub count: u32,
}

/// 某首办层级的就地化解率（“小事不出村”的度量）。
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct LevelShare {
    pub level: Level,
    pub rate: Rate,
}

/// 周调度 / 月研判报表。
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub period: ReportPeriod,
    pub title: String,
    /// 统计截止日：期末与今日中较早者；在办、超期按此日计。
    pub as_of: NaiveDate,
    /// 期内新排查受理。
    pub new_in_period: u32,
    /// 期内办结（调解成功 + 调解不成 + 撤回）。
    pub closed_in_period: u32,
    pub resolved_in_period: u32,
    pub failed_in_period: u32,
    pub withdrawn_in_period: u32,
    /// 截止日在办。
    pub open_at_end: u32,
    /// 期内在办或办结的案件，按类别 × 截止日所在层级（已办结的为办结层级）计数：
    /// 本期新受理的加上期结转的，合计 = `new_in_period + carried_over`。
    pub matrix: Vec<MatrixRow>,
    /// 期初以前受理、期内仍在办或期内办结的案件（上期结转）。
    pub carried_over: u32,
    /// 表中合计：期内在办或办结的案件数。
    pub active_in_period: u32,
    pub level_totals: Vec<LevelCount>,
    /// 化解率：期内新受理的案件中截至统计截止日调解成功的件数 ÷ 期内新受理件数。
    pub resolution_rate: Rate,
    /// 截止日超期的在办案件，超期天数多的在前。
    pub overdue: Vec<Overdue>,
    /// 期内提级次数（含风险升级引起的）。
    pub escalations_in_period: u32,
    pub escalations_by_reason: Vec<ReasonCount>,
    /// 就地化解率：期内办结的案件按首办层级分组，未经提级即调解成功的占比。
    pub kept_at_level: Vec<LevelShare>,
    pub summary: String,
}

/// 统计某一周期（起止均含）。`cases` 由调用方按组织子树筛选。
pub fn report(
    rules: &DisputeRules,
    cases: &[CaseRow],
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Report {
    let period = ReportPeriod::custom(from, to);
    let as_of = to.min(today);
    let valid = from <= to;
    let in_period = |d: NaiveDate| valid && from <= d && d <= to;
    let count = |f: &dyn Fn(&CaseRow) -> bool| cases.iter().filter(|c| f(c)).count() as u32;

    let is_new = |c: &CaseRow| in_period(c.opened_on);
    let closed_in = |c: &CaseRow| c.closed_date().is_some_and(in_period);
    let new_in_period = count(&is_new);
    let closed_in_period = count(&closed_in);
    let resolved_in_period = count(&|c| closed_in(c) && c.state == State::Resolved);
    let failed_in_period = count(&|c| closed_in(c) && c.state == State::Failed);
    let withdrawn_in_period = count(&|c| closed_in(c) && c.state == State::Withdrawn);
    let open_at_end = if valid {
        count(&|c| c.open_on(as_of))
    } else {
        0
    };

    let active =
        |c: &CaseRow| valid && c.opened_on <= as_of && c.closed_date().is_none_or(|d| d >= from);
    let mut matrix: Vec<MatrixRow> = Category::ALL
        .iter()
        .map(|&category| MatrixRow {
            category,
            by_level: Level::ALL
                .iter()
                .map(|&level| LevelCount { level, count: 0 })
                .collect(),
            total: 0,
        })
        .collect();
    let mut level_totals: Vec<LevelCount> = Level::ALL
        .iter()
        .map(|&level| LevelCount { level, count: 0 })
        .collect();
    let active_in_period = count(&|c| active(c));
    let carried_over = count(&|c| active(c) && !is_new(c));
    for c in cases.iter().filter(|c| active(c)) {
        let level = c.level_on(as_of);
        let li = Level::ALL.iter().position(|l| *l == level).unwrap_or(0);
        let ci = Category::ALL
            .iter()
            .position(|x| *x == c.category)
            .unwrap_or(0);
        matrix[ci].by_level[li].count += 1;
        matrix[ci].total += 1;
        level_totals[li].count += 1;
    }

    let cohort_resolved = count(&|c| {
        is_new(c) && c.state == State::Resolved && c.closed_date().is_some_and(|d| d <= as_of)
    });
    let resolution_rate = Rate {
        numerator: cohort_resolved,
        denominator: new_in_period,
        bp: rate_bp(cohort_resolved, new_in_period),
        explanation: format!(
            "化解率 = 本期新排查受理的纠纷中截至{}调解成功的件数 ÷ 本期新排查受理件数，按基点（0.01%）四舍五入。",
            cn_date(as_of)
        ),
    };

    let mut overdue: Vec<Overdue> = if valid {
        cases
            .iter()
            .filter(|c| c.open_on(as_of))
            .filter_map(|c| {
                overdue_at(
                    rules,
                    c.id,
                    c.level_on(as_of),
                    c.level_since_on(as_of),
                    as_of,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    overdue.sort_by(|a, b| b.days.cmp(&a.days).then(a.case_id.cmp(&b.case_id)));

    let esc_in: Vec<&LevelChange> = cases
        .iter()
        .flat_map(|c| c.escalations.iter())
        .filter(|e| in_period(e.on) && e.on <= as_of)
        .collect();
    let escalations_by_reason = EscalationReason::ALL
        .iter()
        .map(|&reason| ReasonCount {
            reason,
            count: esc_in.iter().filter(|e| e.reason == reason).count() as u32,
        })
        .collect();

    let kept_at_level = Level::ALL
        .iter()
        .map(|&level| {
            let closed_here = count(&|c| closed_in(c) && c.start_level() == level);
            let kept = count(&|c| {
                closed_in(c) && c.start_level() == level && c.state == State::Resolved && c.escalations.is_empty()
            });
            LevelShare {
                level,
                rate: Rate {
                    numerator: kept,
                    denominator: closed_here,
                    bp: rate_bp(kept, closed_here),
                    explanation: format!(
                        "{}就地化解率 = 本期办结且由{}首办的案件中未经提级即调解成功的件数 ÷ 这些案件总数。",
                        level, level
                    ),
                },
            }
        })
        .collect();

    let title = period.title().to_string();
    let summary = if !valid {
        format!(
            "统计区间无效：起始日{}晚于截止日{}，未统计。",
            cn_date(from),
            cn_date(to)
        )
    } else {
        let rate = match resolution_rate.bp {
            Some(bp) => format!(
                "化解率{}（{}/{}）",
                bp_percent(bp),
                cohort_resolved,
                new_in_period
            ),
            None => "本期无新受理案件，不计算化解率".to_string(),
        };
        format!(
            "{}{}：新排查受理{}件，上期结转{}件，共{}件；办结{}件（调解成功{}件、调解不成{}件、撤回{}件）；截至{}在办{}件，其中超期{}件；期内提级{}次；{}。",
            period.label,
            title,
            new_in_period,
            carried_over,
            active_in_period,
            closed_in_period,
            resolved_in_period,
            failed_in_period,
            withdrawn_in_period,
            cn_date(as_of),
            open_at_end,
            overdue.len(),
            esc_in.len(),
            rate
        )
    };

    Report {
        period,
        title,
        as_of,
        new_in_period,
        carried_over,
        active_in_period,
        closed_in_period,
        resolved_in_period,
        failed_in_period,
        withdrawn_in_period,
        open_at_end,
        matrix,
        level_totals,
        resolution_rate,
        overdue,
        escalations_in_period: esc_in.len() as u32,
        escalations_by_reason,
        kept_at_level,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rules() -> DisputeRules {
        DisputeRules::default()
    }

    fn case(risk: Risk, opened: NaiveDate) -> CaseSnapshot {
        CaseSnapshot::new(&rules(), 7, Category::Neighbour, risk, opened)
    }

    fn mediating(risk: Risk, opened: NaiveDate) -> CaseSnapshot {
        apply(
            &rules(),
            &case(risk, opened),
            &Action::StartMediation,
            opened,
        )
        .unwrap()
        .case
    }

    fn full_team() -> Vec<TeamMember> {
        ["县级领导", "乡镇领导", "包村干部", "村干部", "网格员"]
            .iter()
            .enumerate()
            .map(|(i, r)| TeamMember {
                role: r.to_string(),
                name: format!("成员{}", i),
            })
            .collect()
    }

    fn code(r: Result<Transition, Refusal>) -> RefusalCode {
        r.unwrap_err().code
    }

    #[test]
    fn enums_parse_order_next() {
        assert_eq!(Level::parse("村(社区)"), Some(Level::Village));
        assert_eq!(Level::parse("county"), Some(Level::County));
        assert_eq!(Category::parse(" 劳动争议 "), Some(Category::Labour));
        assert_eq!(Level::Village.next(), Some(Level::Town));
        assert_eq!(Level::Town.next(), Some(Level::County));
        assert_eq!(Level::County.next(), None);
        assert!(Risk::Major > Risk::Serious && Risk::Serious > Risk::General);
        assert!(State::Mediating.is_open() && State::Withdrawn.is_closed());
        assert_eq!(RefusalCode::TeamIncomplete.code(), "team_incomplete");
    }

    #[test]
    fn default_rules_valid_and_bad_rules_listed() {
        let r = rules();
        assert!(r.validate().is_ok());
        assert_eq!(r.time_limit(Level::Village), 7);
        assert_eq!(r.time_limit(Level::Town), 15);
        assert_eq!(r.time_limit(Level::County), 30);
        assert_eq!(r.five_for_one_roles.len(), 5);

        let mut bad = rules();
        bad.time_limit_days.town = 0;
        bad.max_level = Level::Village;
        bad.five_for_one_roles = vec!["网格员".into(), " 网格员".into(), " ".into()];
        let err = bad.validate().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("乡镇(街道)办理时限"), "{}", text);
        assert!(text.contains("高于最高层级"), "{}", text);
        assert!(text.contains("重复"), "{}", text);
        assert!(text.contains("空白"), "{}", text);

        let mut inverted = rules();
        inverted.start_level_by_risk.major = Level::Village;
        assert!(
            inverted
                .validate()
                .unwrap_err()
                .to_string()
                .contains("低于")
        );
    }

    #[test]
    fn start_level_follows_risk() {
        let r = rules();
        assert_eq!(
            CaseSnapshot::new(&r, 1, Category::Family, Risk::General, d(2026, 11, 2)).level,
            Level::Village
        );
        assert_eq!(
            CaseSnapshot::new(&r, 1, Category::Land, Risk::Serious, d(2026, 11, 2)).level,
            Level::Town
        );
        assert_eq!(
            CaseSnapshot::new(&r, 1, Category::Land, Risk::Major, d(2026, 11, 2)).level,
            Level::Town
        );
    }

    #[test]
    fn start_mediation_and_twice() {
        let c = case(Risk::General, d(2026, 11, 2));
        let t = apply(&rules(), &c, &Action::StartMediation, d(2026, 11, 3)).unwrap();
        assert_eq!(t.case.state, State::Mediating);
        assert_eq!(t.from_state, State::Screened);
        assert!(t.explanation.contains("2026年11月9日"), "{}", t.explanation);
        assert!(t.notices.is_empty());
        assert_eq!(
            code(apply(
                &rules(),
                &t.case,
                &Action::StartMediation,
                d(2026, 11, 3)
            )),
            RefusalCode::AlreadyMediating
        );
    }

    #[test]
    fn start_mediation_on_major_without_team_warns() {
        let t = apply(
            &rules(),
            &case(Risk::Major, d(2026, 11, 2)),
            &Action::StartMediation,
            d(2026, 11, 2),
        )
        .unwrap();
        assert_eq!(t.notices.len(), 1);
        assert!(t.notices[0].contains("县级领导"));
    }

    #[test]
    fn record_mediation() {
        let r = rules();
        let c = mediating(Risk::General, d(2026, 11, 2));
        let t = apply(
            &r,
            &c,
            &Action::RecordMediation {
                note: " 上门走访双方 ".into(),
            },
            d(2026, 11, 4),
        )
        .unwrap();
        assert_eq!(t.case.state, State::Mediating);
        assert_eq!(t.record.as_deref(), Some("上门走访双方"));
        assert_eq!(
            code(apply(
                &r,
                &c,
                &Action::RecordMediation { note: "  ".into() },
                d(2026, 11, 4)
            )),
            RefusalCode::NoteRequired
        );
        let screened = case(Risk::General, d(2026, 11, 2));
        let err = apply(
            &r,
            &screened,
            &Action::RecordMediation { note: "x".into() },
            d(2026, 11, 4),
        )
        .unwrap_err();
        assert_eq!(err.code, RefusalCode::SkipStep);
        assert!(err.message.contains("开始调解"));
    }

    #[test]
    fn resolve() {
        let r = rules();
        let c = mediating(Risk::General, d(2026, 11, 2));
        let t = apply(
            &r,
            &c,
            &Action::Resolve {
                agreement: "赔偿修缮费".into(),
            },
            d(2026, 11, 5),
        )
        .unwrap();
        assert_eq!(t.case.state, State::Resolved);
        assert_eq!(t.case.closed_on, Some(d(2026, 11, 5)));
        assert!(
            t.explanation.contains("由村(社区)办结"),
            "{}",
            t.explanation
        );
        assert_eq!(
            code(apply(
                &r,
                &c,
                &Action::Resolve {
                    agreement: "".into()
                },
                d(2026, 11, 5)
            )),
            RefusalCode::NoteRequired
        );
        let screened = case(Risk::General, d(2026, 11, 2));
        assert_eq!(
            code(apply(
                &r,
                &screened,
                &Action::Resolve {
                    agreement: "x".into()
                },
                d(2026, 11, 5)
            )),
            RefusalCode::SkipStep
        );
    }

    #[test]
    fn major_case_needs_complete_team_to_resolve() {
        let r = rules();
        let mut c = mediating(Risk::Major, d(2026, 11, 2));
        let resolve = Action::Resolve {
            agreement: "分期补偿".into(),
        };
        let err = apply(&r, &c, &resolve, d(2026, 11, 6)).unwrap_err();
        assert_eq!(err.code, RefusalCode::TeamIncomplete);
        assert!(err.message.contains("指定专班"));

        let mut partial = full_team();
        partial.remove(0);
        let t = apply(
            &r,
            &c,
            &Action::AssignTeam { members: partial },
            d(2026, 11, 3),
        )
        .unwrap();
        assert!(t.explanation.contains("尚不齐全"));
        assert!(t.notices[0].contains("尚缺：县级领导"));
        c = t.case;
        let err = apply(&r, &c, &resolve, d(2026, 11, 6)).unwrap_err();
        assert_eq!(err.code, RefusalCode::TeamIncomplete);
        assert!(err.message.contains("尚缺：县级领导"), "{}", err.message);

        c = apply(
            &r,
            &c,
            &Action::AssignTeam {
                members: full_team(),
            },
            d(2026, 11, 4),
        )
        .unwrap()
        .case;
        let t = apply(&r, &c, &resolve, d(2026, 11, 6)).unwrap();
        assert_eq!(t.case.state, State::Resolved);

        // 较大风险默认不要求专班
        let serious = mediating(Risk::Serious, d(2026, 11, 2));
        assert!(apply(&r, &serious, &resolve, d(2026, 11, 6)).is_ok());
        // 改配置：较大起即要求
        let stricter = DisputeRules {
            five_for_one_from: Risk::Serious,
            ..rules()
        };
        assert_eq!(
            code(apply(&stricter, &serious, &resolve, d(2026, 11, 6))),
            RefusalCode::TeamIncomplete
        );
    }

    #[test]
    fn assign_team_refusals() {
        let r = rules();
        let c = mediating(Risk::Major, d(2026, 11, 2));
        assert_eq!(
            code(apply(
                &r,
                &c,
                &Action::AssignTeam { members: vec![] },
                d(2026, 11, 3)
            )),
            RefusalCode::TeamEmpty
        );
        let bad = vec![
            TeamMember {
                role: "网格员".into(),
                name: "王五".into(),
            },
            TeamMember {
                role: "村干部".into(),
                name: " ".into(),
            },
        ];
        let err = apply(&r, &c, &Action::AssignTeam { members: bad }, d(2026, 11, 3)).unwrap_err();
        assert_eq!(err.code, RefusalCode::MemberInvalid);
        assert!(err.message.contains("第2名"));
        let t = apply(
            &r,
            &c,
            &Action::AssignTeam {
                members: full_team(),
            },
            d(2026, 11, 3),
        )
        .unwrap();
        assert!(t.explanation.contains("已齐全"));
        assert!(t.notices.is_empty());
    }

    #[test]
    fn fail_from_mediating_and_from_screened() {
        let r = rules();
        let c = mediating(Risk::General, d(2026, 11, 2));
        let act = Action::Fail {
            note: "双方分歧大".into(),
            referral: Referral::Judicial,
        };
        let t = apply(&r, &c, &act, d(2026, 11, 8)).unwrap();
        assert_eq!(t.case.state, State::Failed);
        assert_eq!(t.case.closed_on, Some(d(2026, 11, 8)));
        assert!(t.explanation.contains("司法途径"));
        let t = apply(
            &r,
            &case(Risk::General, d(2026, 11, 2)),
            &act,
            d(2026, 11, 2),
        )
        .unwrap();
        assert!(t.explanation.contains("第十七条"));
        assert_eq!(
            code(apply(
                &r,
                &c,
                &Action::Fail {
                    note: " ".into(),
                    referral: Referral::Arbitration
                },
                d(2026, 11, 8)
            )),
            RefusalCode::NoteRequired
        );
    }

    #[test]
    fn withdraw() {
        let r = rules();
        let c = case(Risk::General, d(2026, 11, 2));
        let t = apply(
            &r,
            &c,
            &Action::Withdraw {
                reason: "双方已自行和解".into(),
            },
            d(2026, 11, 3),
        )
        .unwrap();
        assert_eq!(t.case.state, State::Withdrawn);
        assert_eq!(
            code(apply(
                &r,
                &c,
                &Action::Withdraw { reason: "".into() },
                d(2026, 11, 3)
            )),
            RefusalCode::ReasonRequired
        );
    }

    #[test]
    fn closed_case_refuses_everything() {
        let r = rules();
        let c = mediating(Risk::General, d(2026, 11, 2));
        let closed = apply(
            &r,
            &c,
            &Action::Resolve {
                agreement: "x".into(),
            },
            d(2026, 11, 3),
        )
        .unwrap()
        .case;
        let actions = vec![
            Action::StartMediation,
            Action::RecordMediation { note: "x".into() },
            Action::Resolve {
                agreement: "x".into(),
            },
            Action::Fail {
                note: "x".into(),
                referral: Referral::Judicial,
            },
            Action::Withdraw { reason: "x".into() },
            Action::Escalate {
                reason: EscalationReason::MediatorRequest,
                note: "x".into(),
            },
            Action::UpgradeRisk { risk: Risk::Major },
            Action::AssignTeam {
                members: full_team(),
            },
        ];
        for a in &actions {
            let err = apply(&r, &closed, a, d(2026, 11, 20)).unwrap_err();
            assert_eq!(err.code, RefusalCode::CaseClosed, "{:?}", a);
            assert!(err.message.contains("重新排查登记"));
        }
    }

    #[test]
    fn date_before_level_since_refused() {
        let c = case(Risk::General, d(2026, 11, 2));
        assert_eq!(
            code(apply(&rules(), &c, &Action::StartMediation, d(2026, 11, 1))),
            RefusalCode::DateInvalid
        );
    }

    #[test]
    fn deadline_exact_day_and_day_after() {
        let r = rules();
        let c = mediating(Risk::General, d(2026, 11, 2));
        assert_eq!(deadline(&r, &c), d(2026, 11, 9));
        assert!(overdue(&r, &c, d(2026, 11, 9)).is_none());
        let o = overdue(&r, &c, d(2026, 11, 10)).unwrap();
        assert_eq!(o.days, 1);
        assert_eq!(o.must_escalate_to, Some(Level::Town));
        assert!(o.explanation.contains("2026年11月2日"), "{}", o.explanation);
        assert!(o.explanation.contains("2026年11月9日"));
        assert!(o.explanation.contains("村(社区)办理时限7天"));
        assert!(o.explanation.contains("应提级至乡镇(街道)"));

        let closed = apply(
            &r,
            &c,
            &Action::Withdraw { reason: "x".into() },
            d(2026, 11, 3),
        )
        .unwrap()
        .case;
        assert!(overdue(&r, &closed, d(2026, 12, 30)).is_none());

        let county = CaseSnapshot {
            level: Level::County,
            ..c.clone()
        };
        let o = overdue(&r, &county, d(2026, 12, 3)).unwrap();
        assert_eq!(o.days, 1);
        assert_eq!(o.must_escalate_to, None);
        assert!(o.explanation.contains("不能再提级"));
    }

    #[test]
    fn escalate_for_time_limit() {
        let r = rules();
        let c = mediating(Risk::General, d(2026, 11, 2));
        let act = Action::Escalate {
            reason: EscalationReason::TimeLimit,
            note: String::new(),
        };
        let err = apply(&r, &c, &act, d(2026, 11, 9)).unwrap_err();
        assert_eq!(err.code, RefusalCode::NotOverdue);
        assert!(err.message.contains("调解员申请"));
        let t = apply(&r, &c, &act, d(2026, 11, 10)).unwrap();
        assert_eq!(t.case.level, Level::Town);
        assert_eq!(t.case.level_since, d(2026, 11, 10));
        assert_eq!(t.case.state, State::Mediating);
        assert_eq!(
            t.escalation,
            Some(LevelChange {
                on: d(2026, 11, 10),
                from: Level::Village,
                to: Level::Town,
                reason: EscalationReason::TimeLimit
            })
        );
        assert_eq!(deadline(&r, &t.case), d(2026, 11, 25));
        assert!(
            t.explanation.contains("期限至2026年11月25日"),
            "{}",
            t.explanation
        );
    }

    #[test]
    fn escalate_on_mediator_request_and_refusals() {
        let r = rules();
        let c = mediating(Risk::General, d(2026, 11, 2));
        let no_note = Action::Escalate {
            reason: EscalationReason::MediatorRequest,
            note: " ".into(),
        };
        assert_eq!(
            code(apply(&r, &c, &no_note, d(2026, 11, 3))),
            RefusalCode::ReasonRequired
        );
        let ask = Action::Escalate {
            reason: EscalationReason::MediatorRequest,
            note: "涉及多户宅基地".into(),
        };
        let t = apply(&r, &c, &ask, d(2026, 11, 3)).unwrap();
        assert_eq!(t.case.level, Level::Town);
        assert_eq!(t.record.as_deref(), Some("涉及多户宅基地"));
        let at_county = apply(&r, &t.case, &ask, d(2026, 11, 4)).unwrap().case;
        assert_eq!(at_county.level, Level::County);
        let err = apply(&r, &at_county, &ask, d(2026, 11, 5)).unwrap_err();
        assert_eq!(err.code, RefusalCode::TopLevel);
        assert!(err.message.contains("最高办理层级"));
        let by_risk = Action::Escalate {
            reason: EscalationReason::RiskUpgrade,
            note: "x".into(),
        };
        assert_eq!(
            code(apply(&r, &c, &by_risk, d(2026, 11, 3))),
            RefusalCode::UseUpgradeRisk
        );

        let town_max = DisputeRules {
            max_level: Level::Town,
            ..rules()
        };
        assert_eq!(
            code(apply(&town_max, &t.case, &ask, d(2026, 11, 4))),
            RefusalCode::TopLevel
        );
    }

    #[test]
    fn upgrade_risk() {
        let r = rules();
        let c = mediating(Risk::General, d(2026, 11, 2));
        let t = apply(
            &r,
            &c,
            &Action::UpgradeRisk {
                risk: Risk::Serious,
            },
            d(2026, 11, 4),
        )
        .unwrap();
        assert_eq!(t.case.risk, Risk::Serious);
        assert_eq!(t.case.level, Level::Town);
        assert_eq!(t.case.level_since, d(2026, 11, 4));
        assert_eq!(
            t.escalation.as_ref().unwrap().reason,
            EscalationReason::RiskUpgrade
        );
        assert!(t.notices.is_empty());

        let t2 = apply(
            &r,
            &t.case,
            &Action::UpgradeRisk { risk: Risk::Major },
            d(2026, 11, 5),
        )
        .unwrap();
        assert_eq!(t2.case.level, Level::Town);
        assert_eq!(t2.case.level_since, d(2026, 11, 4));
        assert!(t2.escalation.is_none());
        assert_eq!(t2.notices.len(), 1);
        assert!(t2.notices[0].contains("五包一"));
        assert_eq!(
            code(apply(
                &r,
                &t2.case,
                &Action::Resolve {
                    agreement: "x".into()
                },
                d(2026, 11, 6)
            )),
            RefusalCode::TeamIncomplete
        );

        assert_eq!(
            code(apply(
                &r,
                &t2.case,
                &Action::UpgradeRisk {
                    risk: Risk::Serious
                },
                d(2026, 11, 6)
            )),
            RefusalCode::RiskNotHigher
        );
        assert_eq!(
            code(apply(
                &r,
                &t2.case,
                &Action::UpgradeRisk { risk: Risk::Major },
                d(2026, 11, 6)
            )),
            RefusalCode::RiskNotHigher
        );

        // 已在县级的案件升级风险不降层级
        let county = CaseSnapshot {
            level: Level::County,
            ..c
        };
        let t3 = apply(
            &r,
            &county,
            &Action::UpgradeRisk { risk: Risk::Major },
            d(2026, 11, 4),
        )
        .unwrap();
        assert_eq!(t3.case.level, Level::County);
        assert!(t3.escalation.is_none());
    }

    #[test]
    fn auto_escalations_pick_overdue_below_top() {
        let r = rules();
        let opened = d(2026, 11, 2);
        let on_time = CaseSnapshot {
            id: 1,
            ..mediating(Risk::General, opened)
        };
        let late_village = CaseSnapshot {
            id: 2,
            level_since: d(2026, 10, 30),
            ..mediating(Risk::General, d(2026, 10, 30))
        };
        let late_county = CaseSnapshot {
            id: 3,
            level: Level::County,
            level_since: d(2026, 10, 1),
            ..mediating(Risk::General, d(2026, 10, 1))
        };
        let mut closed = CaseSnapshot {
            id: 4,
            ..mediating(Risk::General, d(2026, 10, 1))
        };
        closed.state = State::Resolved;
        closed.closed_on = Some(d(2026, 10, 2));
        let today = d(2026, 11, 9);
        let cases = vec![on_time, late_village.clone(), late_county, closed];
        let due = auto_escalations(&r, &cases, today);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].case_id, 2);
        assert_eq!((due[0].from, due[0].to), (Level::Village, Level::Town));
        assert!(
            due[0].explanation.contains("超期3天"),
            "{}",
            due[0].explanation
        );
        let t = apply(
            &r,
            &late_village,
            &Action::Escalate {
                reason: EscalationReason::TimeLimit,
                note: String::new(),
            },
            today,
        )
        .unwrap();
        assert_eq!(t.case.level, Level::Town);
    }

    #[test]
    fn rate_rounding_half_up() {
        assert_eq!(rate_bp(14, 15), Some(9333));
        assert_eq!(rate_bp(2, 3), Some(6667));
        assert_eq!(rate_bp(1, 3), Some(3333));
        assert_eq!(rate_bp(1, 32), Some(313)); // 312.5 → 313
        assert_eq!(rate_bp(93, 100), Some(9300));
        assert_eq!(rate_bp(5, 5), Some(10000));
        assert_eq!(rate_bp(0, 5), Some(0));
        assert_eq!(rate_bp(0, 0), None);
        assert_eq!(bp_percent(9333), "93.33%");
        assert_eq!(bp_percent(705), "7.05%");
    }

    fn row(id: i64, category: Category, risk: Risk, opened: NaiveDate) -> CaseRow {
        CaseRow {
            id,
            category,
            risk,
            level: rules().start_level(risk),
            state: State::Mediating,
            opened_on: opened,
            closed_on: None,
            escalations: vec![],
        }
    }

    fn closed(mut r: CaseRow, state: State, on: NaiveDate) -> CaseRow {
        r.state = state;
        r.closed_on = Some(on);
        r
    }

    fn escalated(mut r: CaseRow, on: NaiveDate, to: Level, reason: EscalationReason) -> CaseRow {
        r.escalations.push(LevelChange {
            on,
            from: r.level,
            to,
            reason,
        });
        r.level = to;
        r
    }

    fn week_rows() -> Vec<CaseRow> {
        use Category::*;
        use Risk::*;
        vec![
            // 期前受理、期内调解成功
            closed(
                row(1, Neighbour, General, d(2026, 11, 10)),
                State::Resolved,
                d(2026, 11, 18),
            ),
            // 期内受理、期内调解成功
            closed(
                row(2, Family, General, d(2026, 11, 16)),
                State::Resolved,
                d(2026, 11, 20),
            ),
            // 期内受理、在办
            row(3, Land, Serious, d(2026, 11, 17)),
            // 期前受理、期前提级、在办且超期
            escalated(
                row(4, Labour, General, d(2026, 10, 20)),
                d(2026, 10, 28),
                Level::Town,
                EscalationReason::TimeLimit,
            ),
            // 期内受理、期内提级、期后调解不成
            closed(
                escalated(
                    row(5, Property, General, d(2026, 11, 19)),
                    d(2026, 11, 21),
                    Level::Town,
                    EscalationReason::MediatorRequest,
                ),
                State::Failed,
                d(2026, 11, 24),
            ),
            // 期内受理、期内撤回
            closed(
                row(6, Other, General, d(2026, 11, 22)),
                State::Withdrawn,
                d(2026, 11, 22),
            ),
            // 期后受理
            row(7, Family, General, d(2026, 11, 23)),
            // 期前受理、期前办结
            closed(
                row(8, Neighbour, General, d(2026, 11, 1)),
                State::Resolved,
                d(2026, 11, 15),
            ),
            // 期内受理重大案件
            row(9, Family, Major, d(2026, 11, 18)),
        ]
    }

    fn cell(rep: &Report, c: Category, l: Level) -> u32 {
        let row = rep.matrix.iter().find(|r| r.category == c).unwrap();
        row.by_level.iter().find(|x| x.level == l).unwrap().count
    }

    #[test]
    fn weekly_report_counts_and_boundaries() {
        let p = ReportPeriod::week_of(d(2026, 11, 18));
        let rep = report(&rules(), &week_rows(), p.from, p.to, d(2026, 11, 25));
        assert_eq!(rep.title, "周调度");
        assert_eq!(rep.period.label, "2026年第47周（11月16日—11月22日）");
        assert_eq!(rep.as_of, d(2026, 11, 22));
        assert_eq!(rep.new_in_period, 5); // 2 3 5 6 9
        assert_eq!(rep.closed_in_period, 3); // 1 2 6
        assert_eq!(
            (
                rep.resolved_in_period,
                rep.failed_in_period,
                rep.withdrawn_in_period
            ),
            (2, 0, 1)
        );
        assert_eq!(rep.open_at_end, 4); // 3 4 5 9

        assert_eq!(cell(&rep, Category::Family, Level::Village), 1);
        assert_eq!(cell(&rep, Category::Family, Level::Town), 1);
        assert_eq!(cell(&rep, Category::Neighbour, Level::Village), 1);
        assert_eq!(cell(&rep, Category::Property, Level::Town), 1);
        assert_eq!(cell(&rep, Category::Property, Level::Village), 0);
        assert_eq!(cell(&rep, Category::Labour, Level::Town), 1);
        let totals: Vec<u32> = rep.level_totals.iter().map(|x| x.count).collect();
        assert_eq!(totals, vec![3, 4, 0]);
        assert_eq!(rep.matrix.iter().map(|r| r.total).sum::<u32>(), 7);

        // 化解率：期内受理 5 件，其中调解成功 1 件（#2）
        assert_eq!(
            (
                rep.resolution_rate.numerator,
                rep.resolution_rate.denominator
            ),
            (1, 5)
        );
        assert_eq!(rep.resolution_rate.bp, Some(2000));
        assert_eq!(rep.resolution_rate.percent().as_deref(), Some("20.00%"));

        assert_eq!(rep.overdue.len(), 1);
        assert_eq!(rep.overdue[0].case_id, 4);
        assert_eq!(rep.overdue[0].level, Level::Town);
        assert_eq!(rep.overdue[0].deadline, d(2026, 11, 12));
        assert_eq!(rep.overdue[0].days, 10);
        assert_eq!(rep.overdue[0].must_escalate_to, Some(Level::County));

        assert_eq!(rep.escalations_in_period, 1);
        let by = |r: EscalationReason| {
            rep.escalations_by_reason
                .iter()
                .find(|x| x.reason == r)
                .unwrap()
                .count
        };
        assert_eq!(by(EscalationReason::MediatorRequest), 1);
        assert_eq!(by(EscalationReason::TimeLimit), 0);

        let village = &rep.kept_at_level[0];
        assert_eq!(village.level, Level::Village);
        assert_eq!(
            (
                village.rate.numerator,
                village.rate.denominator,
                village.rate.bp
            ),
            (2, 3, Some(6667))
        );
        assert_eq!(rep.kept_at_level[1].rate.bp, None);
        assert!(
            rep.summary.contains("化解率20.00%（1/5）"),
            "{}",
            rep.summary
        );
        assert!(rep.summary.contains("超期1件"));
    }

    #[test]
    fn report_as_of_today_when_period_not_over() {
        let p = ReportPeriod::week_of(d(2026, 11, 18));
        let rep = report(&rules(), &week_rows(), p.from, p.to, d(2026, 11, 20));
        assert_eq!(rep.as_of, d(2026, 11, 20));
        assert_eq!(rep.overdue[0].days, 8);
        // #5 在 11 月 20 日仍在村级
        assert_eq!(cell(&rep, Category::Property, Level::Village), 1);
        assert_eq!(rep.escalations_in_period, 0);
    }

    #[test]
    fn resolution_rate_93_33() {
        let start = d(2026, 11, 1);
        let rows: Vec<CaseRow> = (0..15)
            .map(|i| {
                let r = row(i, Category::Neighbour, Risk::General, start);
                if i < 14 {
                    closed(r, State::Resolved, d(2026, 11, 5))
                } else {
                    r
                }
            })
            .collect();
        let m = ReportPeriod::month_of(start);
        let rep = report(&rules(), &rows, m.from, m.to, d(2026, 12, 10));
        assert_eq!(rep.title, "月研判");
        assert_eq!(rep.period.label, "2026年11月");
        assert_eq!(rep.resolution_rate.bp, Some(9333));
        assert_eq!(rep.resolution_rate.percent().as_deref(), Some("93.33%"));
        assert_eq!(rep.overdue.len(), 1);
        assert_eq!(rep.overdue[0].case_id, 14);
    }

    #[test]
    fn table_total_is_new_plus_carried_over() {
        // Three cases opened in October, one still open in November and one closed there;
        // two new in November.
        let oct = d(2026, 10, 10);
        let rows = vec![
            row(1, Category::Neighbour, Risk::General, oct),
            closed(row(2, Category::Neighbour, Risk::General, oct), State::Resolved, d(2026, 11, 3)),
            closed(row(3, Category::Neighbour, Risk::General, oct), State::Resolved, d(2026, 10, 20)),
            row(4, Category::Neighbour, Risk::General, d(2026, 11, 2)),
            row(5, Category::Property, Risk::General, d(2026, 11, 4)),
        ];
        let m = ReportPeriod::month_of(d(2026, 11, 1));
        let rep = report(&rules(), &rows, m.from, m.to, d(2026, 12, 10));
        let table: u32 = rep.matrix.iter().map(|r| r.total).sum();
        assert_eq!((rep.new_in_period, rep.carried_over, rep.active_in_period), (2, 2, 4));
        assert_eq!(table, rep.active_in_period);
        assert_eq!(rep.level_totals.iter().map(|l| l.count).sum::<u32>(), table);
        assert!(rep.summary.contains("新排查受理2件，上期结转2件，共4件"), "{}", rep.summary);
    }

    #[test]
    fn empty_period_has_no_rate() {
        let p = ReportPeriod::week_of(d(2026, 11, 18));
        let rep = report(&rules(), &[], p.from, p.to, d(2026, 11, 25));
        assert_eq!(rep.new_in_period, 0);
        assert_eq!(rep.resolution_rate.bp, None);
        assert!(rep.resolution_rate.percent().is_none());
        assert!(rep.kept_at_level.iter().all(|k| k.rate.bp.is_none()));
        assert!(rep.summary.contains("不计算化解率"));

        let rev = report(
            &rules(),
            &week_rows(),
            d(2026, 11, 22),
            d(2026, 11, 16),
            d(2026, 11, 25),
        );
        assert_eq!(
            (rev.new_in_period, rev.open_at_end, rev.overdue.len()),
            (0, 0, 0)
        );
        assert!(rev.summary.contains("无效"));
    }

    #[test]
    fn iso_week_labels_across_year_end() {
        let a = ReportPeriod::week_of(d(2026, 12, 31));
        let b = ReportPeriod::week_of(d(2027, 1, 1));
        assert_eq!(a, b);
        assert_eq!(a.from, d(2026, 12, 28));
        assert_eq!(a.to, d(2027, 1, 3));
        assert_eq!(a.label, "2026年第53周（2026年12月28日—2027年1月3日）");
        assert_eq!(
            ReportPeriod::week_of(d(2027, 1, 4)).label,
            "2027年第1周（1月4日—1月10日）"
        );
        assert_eq!(
            ReportPeriod::week_of(d(2024, 12, 30)).label,
            "2025年第1周（2024年12月30日—2025年1月5日）"
        );
        assert_eq!(
            ReportPeriod::week_of(d(2026, 11, 22)).label,
            "2026年第47周（11月16日—11月22日）"
        );
        assert!(a.contains(d(2027, 1, 3)) && !a.contains(d(2027, 1, 4)));
    }

    /// Regression (fuzz target dispute_rules): the last and first days chrono knows overflowed
    /// `date ± Days`; a report query can name them.
    #[test]
    fn periods_at_the_ends_of_the_calendar() {
        let end = ReportPeriod::week_of(NaiveDate::MAX);
        assert!(end.contains(NaiveDate::MAX) && end.to == NaiveDate::MAX);
        let start = ReportPeriod::week_of(NaiveDate::MIN);
        assert!(start.contains(NaiveDate::MIN) && start.from == NaiveDate::MIN);
        assert_eq!(ReportPeriod::month_of(NaiveDate::MAX).to, NaiveDate::MAX);
        let p = ReportPeriod::custom(NaiveDate::MAX - Days::new(2), NaiveDate::MAX);
        assert_eq!((p.kind, p.to), (PeriodKind::Custom, NaiveDate::MAX));
        // What `?period=week&date=-262143-01-01` on a report reaches.
        let typed = crate::members::validate::parse_date("-262143-01-01").unwrap();
        assert!(ReportPeriod::week_of(typed).contains(typed));
    }

    #[test]
    fn month_and_custom_periods() {
        let m = ReportPeriod::month_of(d(2028, 2, 10));
        assert_eq!(
            (m.from, m.to, m.label.as_str()),
            (d(2028, 2, 1), d(2028, 2, 29), "2028年2月")
        );
        let dec = ReportPeriod::month_of(d(2026, 12, 31));
        assert_eq!(dec.to, d(2026, 12, 31));
        assert_eq!(
            ReportPeriod::custom(d(2026, 11, 16), d(2026, 11, 22)).kind,
            PeriodKind::Week
        );
        assert_eq!(
            ReportPeriod::custom(d(2026, 11, 1), d(2026, 11, 30)).kind,
            PeriodKind::Month
        );
        let c = ReportPeriod::custom(d(2026, 11, 3), d(2026, 11, 20));
        assert_eq!(c.kind, PeriodKind::Custom);
        assert_eq!(c.label, "2026年11月3日—2026年11月20日");
        assert_eq!(c.title(), "矛盾纠纷统计");
    }

    #[test]
    fn row_level_history() {
        let r = escalated(
            escalated(
                row(1, Category::Land, Risk::General, d(2026, 11, 1)),
                d(2026, 11, 9),
                Level::Town,
                EscalationReason::TimeLimit,
            ),
            d(2026, 11, 25),
            Level::County,
            EscalationReason::TimeLimit,
        );
        assert_eq!(r.start_level(), Level::Village);
        assert_eq!(r.level_on(d(2026, 11, 8)), Level::Village);
        assert_eq!(r.level_on(d(2026, 11, 9)), Level::Town);
        assert_eq!(r.level_on(d(2026, 11, 30)), Level::County);
        assert_eq!(r.level_since_on(d(2026, 11, 8)), d(2026, 11, 1));
        assert_eq!(r.level_since_on(d(2026, 11, 20)), d(2026, 11, 9));
    }
}
