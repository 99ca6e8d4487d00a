//! Typed configuration. Rules are configuration with published defaults; each
//! default names its source. A TOML file (`--rules FILE`) may override any of them.

use serde::{Deserialize, Serialize};

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub rules: Rules,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Rules {
    pub org_setup: OrgSetupRules,
    pub auth: AuthRules,
    /// 三会一课 and the other required meetings (defaults and sources in meetings/rules.rs).
    pub compliance: crate::meetings::rules::ComplianceRules,
    /// Dues brackets and fixed amounts (defaults and sources in dues/rules.rs).
    pub dues: crate::dues::rules::DuesRules,
    /// The default 主题党日 checklist ("6+"); a county may set its own in the app.
    pub theme_day: crate::meetings::theme_day::Checklist,
    /// Yearly hours, completion and 问责 thresholds (defaults and sources in training/rules.rs).
    pub training: crate::training::rules::TrainingRules,
    /// Request categories with expected days, hand-backs before arbitration, the holiday calendar.
    pub requests: crate::requests::rules::RequestRules,
    /// Time limits per level, the 五包一 team (defaults and sources in disputes/rules.rs).
    pub disputes: crate::disputes::rules::DisputeRules,
    /// Recruitment steps, ages, periods and time limits (defaults and articles in recruitment/rules.rs).
    pub recruitment: crate::recruitment::rules::RecruitmentRules,
    /// Mobile members: ledger period, certificate and transfer, temporary branch, 自行脱党 (mobile/rules.rs).
    pub mobile: crate::mobile::rules::MobileRules,
    /// Delegates: the 届期 and the 一季一析 review (delegates/rules.rs).
    pub delegates: crate::delegates::rules::DelegateRules,
    /// Village cadres: archive documents, reserves, first secretaries, “四不一起” (cadres/rules.rs).
    pub cadres: crate::cadres::rules::CadreRules,
    /// Pairings: when a pairing with no activity is shown as quiet (pairings/rules.rs).
    pub pairings: crate::pairings::rules::PairingRules,
    /// Household points: the civic-practice catalog, basket limits (points/rules.rs).
    pub household_points: crate::points::rules::HouseholdPointRules,
    /// Members' points: the default catalog and frame; a county sets its own in the app (points/member_rules.rs).
    pub member_points: crate::points::member_rules::MemberCatalog,
    /// Volunteering: categories, the door-QR windows, household points per hour, the “四季” expectation (volunteering/rules.rs).
    pub volunteering: crate::volunteering::rules::VolunteerRules,
    /// Star ratings: the 百分考评细则, the “十有”, cut-offs and titles; a county sets its own in the app (assessment/rules.rs).
    pub assessment: crate::assessment::rules::Rubric,
    /// 软弱涣散 rectification: reasons, the “四个一” measures, what the records suggest (rectification/rules.rs).
    pub rectification: crate::rectification::rules::RectificationRules,
    /// 小微权力清单: the default catalog of village powers and their procedures; a county sets its own in the app (village_affairs/powers.rs).
    pub powers: crate::village_affairs::powers::PowerCatalog,
    /// Collective economy: income thresholds, whether subsidies count (economy/rules.rs).
    pub economy: crate::economy::rules::EconomyRules,
    /// Service centers: the village and community standards, the signage limits (centers/rules.rs).
    pub centers: crate::centers::rules::CenterRules,
    /// 好差评: working days a 差评 has for its follow-up (service_ratings/rules.rs).
    pub service_ratings: crate::service_ratings::rules::RatingRules,
    /// Limits on the public (no-login) pages.
    pub public: PublicRules,
}

/// Limits that keep the public pages usable and hard to abuse.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct PublicRules {
    /// Submissions accepted from one address per hour (a product default: a family sharing a
    /// phone rarely sends more; a script is stopped).
    pub submissions_per_hour: u32,
    /// Tracking-code lookups from one address per minute (stops enumeration; a product default).
    pub lookups_per_minute: u32,
    /// Behind a reverse proxy every peer address is the proxy's: name the header the proxy sets
    /// to the client address (`X-Forwarded-For`, `X-Real-IP`), and the last address in it is used
    /// for the per-address limits (public pages, logins). Unset: the peer address. Set it only
    /// when a proxy always sets the header, or clients could choose their own address.
    pub trusted_proxy_header: Option<String>,
}

impl Default for PublicRules {
    fn default() -> Self {
        PublicRules { submissions_per_hour: 20, lookups_per_minute: 30, trusted_proxy_header: None }
    }
}

impl Rules {
    pub fn load(path: Option<&std::path::Path>) -> anyhow::Result<Rules> {
        match path {
            None => Ok(Rules::default()),
            Some(p) => {
                let text = std::fs::read_to_string(p)?;
                let rules: Rules = toml::from_str(&text)?;
                rules.compliance.validate()?;
                rules.dues.validate()?;
                rules.training.validate()?;
                rules.requests.validate()?;
                rules.disputes.validate()?;
                rules.recruitment.validate().map_err(|e| anyhow::anyhow!("[recruitment]: {e}"))?;
                rules.mobile.validate().map_err(|e| anyhow::anyhow!("[mobile]: {e}"))?;
                rules.cadres.validate().map_err(|e| anyhow::anyhow!("[cadres]: {e}"))?;
                rules.household_points.validate().map_err(|e| anyhow::anyhow!("[household_points]: {e}"))?;
                rules.member_points.validate().map_err(|e| anyhow::anyhow!("[member_points]: {e}"))?;
                rules.service_ratings.validate().map_err(|e| anyhow::anyhow!("[service_ratings]: {e}"))?;
                rules.powers.validate().map_err(|e| anyhow::anyhow!("[powers]: {e}"))?;
                rules.economy.validate().map_err(|e| anyhow::anyhow!("[economy]: {e}"))?;
                rules.centers.validate().map_err(|e| anyhow::anyhow!("[centers]: {e}"))?;
                rules.rectification.validate().map_err(|e| anyhow::anyhow!("[rectification]: {e}"))?;
                rules.assessment.validate().map_err(|e| anyhow::anyhow!("[assessment]: {e}"))?;
                rules.volunteering.validate().map_err(|e| anyhow::anyhow!("[volunteering]: {e}"))?;
                let theme_day = rules.theme_day.clone().normalized().map_err(|e| anyhow::anyhow!("[theme_day]: {}", e.0))?;
                let rules = Rules { theme_day, ..rules };
                Ok(rules)
            }
        }
    }
}

/// Setup rules for the tree, shown as warnings (DOMAIN.md §1).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct OrgSetupRules {
    /// 《中国共产党支部工作条例（试行）》：有正式党员3人以上的，应当成立党支部。
    pub branch_min_full_members: i64,
    /// 《中国共产党支部工作条例（试行）》：党支部党员人数一般不超过50人。
    pub branch_max_members: i64,
    /// 《中国共产党支部工作条例（试行）》：党员人数超过50人的，可以成立党的总支部委员会。
    pub general_branch_from: i64,
    /// 《中国共产党章程》第三十条及基层组织工作条例：党员100人以上的，一般设立党的基层委员会。
    pub grassroots_committee_from: i64,
    /// 《中国共产党支部工作条例（试行）》：正式党员7人以上的党支部，应当设立支部委员会。
    pub branch_committee_from_full: i64,
    /// 《中国共产党支部工作条例（试行）》：支部委员会由3至5人组成，一般不超过7人。
    pub committee_min: i64,
    pub committee_max: i64,
    /// 《中国共产党支部工作条例（试行）》：联合党支部覆盖单位一般不超过5个。
    pub joint_max_units: i64,
    /// 《中国共产党农村基层组织工作条例》及城市基层党建有关规定：村、社区党组织每届任期5年。
    pub term_years_village_community: i64,
    /// 《中国共产党支部工作条例（试行）》：其他党支部（总支）委员会每届任期3年。
    pub term_years_other: i64,
    /// Months before a term ends from which its 换届 is shown as due (a product default: the
    /// preparations — 请示, 推荐候选人 — take months; 《中国共产党基层组织选举工作条例》第六条 asks
    /// for elections on time).
    pub term_reminder_months: u32,
}

impl Default for OrgSetupRules {
    fn default() -> Self {
        OrgSetupRules {
            branch_min_full_members: 3,
            branch_max_members: 50,
            general_branch_from: 50,
            grassroots_committee_from: 100,
            branch_committee_from_full: 7,
            committee_min: 3,
            committee_max: 5,
            joint_max_units: 5,
            term_years_village_community: 5,
            term_years_other: 3,
            term_reminder_months: 6,
        }
    }
}

/// Login protection. Not a Party rule: common practice (OWASP authentication guidance).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct AuthRules {
    /// Failed logins before each further attempt must wait (1 s, doubling).
    pub slow_after_failures: i64,
    /// Failed logins before the account is refused for `lock_minutes`.
    pub lock_after_failures: i64,
    pub lock_minutes: i64,
    /// Failed logins from one network address (any usernames) within `lock_minutes` before the
    /// address is refused for `lock_minutes`: stops one machine from guessing across accounts
    /// while a township office behind one address still works (a product default).
    pub address_failures: i64,
    pub session_hours: i64,
    pub token_days: i64,
}

impl Default for AuthRules {
    fn default() -> Self {
        AuthRules { slow_after_failures: 3, lock_after_failures: 10, lock_minutes: 15, address_failures: 30, session_hours: 12, token_days: 30 }
    }
}

#[cfg(test)]
mod tests {
    use super::Rules;

    fn load(toml: &str) -> anyhow::Result<Rules> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("rules.toml");
        std::fs::write(&p, toml)?;
        Rules::load(Some(&p))
    }

    #[test]
    fn recruitment_rules_load_and_refuse_what_the_rules_forbid() {
        let r = load("[recruitment]\ntraining_min_class_hours = 32\n").unwrap();
        assert_eq!(r.recruitment.training_min_class_hours, 32);
        assert_eq!(r.recruitment.min_age_years, 18, "the rest keeps its published default");
        let e = load("[recruitment]\nmin_age_years = 16\n").unwrap_err().to_string();
        assert!(e.starts_with("[recruitment]"), "{e}");
    }
}
