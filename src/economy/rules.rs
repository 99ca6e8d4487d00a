//! Village collective economy (村级集体经济). Pure: no DB, no HTTP, no clock.
//!
//! - [`EconomyRules`]: the income thresholds of the seeds (5万, 10万, 100万元), which villages
//!   count as weak, the sources of income and the levels of a cooperative's demonstration title.
//! - [`band`]: where a year's income stands against the thresholds, and why.
//!
//! Amounts are integer fen. Decisions: a year's income is the sum of its entries (a correction
//! is a new, negative entry naming the one it corrects); a village with no entry for the year is
//! "未报" (not reported), never counted as zero; a weak village (薄弱村) is one whose reported
//! income is below the first threshold.

use serde::{Deserialize, Serialize};

/// Seeds [000] (村集体收入最高的村已超过100万元，年收入5万元以上的也达到92个), [001] (全县集体经济收入5万元以上的村
/// 达到196个；8个集体经济薄弱村稳步增收), [004] (村级集体经济年收益低于5万元), [002] (合作社示范社).
pub const SOURCE: &str = "县级材料[000][001][004]：村集体经济年收入5万元、10万元、100万元以上的村数，年收益低于5万元为薄弱村；[002]：农民专业合作社示范社";

crate::code_enum!(
    /// Where an income comes from (村集体经济组织收入科目).
    IncomeSource {
        Operating = ("operating", "经营收入"),
        Contract = ("contract", "发包及上交收入"),
        Investment = ("investment", "投资收益"),
        Subsidy = ("subsidy", "补助收入"),
        Other = ("other", "其他收入"),
    }
);

crate::code_enum!(
    /// A cooperative's demonstration title (示范社).
    CoopLevel {
        None = ("none", "未评定"),
        County = ("county", "县级示范社"),
        City = ("city", "市级示范社"),
        Provincial = ("provincial", "省级示范社"),
        National = ("national", "国家级示范社"),
    }
);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EconomyRules {
    /// Income thresholds in fen, ascending: 5万, 10万, 100万元 by default.
    pub thresholds_fen: Vec<i64>,
    /// Subsidies count toward the thresholds (false: only the village's own income counts, as in
    /// counties that judge 自我造血 apart from transfers). Default true.
    pub subsidies_count: bool,
}

impl Default for EconomyRules {
    fn default() -> Self {
        EconomyRules { thresholds_fen: vec![5_000_000, 10_000_000, 100_000_000], subsidies_count: true }
    }
}

impl EconomyRules {
    pub fn validate(&self) -> Result<(), String> {
        if self.thresholds_fen.is_empty() || !self.thresholds_fen.windows(2).all(|w| w[0] < w[1]) || self.thresholds_fen[0] <= 0 {
            return Err("集体经济收入分档线应为升序的正数（以分为单位）".into());
        }
        Ok(())
    }
}

/// "5万元", "12.5万元", "3,456.78元".
pub fn yuan(fen: i64) -> String {
    if fen.abs() >= 1_000_000 && fen % 100_000 == 0 {
        let wan = fen / 1_000_000;
        let rest = (fen % 1_000_000).abs() / 100_000;
        if rest == 0 {
            format!("{wan}万元")
        } else {
            format!("{wan}.{rest}万元")
        }
    } else {
        format!("{}元", crate::dues::store::fmt_yuan(fen))
    }
}

/// A year's income against the thresholds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Band {
    /// 0: below the first threshold (weak); 1: from the first to the second; …
    pub index: usize,
    pub label: String,
    pub weak: bool,
    pub explanation: String,
}

/// The band of `fen` (the year's counted income).
pub fn band(rules: &EconomyRules, fen: i64) -> Band {
    let t = &rules.thresholds_fen;
    let index = t.iter().take_while(|&&x| fen >= x).count();
    let label = match index {
        0 => format!("{}以下（薄弱村）", yuan(t[0])),
        i if i == t.len() => format!("{}以上", yuan(t[i - 1])),
        i => format!("{}至{}", yuan(t[i - 1]), yuan(t[i])),
    };
    let explanation = if index == 0 {
        format!("年收入{}，低于{}，为集体经济薄弱村", yuan(fen), yuan(t[0]))
    } else {
        format!("年收入{}，达到{}", yuan(fen), yuan(t[index - 1]))
    };
    Band { index, label, weak: index == 0, explanation }
}

/// The counted income of a year from its entries: (source, fen) pairs.
pub fn counted(rules: &EconomyRules, entries: &[(IncomeSource, i64)]) -> i64 {
    entries.iter().filter(|(s, _)| rules.subsidies_count || *s != IncomeSource::Subsidy).map(|(_, f)| f).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_at_their_boundaries() {
        let r = EconomyRules::default();
        assert_eq!(band(&r, 4_999_999).index, 0);
        assert!(band(&r, 4_999_999).weak);
        assert_eq!(band(&r, 5_000_000).index, 1);
        assert_eq!(band(&r, 9_999_999).index, 1);
        assert_eq!(band(&r, 10_000_000).index, 2);
        assert_eq!(band(&r, 100_000_000).index, 3);
        assert_eq!(band(&r, 100_000_000).label, "100万元以上");
        assert_eq!(band(&r, 0).label, "5万元以下（薄弱村）");
        assert_eq!(band(&r, 7_000_000).label, "5万元至10万元");
        assert!(band(&r, 4_800_000).explanation.contains("4.8万元"));
    }

    #[test]
    fn subsidies_may_be_left_out() {
        let mut r = EconomyRules::default();
        let e = [(IncomeSource::Operating, 3_000_000), (IncomeSource::Subsidy, 3_000_000), (IncomeSource::Other, -500_000)];
        assert_eq!(counted(&r, &e), 5_500_000);
        r.subsidies_count = false;
        assert_eq!(counted(&r, &e), 2_500_000);
        assert!(EconomyRules { thresholds_fen: vec![10, 5], ..Default::default() }.validate().is_err());
        r.validate().unwrap();
    }

    #[test]
    fn yuan_reads_naturally() {
        assert_eq!(yuan(5_000_000), "5万元");
        assert_eq!(yuan(12_500_000), "12.5万元");
        assert_eq!(yuan(345_678), "3456.78元");
    }
}
