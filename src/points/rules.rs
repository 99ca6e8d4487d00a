//! Point rules. Pure: no DB, no HTTP, no clock.
//!
//! - [`CivicItem`]: the civic-practice catalog a grid worker picks from (庭院整洁, 孝老爱亲 …).
//! - [`basket_total`]: what a redemption costs, exactly, with its refusals.
//! - [`movements`]: a transfer as two movements summing to zero.
//!
//! Decisions: points are integers (no fractions, no rounding); a basket line takes 1 to
//! `max_quantity` of one good; a redemption is all or nothing.

use serde::{Deserialize, Serialize};

/// The seed's practice: households earn points for volunteering and civic practice and exchange
/// them for goods (龙湖社区“文明超市”，以户为单位搭建动态积分管理平台) [002]. The items and values
/// below are 本地默认: the seed lists none.
pub const SOURCE_CIVIC: &str = "社区材料[002]：龙湖社区打造“文明超市”，开展志愿者积分兑换活动，以户为单位搭建动态积分管理平台，激励居民积极参与各类志愿服务、文明实践等活动（事项和分值为本地默认）";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CivicItem {
    /// Stable code.
    pub code: String,
    pub label: String,
    /// Points per entry, positive.
    pub points: i64,
}

/// Household points; every value has a local default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HouseholdPointRules {
    /// The civic-practice catalog. Default: six items common in 文明实践积分 schemes (本地默认).
    pub civic_items: Vec<CivicItem>,
    /// At most this many of one good in one redemption. 20: 本地默认 (a counter, not a warehouse).
    pub max_quantity: i64,
}

impl Default for HouseholdPointRules {
    fn default() -> Self {
        let item = |code: &str, label: &str, points| CivicItem { code: code.into(), label: label.into(), points };
        HouseholdPointRules {
            civic_items: vec![
                item("tidy_yard", "庭院整洁", 5),
                item("filial", "孝老爱亲", 10),
                item("neighbour_help", "邻里互助", 5),
                item("waste_sorting", "垃圾分类", 3),
                item("thrifty_customs", "移风易俗（红白事简办）", 10),
                item("public_good", "参与公益事务", 5),
            ],
            max_quantity: 20,
        }
    }
}

impl HouseholdPointRules {
    pub fn validate(&self) -> Result<(), String> {
        if let Some(i) = self.civic_items.iter().find(|i| i.points <= 0) {
            return Err(format!("civic_items: “{}”的分值须为正整数", i.label));
        }
        let mut codes: Vec<&str> = self.civic_items.iter().map(|i| i.code.as_str()).collect();
        codes.sort();
        if codes.windows(2).any(|w| w[0] == w[1]) {
            return Err("civic_items: 事项代码重复".into());
        }
        if self.max_quantity <= 0 {
            return Err("max_quantity 须为正整数".into());
        }
        Ok(())
    }

    /// An item by code or label.
    pub fn civic(&self, s: &str) -> Option<&CivicItem> {
        let s = s.trim();
        self.civic_items.iter().find(|i| i.code == s || i.label == s)
    }
}

/// Why a basket cannot be redeemed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// One line: a good's name, price in points and the quantity asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub name: String,
    pub price: i64,
    pub quantity: i64,
}

/// The total of a basket: refuses an empty basket, a quantity outside 1..=max, and an overflow.
pub fn basket_total(rules: &HouseholdPointRules, lines: &[Line]) -> Result<i64, Refusal> {
    if lines.is_empty() {
        return Err(Refusal { code: "basket_empty", message: "请选择要兑换的物品".into() });
    }
    let mut total: i64 = 0;
    for l in lines {
        if l.quantity < 1 || l.quantity > rules.max_quantity {
            return Err(Refusal { code: "quantity_invalid", message: format!("“{}”的数量应在1到{}之间", l.name, rules.max_quantity) });
        }
        total = l.price.checked_mul(l.quantity).and_then(|v| total.checked_add(v)).ok_or(Refusal { code: "quantity_invalid", message: "兑换数量过大".into() })?;
    }
    Ok(total)
}

/// The refusal for a balance below the total.
pub fn short_of(balance: i64, total: i64) -> Option<Refusal> {
    (balance < total).then(|| Refusal { code: "points_short", message: format!("积分不足：需要 {total} 分，现有 {balance} 分，还差 {} 分", total - balance) })
}

/// A transfer of `points` from one account to another as its two movements; they sum to zero.
pub fn movements(from: i64, to: i64, points: i64) -> [(i64, i64); 2] {
    [(from, -points), (to, points)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, price: i64, quantity: i64) -> Line {
        Line { name: name.into(), price, quantity }
    }

    #[test]
    fn baskets_cost_exactly_and_refuse_what_is_wrong() {
        let r = HouseholdPointRules::default();
        assert_eq!(basket_total(&r, &[line("洗衣粉", 30, 2), line("毛巾", 15, 1)]), Ok(75));
        assert_eq!(basket_total(&r, &[]).unwrap_err().code, "basket_empty");
        assert_eq!(basket_total(&r, &[line("洗衣粉", 30, 0)]).unwrap_err().code, "quantity_invalid");
        assert_eq!(basket_total(&r, &[line("洗衣粉", 30, 21)]).unwrap_err().code, "quantity_invalid");
        assert!(basket_total(&r, &[line("洗衣粉", 30, 20)]).is_ok());
        assert_eq!(basket_total(&r, &[line("x", i64::MAX, 2)]).unwrap_err().code, "quantity_invalid");
    }

    #[test]
    fn balance_boundary_and_zero_sum() {
        assert!(short_of(75, 75).is_none());
        let s = short_of(74, 75).unwrap();
        assert_eq!(s.code, "points_short");
        assert!(s.message.contains("还差 1 分"), "{}", s.message);
        let m = movements(1, 2, 40);
        assert_eq!(m.iter().map(|(_, p)| p).sum::<i64>(), 0);
        assert_eq!(m, [(1, -40), (2, 40)]);
    }

    #[test]
    fn catalog_defaults_and_validation() {
        let r = HouseholdPointRules::default();
        assert!(r.validate().is_ok());
        assert_eq!(r.civic("孝老爱亲").map(|i| i.points), Some(10));
        assert_eq!(r.civic("tidy_yard").map(|i| i.label.as_str()), Some("庭院整洁"));
        let mut bad = r.clone();
        bad.civic_items[0].points = 0;
        assert!(bad.validate().is_err());
        let mut dup = r;
        dup.civic_items[1].code = "tidy_yard".into();
        assert!(dup.validate().is_err());
        assert_eq!(toml::from_str::<HouseholdPointRules>("").unwrap(), HouseholdPointRules::default());
    }
}
