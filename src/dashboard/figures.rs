//! The dashboard's figures, one section per capability, computed from a subtree's counters
//! (`org_stats`) and tallies (`tallies`) alone. Pure: counts in, figures out. A capability adds
//! its figures by adding a [`SectionDef`] to [`SECTIONS`] (and its counts to `tallies::sources`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::auth::roles::Perm;
use crate::charts::percent;

/// metric → period → n, for one org's subtree.
pub type Tallies = BTreeMap<String, BTreeMap<String, i64>>;
/// dim → key → n (`orgs::stats::load`).
pub type Stats = BTreeMap<String, BTreeMap<String, i64>>;

/// What the figures of one org are computed from.
pub struct Input<'a> {
    pub stats: &'a Stats,
    pub tallies: &'a Tallies,
    pub year: i32,
    /// The last month counted: this month for the current year, December for a past one.
    pub last_month: u32,
    /// Years whose calendar-bound tallies (life, dues) are kept.
    pub kept_years: [i32; 2],
}

impl Input<'_> {
    fn t(&self, metric: &str, period: &str) -> i64 {
        self.tallies.get(metric).and_then(|m| m.get(period)).copied().unwrap_or(0)
    }
    fn y(&self, metric: &str) -> i64 {
        self.t(metric, &self.year.to_string())
    }
    /// The sum of a monthly metric over the year's months up to `last_month`.
    fn months(&self, metric: &str) -> i64 {
        (1..=self.last_month).map(|m| self.t(metric, &format!("{:04}-{m:02}", self.year))).sum()
    }
    fn now(&self, metric: &str) -> i64 {
        self.t(metric, "now")
    }
    fn s(&self, dim: &str, key: &str) -> i64 {
        self.stats.get(dim).and_then(|m| m.get(key)).copied().unwrap_or(0)
    }
    fn dim_total(&self, dim: &str) -> i64 {
        self.stats.get(dim).map(|m| m.values().sum()).unwrap_or(0)
    }
    fn kept(&self) -> bool {
        self.kept_years.contains(&self.year)
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Figure {
    /// Stable key, e.g. "life.compliance".
    pub key: String,
    pub label: String,
    /// As shown: "96.5%", "1,234", "—".
    pub value: String,
    /// The count, or the numerator of a rate.
    pub n: i64,
    /// The denominator of a rate.
    pub of: Option<i64>,
    /// The rate in basis points (10000 = 100%), None when the denominator is zero.
    pub bp: Option<i64>,
    /// What the figure counts and where from.
    pub basis: String,
}

fn count(key: &str, label: &str, n: i64, basis: &str) -> Figure {
    Figure { key: key.into(), label: label.into(), value: n.to_string(), n, of: None, bp: None, basis: basis.into() }
}

/// Basis points, rounded half up as the reports round them.
pub fn rate_bp(n: i64, d: i64) -> Option<i64> {
    (d > 0).then(|| (n * 20_000 + d) / (2 * d))
}

fn rate(key: &str, label: &str, n: i64, d: i64, basis: &str) -> Figure {
    let bp = rate_bp(n, d);
    Figure { key: key.into(), label: label.into(), value: bp.map_or("—".into(), percent), n, of: Some(d), bp, basis: basis.into() }
}

/// Money as shown: yuan below 1万元, else 万元 to two places (rounded half up); `n` keeps the fen.
pub fn shown_yuan(fen: i64) -> String {
    if fen.abs() < 1_000_000 {
        return format!("{}元", crate::dues::store::fmt_yuan(fen));
    }
    let hundredths = (fen.abs() + 5_000) / 10_000;
    format!("{}{}.{:02}万元", if fen < 0 { "-" } else { "" }, hundredths / 100, hundredths % 100)
}

fn yuan(key: &str, label: &str, fen: i64, basis: &str) -> Figure {
    Figure { key: key.into(), label: label.into(), value: shown_yuan(fen), n: fen, of: None, bp: None, basis: basis.into() }
}

/// A month-by-month rate: numerator and denominator metrics.
pub struct TrendDef {
    pub title: &'static str,
    pub num: &'static str,
    pub den: &'static str,
    pub note: &'static str,
}

pub struct SectionDef {
    pub key: &'static str,
    pub title: &'static str,
    /// Needed at the org to see the section.
    pub perm: Perm,
    /// The page with the records behind the figures ("{id}" is the org).
    pub link: &'static str,
    pub figures: fn(&Input) -> Vec<Figure>,
    /// Shown in the comparison of the children: the key of one of `figures`.
    pub headline: &'static str,
    pub trend: Option<TrendDef>,
}

const NOT_KEPT: &str = "只保留去年和今年的逐月统计";

fn org_figures(i: &Input) -> Vec<Figure> {
    use crate::orgs::stats::*;
    let members = i.s(DIM_MEMBERS, "all");
    let young: i64 = i.stats.get(DIM_BIRTH_YEAR).map(|m| m.iter().filter(|(y, _)| y.parse::<i32>().is_ok_and(|y| i.year - y <= 35)).map(|(_, n)| n).sum()).unwrap_or(0);
    let college = i.s(DIM_EDUCATION, "postgraduate") + i.s(DIM_EDUCATION, "bachelor") + i.s(DIM_EDUCATION, "college");
    let mut out = vec![
        count("orgs.members", "党员", members, "党员名册中在册的党员（含下级组织）"),
        count("orgs.orgs", "党组织", i.dim_total(DIM_ORGS), "未撤销的党组织（含本级）"),
        count("orgs.branches", "党支部", i.s(DIM_ORGS, "branch"), "党支部（含联合党支部）"),
        count("orgs.probationary", "预备党员", i.s(DIM_STATUS, "probationary"), "党员名册中的预备党员"),
        rate("orgs.female", "女党员占比", i.s(DIM_GENDER, "female"), members, "女党员 ÷ 党员"),
        rate("orgs.young", "35岁及以下占比", young, members, "当年12月31日年满35岁及以下的党员 ÷ 党员"),
        rate("orgs.college", "大专及以上学历占比", college, members, "研究生、大学本科、大学专科学历的党员 ÷ 党员"),
    ];
    let pipeline: i64 = ["applicant", "activist", "target"].iter().map(|k| i.s(DIM_RECRUIT, k)).sum();
    out.push(count("recruit.pipeline", "发展党员在途", pipeline, "入党申请人、入党积极分子、发展对象（进行中的发展档案）"));
    out
}

fn life_figures(i: &Input) -> Vec<Figure> {
    if !i.kept() {
        return vec![count("life.judged", "参与考核的党组织", 0, NOT_KEPT)];
    }
    let judged = i.y("life.judged");
    let missed_orgs = i.y("life.orgs_missed");
    let (met, missed) = (i.y("life.met"), i.y("life.missed"));
    vec![
        rate("life.compliance", "组织生活全部落实的组织", judged - missed_orgs, judged, "全年已到期的“三会一课”等要求全部按期落实的党组织 ÷ 参与考核的党组织"),
        rate("life.met_rate", "按期落实的要求", met, met + missed, "已到期的要求中按期落实的次数 ÷ 已到期的要求"),
        count("life.missed", "未按期落实", missed, "已过期且次数不足的要求（每个组织每个周期一项）"),
        count("life.not_due", "本期待落实", i.y("life.not_due"), "周期尚未结束、还未落实的要求"),
    ]
}

fn dues_figures(i: &Input) -> Vec<Figure> {
    if !i.kept() {
        return vec![count("dues.owed", "应交党费（分）", 0, NOT_KEPT)];
    }
    let (owed, paid) = (i.months("dues.owed"), i.months("dues.paid"));
    vec![
        rate("dues.rate", "党费交纳率", paid, owed, "当年至本月已交（每月不超过应交）÷ 应交，按核定基数计，在册党员"),
        yuan("dues.owed", "应交党费", owed, "当年至本月在册党员的应交党费"),
        yuan("dues.paid", "已交党费", paid, "当年至本月已交（每月不超过应交）"),
    ]
}

fn requests_figures(i: &Input) -> Vec<Figure> {
    let (fixed, on_time) = (i.months("requests.fixed"), i.months("requests.on_time"));
    vec![
        rate("requests.on_time", "诉求按时办结率", on_time, fixed, "当年办结的诉求中在办理时限内办结的比例"),
        count("requests.received", "当年受理诉求", i.months("requests.received"), "当年登记的群众诉求和微心愿"),
        count("requests.fixed", "当年办结", fixed, "当年办结（已兑现或已关闭）的诉求"),
        count("requests.open", "在办诉求", i.now("requests.open"), "尚未办结的诉求（当前）"),
    ]
}

fn disputes_figures(i: &Input) -> Vec<Figure> {
    let (opened, resolved) = (i.months("disputes.opened"), i.months("disputes.resolved"));
    vec![
        rate("disputes.rate", "矛盾纠纷化解率", resolved, opened, "当年排查受理的纠纷中已调解成功的比例"),
        count("disputes.opened", "当年排查受理", opened, "当年受理的矛盾纠纷"),
        count("disputes.open", "在调处纠纷", i.now("disputes.open"), "尚未办结的纠纷（当前）"),
    ]
}

fn econ_figures(i: &Input) -> Vec<Figure> {
    let villages = i.y("econ.villages");
    vec![
        rate("econ.above_first", "集体经济收入达标村", villages - i.y("econ.band0"), villages, "当年收入不低于第一档门槛（默认5万元）的村 ÷ 已填报收入的村"),
        count("econ.weak", "集体经济薄弱村", i.y("econ.band0"), "当年收入低于第一档门槛的村"),
        count("econ.band2", "10万元以上（不含100万）", i.y("econ.band2"), "收入在第二、三档门槛之间的村"),
        count("econ.band3", "100万元以上", i.y("econ.band3"), "收入达到最高档门槛的村"),
        yuan("econ.income", "村集体经济收入合计", i.y("econ.income_fen"), "已填报的当年集体经济收入（按计入口径）"),
    ]
}

/// The stars in force: the year's rating, or last year's until the year's is given (ratings are
/// given at the year's end).
fn stars_figures(i: &Input) -> Vec<Figure> {
    let y = if i.y("stars.rated") > 0 { i.year } else { i.year - 1 };
    let at = |m: &str| i.t(m, &y.to_string());
    let basis = format!("{y}年评定（含复核调整）的星级");
    let mut out = vec![rate("stars.four_up", "四星级以上党组织", at("stars.s5") + at("stars.s4"), at("stars.rated"), &format!("{y}年评定为五星、四星的党组织 ÷ 已评定的党组织"))];
    for s in (1..=5).rev() {
        out.push(count(&format!("stars.s{s}"), &format!("{s}星级"), at(&format!("stars.s{s}")), &basis));
    }
    out.push(count("stars.s0", "未定星", at("stars.s0"), &format!("{y}年评定为不达星的党组织")));
    out
}

fn weak_figures(i: &Input) -> Vec<Figure> {
    vec![
        count("weak.open", "整顿中的软弱涣散党组织", i.now("weak.open"), "尚未销号的整顿（当前）"),
        count("weak.identified", "当年认定", i.y("weak.identified"), "当年认定的软弱涣散党组织"),
        rate("weak.closed", "当年认定已销号", i.y("weak.closed"), i.y("weak.identified"), "当年认定的软弱涣散党组织中已销号的比例"),
    ]
}

fn ratings_figures(i: &Input) -> Vec<Figure> {
    let (all, bad) = (i.months("ratings.all"), i.months("ratings.bad"));
    vec![
        rate("ratings.not_bad", "非差评率", all - bad, all, "当年评价中非“不满意”“非常不满意”的比例"),
        count("ratings.all", "当年评价", all, "各服务窗口当年收到的好差评"),
        count("ratings.bad", "差评", bad, "不满意、非常不满意"),
        count("ratings.open", "待回访整改的差评", i.now("ratings.open"), "尚未回访办结的差评（当前）"),
    ]
}

fn cadres_figures(i: &Input) -> Vec<Figure> {
    let villages = i.now("cadres.villages");
    vec![
        rate("cadres.one_shoulder", "“一肩挑”比例", i.now("cadres.one_shoulder"), villages, "村（社区）党组织书记同时担任村（居）委会主任的 ÷ 村（社区），当前在任"),
        count("cadres.villages", "村（社区）", villages, "村（社区）一级的党组织（当前）"),
    ]
}

fn mobile_figures(i: &Input) -> Vec<Figure> {
    let away = i.now("mobile.away");
    vec![
        rate("mobile.heard", "本季度已联系的流动党员", i.now("mobile.heard"), away, "在外流动党员中本季度已登记“七个清楚”台账的比例"),
        count("mobile.away", "在外流动党员", away, "已外出报备、尚未返回的党员（当前）"),
    ]
}

pub const SECTIONS: &[SectionDef] = &[
    SectionDef { key: "orgs", title: "组织和党员", perm: Perm::ReadOrgs, link: "/orgs/{id}", figures: org_figures, headline: "orgs.members", trend: None },
    SectionDef {
        key: "life",
        title: "组织生活（三会一课）",
        perm: Perm::ReadOrgLife,
        link: "/orgs/{id}/compliance",
        figures: life_figures,
        headline: "life.compliance",
        trend: Some(TrendDef { title: "组织生活落实率", num: "life.met", den: "life.met+life.missed", note: "当月到期的要求中按期落实的比例（按周期最后一天所在月份计）" }),
    },
    SectionDef {
        key: "dues",
        title: "党费收缴",
        perm: Perm::ReadDues,
        link: "/orgs/{id}/dues",
        figures: dues_figures,
        headline: "dues.rate",
        trend: Some(TrendDef { title: "党费交纳率", num: "dues.paid", den: "dues.owed", note: "当月已交（不超过应交）÷ 当月应交，按核定基数计" }),
    },
    SectionDef {
        key: "requests",
        title: "群众诉求",
        perm: Perm::ReadRequests,
        link: "/orgs/{id}/requests",
        figures: requests_figures,
        headline: "requests.on_time",
        trend: Some(TrendDef { title: "诉求按时办结率", num: "requests.on_time", den: "requests.fixed", note: "当月办结的诉求中在办理时限内办结的比例" }),
    },
    SectionDef {
        key: "disputes",
        title: "矛盾纠纷",
        perm: Perm::ReadDisputes,
        link: "/orgs/{id}/disputes",
        figures: disputes_figures,
        headline: "disputes.rate",
        trend: Some(TrendDef { title: "矛盾纠纷化解率", num: "disputes.resolved", den: "disputes.opened", note: "当月新排查受理的纠纷中至今调解成功的比例" }),
    },
    SectionDef { key: "cadres", title: "村（社区）干部", perm: Perm::ReadCadres, link: "/orgs/{id}/cadres", figures: cadres_figures, headline: "cadres.one_shoulder", trend: None },
    SectionDef { key: "mobile", title: "流动党员", perm: Perm::ReadMembers, link: "/orgs/{id}/mobile-members", figures: mobile_figures, headline: "mobile.heard", trend: None },
    SectionDef { key: "econ", title: "村集体经济", perm: Perm::ReadOrgs, link: "/orgs/{id}/economy", figures: econ_figures, headline: "econ.above_first", trend: None },
    SectionDef { key: "stars", title: "星级评定", perm: Perm::ReadAssessment, link: "/orgs/{id}/assessment", figures: stars_figures, headline: "stars.four_up", trend: None },
    SectionDef { key: "weak", title: "软弱涣散整顿", perm: Perm::ReadAssessment, link: "/orgs/{id}/rectification", figures: weak_figures, headline: "weak.open", trend: None },
    SectionDef {
        key: "ratings",
        title: "好差评",
        perm: Perm::ReadOrgs,
        link: "/orgs/{id}/service-ratings",
        figures: ratings_figures,
        headline: "ratings.not_bad",
        trend: Some(TrendDef { title: "好差评非差评率", num: "ratings.all-ratings.bad", den: "ratings.all", note: "当月评价中非差评的比例" }),
    },
];

/// A monthly value of a trend expression: "a", "a+b" or "a-b".
pub fn monthly_value(t: &Tallies, expr: &str, month: &str) -> i64 {
    let get = |m: &str| t.get(m).and_then(|p| p.get(month)).copied().unwrap_or(0);
    if let Some((a, b)) = expr.split_once('+') {
        get(a) + get(b)
    } else if let Some((a, b)) = expr.split_once('-') {
        get(a) - get(b)
    } else {
        get(expr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tallies(rows: &[(&str, &str, i64)]) -> Tallies {
        let mut t = Tallies::new();
        for (m, p, n) in rows {
            t.entry(m.to_string()).or_default().insert(p.to_string(), *n);
        }
        t
    }

    #[test]
    fn rates_round_half_up_and_say_dash_when_empty() {
        assert_eq!(rate_bp(1, 3), Some(3333));
        assert_eq!(rate_bp(2, 3), Some(6667));
        assert_eq!(rate_bp(0, 0), None);
        assert_eq!(rate("x", "x", 0, 0, "").value, "—");
    }

    #[test]
    fn life_compliance_counts_orgs_without_a_miss() {
        let t = tallies(&[("life.judged", "2026", 40), ("life.orgs_missed", "2026", 3), ("life.met", "2026", 300), ("life.missed", "2026", 5)]);
        let stats = Stats::new();
        let i = Input { stats: &stats, tallies: &t, year: 2026, last_month: 11, kept_years: [2025, 2026] };
        let f = life_figures(&i);
        assert_eq!(f[0].value, "92.5%");
        assert_eq!((f[0].n, f[0].of), (37, Some(40)));
        let old = Input { year: 2023, ..i };
        assert_eq!(life_figures(&old)[0].basis, NOT_KEPT, "years not kept say so instead of showing zeros");
    }

    #[test]
    fn monthly_sums_stop_at_the_last_month_and_expressions_combine() {
        let t = tallies(&[("dues.owed", "2026-01", 100), ("dues.owed", "2026-02", 100), ("dues.owed", "2026-12", 100), ("dues.paid", "2026-01", 100), ("dues.paid", "2026-02", 50)]);
        let stats = Stats::new();
        let i = Input { stats: &stats, tallies: &t, year: 2026, last_month: 2, kept_years: [2025, 2026] };
        let f = dues_figures(&i);
        assert_eq!((f[0].n, f[0].of, f[0].value.as_str()), (150, Some(200), "75.0%"));
        assert_eq!(monthly_value(&t, "dues.owed+dues.paid", "2026-02"), 150);
        assert_eq!(monthly_value(&t, "dues.owed-dues.paid", "2026-02"), 50);
    }

    #[test]
    fn money_shows_in_wan_from_ten_thousand_yuan() {
        assert_eq!(shown_yuan(999_999), "9999.99元");
        assert_eq!(shown_yuan(1_000_000), "1.00万元");
        assert_eq!(shown_yuan(796_414_550), "796.41万元");
        assert_eq!(shown_yuan(796_415_000), "796.42万元");
        assert_eq!(shown_yuan(-1_234_567), "-1.23万元");
    }

    #[test]
    fn every_headline_is_one_of_its_sections_figures() {
        let (t, s) = (Tallies::new(), Stats::new());
        let i = Input { stats: &s, tallies: &t, year: 2026, last_month: 12, kept_years: [2025, 2026] };
        for d in SECTIONS {
            assert!((d.figures)(&i).iter().any(|f| f.key == d.headline), "{}", d.key);
        }
    }
}
