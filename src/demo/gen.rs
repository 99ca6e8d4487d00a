//! Demo data: a deterministic Party-organization tree (a county, a county-level city
//! or a province) and its members, streamed to callbacks. Pure: no database, no I/O.
//!
//! Sizes follow the seeds: a county with 504 grassroots organizations, 12,016 members,
//! 133 villages and 3 communities (seed 004, 绛县); a county-level city with 34 Party
//! (work) committees, 51 general branches, 1,296 branches and 46,645 members (seed 003,
//! 林州). As in both sources, organization counts are 基层党组织 (党委, 党工委, 党总支,
//! 党支部); 党小组 come on top of them.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, Months, NaiveDate};
use rand::distributions::{Distribution, WeightedIndex};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::members::id_card::IdCardNumber;
use crate::members::model::{Education, Gender, MemberStatus, Post};
use crate::orgs::model::{OrgDomain, OrgKind, OrgVariant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    County,
    City,
    Province,
    /// N provinces of the province's shape under one national root (at most [`MAX_PROVINCES`]).
    Country(u32),
}

/// Provinces a country demo holds at most: one per province-level ID-card region code below.
pub const MAX_PROVINCES: u32 = PROVINCE_REGIONS.len() as u32;

/// The first two digits of real province-level ID-card region codes (GB/T 2260), one per
/// demo province, so members' ID numbers and org codes never collide across provinces.
const PROVINCE_REGIONS: [u32; 27] = [14, 15, 21, 22, 23, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65];

impl Scale {
    /// "county" | "city" | "province" | "country" (with `provinces` of them).
    pub fn parse(s: &str) -> Option<Scale> {
        Self::parse_with(s, 5)
    }

    pub fn parse_with(s: &str, provinces: u32) -> Option<Scale> {
        match s.trim() {
            "county" => Some(Scale::County),
            "city" => Some(Scale::City),
            "province" => Some(Scale::Province),
            "country" if (1..=MAX_PROVINCES).contains(&provinces) => Some(Scale::Country(provinces)),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct DemoOrg {
    /// 1..=N in emission order.
    pub id: i64,
    /// None only for the root; a parent is always emitted before its children.
    pub parent_id: Option<i64>,
    /// 6-digit region code + serial within the region; unique across the run.
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub variant: OrgVariant,
    pub domain: OrgDomain,
    /// Units covered; > 0 only for joint organizations.
    pub joint_units: i64,
    pub term_start: Option<NaiveDate>,
    pub founded_on: NaiveDate,
}

#[derive(Clone, Debug)]
pub struct DemoMember {
    /// Always a branch or a group.
    pub org_id: i64,
    pub name: String,
    pub id_number: IdCardNumber,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub ethnicity: String,
    pub education: Education,
    pub phone: Option<String>,
    pub joined_on: NaiveDate,
    pub full_on: Option<NaiveDate>,
    pub status: MemberStatus,
    pub posts: Vec<Post>,
    pub in_service: bool,
    pub work_unit: Option<String>,
}

/// Streams the whole dataset: every org first (parents before children), then every member.
/// Deterministic: same (scale, seed, today) gives the same output, byte for byte.
pub fn generate(
    scale: Scale,
    seed: u64,
    today: NaiveDate,
    on_org: &mut dyn FnMut(DemoOrg),
    on_member: &mut dyn FnMut(DemoMember),
) {
    let mut g = Gen::new(seed, today, on_org);
    match scale {
        Scale::County => {
            let region = 140000 + g.rng.gen_range(1..=11) * 100 + g.rng.gen_range(21..=32);
            g.county(None, region, &CountySpec::COUNTY);
        }
        Scale::City => {
            let region = 140081 + g.rng.gen_range(1..=11) * 100;
            g.county(None, region, &CountySpec::CITY);
        }
        Scale::Province => g.province(None, 14, None),
        Scale::Country(n) => {
            let root = g.emit(None, "中国共产党全国组织（演示）".to_string(), OrgKind::Committee, OrgVariant::Regular, OrgDomain::Region, 0);
            for p in 0..n as usize {
                g.province(Some(root), PROVINCE_REGIONS[p], Some(COUNTRY_PROVINCES[p]));
            }
        }
    }
    let Gen { rng, slots, units, .. } = g;
    let mut m = MemberGen::new(rng, today);
    for slot in &slots {
        m.emit(slot, &units, on_member);
    }
}

// ---------------------------------------------------------------------------------------
// Shapes

/// One county (县) or county-level city (县级市).
struct CountySpec {
    city: bool,
    /// 乡镇 (党委) and 街道 (党工委).
    towns: usize,
    streets: usize,
    villages: usize,
    communities: usize,
    /// Share of villages that are large merged villages run by a 党总支.
    gb_share: f64,
    /// Mode of an ordinary village branch's size (range 20–50, a few 51–80).
    village_mode: f64,
    joints: usize,
    tiny: usize,
    temporaries: usize,
    functional: usize,
    /// Multiplies the number of county-level units (organs, schools, firms…).
    units: f64,
    /// Multiplies their sizes.
    unit_size: f64,
}

impl CountySpec {
    /// Seed 004: 133 villages, 3 communities; about 12 townships.
    const COUNTY: CountySpec = CountySpec {
        city: false,
        towns: 12,
        streets: 0,
        villages: 133,
        communities: 3,
        gb_share: 0.20,
        village_mode: 41.0,
        joints: 3,
        tiny: 2,
        temporaries: 2,
        functional: 2,
        units: 1.65,
        unit_size: 1.0,
    };
    /// Seed 003: a county-level city of 20 towns and 街道; the village count and unit
    /// scale are set so the totals land on the seed's.
    const CITY: CountySpec = CountySpec {
        city: true,
        towns: 16,
        streets: 4,
        villages: 660,
        communities: 30,
        gb_share: 0.03,
        village_mode: 44.0,
        joints: 6,
        tiny: 3,
        temporaries: 2,
        functional: 2,
        units: 3.4,
        unit_size: 2.0,
    };
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    County,
    City,
    Province,
}

// ---------------------------------------------------------------------------------------
// The tree

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Profile {
    Rural,
    Community,
    Township,
    Organ,
    Retiree,
    School,
    Health,
    Student,
    Soe,
    Private,
    Social,
    Mobile,
}

#[derive(Clone, Copy)]
enum Seats {
    /// The first `seats` members hold the committee posts (1 = the secretary only).
    Branch { seats: u8, deputy: bool },
    /// The first member leads the group; the next `central` are 党员中心户.
    Group { central: u8 },
}

/// Members still to be generated for one org.
#[derive(Clone, Copy)]
struct Slot {
    org_id: i64,
    n: u32,
    /// The last `prob` members are probationary.
    prob: u32,
    seats: Seats,
    profile: Profile,
    region: u32,
    unit: Option<u32>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Flat,
    Village,
    Buildings,
}

struct BranchSpec {
    parent: i64,
    name: String,
    domain: OrgDomain,
    profile: Profile,
    unit: Option<u32>,
    total: u32,
    style: Style,
    variant: OrgVariant,
    joint_units: i64,
    tiny: bool,
    functional: Option<&'static str>,
}

impl BranchSpec {
    fn new(parent: i64, name: String, domain: OrgDomain, profile: Profile, unit: Option<u32>, total: u32) -> Self {
        BranchSpec {
            parent,
            name,
            domain,
            profile,
            unit,
            total,
            style: Style::Flat,
            variant: OrgVariant::Regular,
            joint_units: 0,
            tiny: false,
            functional: None,
        }
    }
    fn style(mut self, s: Style) -> Self {
        self.style = s;
        self
    }
}

struct Gen<'a> {
    rng: ChaCha8Rng,
    today: NaiveDate,
    founded: Vec<NaiveDate>,
    serials: HashMap<u32, u32>,
    slots: Vec<Slot>,
    units: Vec<String>,
    /// Region of org codes, and of members' ID numbers, for what is being built.
    region: u32,
    member_region: u32,
    places: HashSet<String>,
    local_names: HashSet<String>,
    /// The first joint branch of the run covers 6 units, so the warning shows.
    six_pending: bool,
    /// This county's village and community election.
    election: NaiveDate,
    on_org: &'a mut dyn FnMut(DemoOrg),
}

impl<'a> Gen<'a> {
    fn new(seed: u64, today: NaiveDate, on_org: &'a mut dyn FnMut(DemoOrg)) -> Self {
        Gen {
            rng: ChaCha8Rng::seed_from_u64(seed),
            today,
            founded: Vec::new(),
            serials: HashMap::new(),
            slots: Vec::new(),
            units: Vec::new(),
            region: 140000,
            member_region: 140105,
            places: HashSet::new(),
            local_names: HashSet::new(),
            six_pending: true,
            election: today,
            on_org,
        }
    }

    fn tri(&mut self, lo: f64, mode: f64, hi: f64) -> f64 {
        tri(&mut self.rng, lo, mode, hi)
    }

    fn size(&mut self, lo: f64, mode: f64, hi: f64, k: f64) -> u32 {
        (self.tri(lo, mode, hi) * k).round().max(3.0) as u32
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        *xs.choose(&mut self.rng).expect("non-empty")
    }

    fn unit(&mut self, name: String) -> Option<u32> {
        self.units.push(name);
        Some(self.units.len() as u32 - 1)
    }

    /// A regular org under `parent`.
    fn node(&mut self, parent: i64, name: String, kind: OrgKind, domain: OrgDomain) -> i64 {
        self.emit(Some(parent), name, kind, OrgVariant::Regular, domain, 0)
    }

    fn emit(
        &mut self,
        parent: Option<i64>,
        name: String,
        kind: OrgKind,
        variant: OrgVariant,
        domain: OrgDomain,
        joint_units: i64,
    ) -> i64 {
        let id = self.founded.len() as i64 + 1;
        let serial = self.serials.entry(self.region).or_insert(0);
        *serial += 1;
        let code = format!("{:06}{:04}", self.region, serial);
        let (lo, hi) = match (kind, variant, domain) {
            (OrgKind::Group, _, _) => (1985, 2020),
            (_, OrgVariant::Temporary, _) => (2012, 2020),
            (_, _, OrgDomain::Region) => (1950, 1956),
            (_, _, OrgDomain::Township) => (1950, 1984),
            (_, _, OrgDomain::Rural) => (1950, 1985),
            (_, _, OrgDomain::Community) => (1990, 2015),
            (_, _, OrgDomain::Organ) => (1953, 2019),
            (_, _, OrgDomain::Institution) => (1956, 2016),
            (_, _, OrgDomain::Soe) => (1958, 2018),
            (_, _, OrgDomain::Private) => (1998, 2020),
            (_, _, OrgDomain::Social) => (2005, 2020),
        };
        let mut founded = self.date_in(lo, hi);
        if let Some(p) = parent {
            let pf = self.founded[p as usize - 1];
            if founded < pf {
                let room = (self.today - pf).num_days().clamp(0, 3650);
                founded = pf + Duration::days(self.rng.gen_range(0..=room));
            }
        }
        self.founded.push(founded);
        let term_start = if kind == OrgKind::Group || variant == OrgVariant::Temporary {
            None
        } else {
            Some(self.term_start(domain).max(founded))
        };
        (self.on_org)(DemoOrg {
            id,
            parent_id: parent,
            code,
            name,
            kind,
            variant,
            domain,
            joint_units,
            term_start,
            founded_on: founded,
        });
        id
    }

    fn date_in(&mut self, lo: i32, hi: i32) -> NaiveDate {
        let hi = hi.min(self.today.year() - 1).max(lo);
        let year = self.rng.gen_range(lo..=hi);
        let start = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
        (start + Duration::days(self.rng.gen_range(0..365))).min(self.today)
    }

    /// Within the current term mostly; about 3% expired so the warning shows.
    fn term_start(&mut self, domain: OrgDomain) -> NaiveDate {
        let years: i64 = if matches!(domain, OrgDomain::Rural | OrgDomain::Community) { 5 } else { 3 };
        let today = self.today;
        if self.rng.gen_bool(0.03) {
            return today - Duration::days(years * 365 + self.rng.gen_range(30..=700));
        }
        if years == 5 {
            let d = self.election + Duration::days(self.rng.gen_range(-40..=40));
            return d.min(today - Duration::days(30)).max(today - Duration::days(years * 365 - 30));
        }
        today - Duration::days(self.rng.gen_range(200..=years * 365 - 30))
    }

    /// A branch holding `total` members, its groups included. With groups, the branch
    /// committee sits in the branch itself and everyone else in a group.
    fn branch(&mut self, b: BranchSpec) -> i64 {
        let id = self.emit(Some(b.parent), b.name, OrgKind::Branch, b.variant, b.domain, b.joint_units);
        let (total, prob) = if b.tiny {
            let t = self.rng.gen_range(2..=3);
            (t, t - 2)
        } else {
            let t = b.total.max(3);
            let p = if matches!(b.profile, Profile::Retiree) { 0 } else { binomial(&mut self.rng, t, 0.03) };
            (t, p.min(t - 3))
        };
        let full = total - prob;
        let seats: u8 = if full >= 7 { *[3, 3, 3, 4, 4, 5].choose(&mut self.rng).unwrap() } else { 1 };
        let deputy = seats >= 4 && self.rng.gen_bool(0.45);
        let base = Slot {
            org_id: id,
            n: total,
            prob,
            seats: Seats::Branch { seats, deputy },
            profile: b.profile,
            region: self.member_region,
            unit: b.unit,
        };
        if b.style == Style::Flat || total < 10 {
            self.slots.push(base);
            return id;
        }
        self.slots.push(Slot { n: seats as u32, prob: 0, ..base });
        let mut rest = total - seats as u32;
        if let Some(fname) = b.functional {
            let k = self.rng.gen_range(3..=5);
            if rest >= k + 6 {
                let gid = self.emit(Some(id), fname.to_string(), OrgKind::Group, OrgVariant::Functional, b.domain, 0);
                self.slots.push(Slot { org_id: gid, n: k, prob: 0, seats: Seats::Group { central: 0 }, ..base });
                rest -= k;
            }
        }
        let per = if b.style == Style::Buildings { 10.0 } else { 13.0 };
        let mut g = ((rest as f64 / per).round() as usize).clamp(2, 4);
        if self.rng.gen_bool(0.2) {
            g = if self.rng.gen_bool(0.5) { g + 1 } else { g - 1 }.clamp(2, 4);
        }
        let sizes = self.split(rest, g, 2);
        let mut buildings = Vec::new();
        if b.style == Style::Buildings {
            buildings = (1..=30).collect();
            buildings.shuffle(&mut self.rng);
            buildings.truncate(g);
            buildings.sort_unstable();
        }
        let mut left = prob;
        for (i, &n) in sizes.iter().enumerate() {
            let (name, central) = match b.style {
                Style::Buildings => {
                    let c = if n >= 4 { self.rng.gen_range(1..=2) } else { 0 };
                    (format!("{}号楼党小组", buildings[i]), c)
                }
                _ => (format!("第{}党小组", cn(i + 1)), 0),
            };
            let gid = self.node(id, name, OrgKind::Group, b.domain);
            let room = n - 1 - central as u32;
            let p = if i + 1 == sizes.len() {
                left.min(room)
            } else {
                binomial(&mut self.rng, n, 0.03).min(left).min(room)
            };
            left -= p;
            self.slots.push(Slot { org_id: gid, n, prob: p, seats: Seats::Group { central }, ..base });
        }
        id
    }

    fn split(&mut self, total: u32, parts: usize, min: u32) -> Vec<u32> {
        let w: Vec<f64> = (0..parts).map(|_| self.rng.gen_range(0.7..1.3)).collect();
        let free = total.saturating_sub(min * parts as u32) as usize;
        allocate(free, &w).into_iter().map(|x| x as u32 + min).collect()
    }

    // --- names ---------------------------------------------------------------------

    /// A two-character county or city name, unique in the run.
    fn place(&mut self) -> String {
        loop {
            let a = self.pick(PLACE_A);
            let b = self.pick(PLACE_B);
            let s = format!("{a}{b}");
            if a != b && self.places.insert(s.clone()) {
                return s;
            }
        }
    }

    /// A name unique within the current county, from `f`; after a few tries, a repeat.
    fn local(&mut self, f: fn(&mut ChaCha8Rng) -> String) -> String {
        let mut s = f(&mut self.rng);
        for _ in 0..30 {
            if self.local_names.insert(s.clone()) {
                return s;
            }
            s = f(&mut self.rng);
        }
        s
    }

    // --- province, city, county ------------------------------------------------------

    /// A province under `parent` (None: the root), its region codes starting with `prefix`,
    /// named `name` or one picked from [`PROVINCES`].
    fn province(&mut self, parent: Option<i64>, prefix: u32, name: Option<&str>) {
        let base = prefix * 10000;
        let pname = match name {
            Some(n) => n.to_string(),
            None => self.pick(PROVINCES).to_string(),
        };
        self.places.insert(pname.clone());
        self.region = base;
        self.member_region = base + 105;
        let root = self.emit(
            parent,
            format!("中共{pname}省委员会"),
            OrgKind::Committee,
            OrgVariant::Regular,
            OrgDomain::Region,
            0,
        );
        self.units(root, Level::Province, &format!("{pname}省"), &pname, 4.0, 1.4, &[]);
        for c in 1..=11u32 {
            let cname = self.place();
            self.region = base + c * 100;
            self.member_region = base + c * 100 + 2;
            let city = self.node(root, format!("中共{cname}市委员会"), OrgKind::Committee, OrgDomain::Region);
            self.units(city, Level::City, &format!("{cname}市"), &cname, 2.2, 1.3, &[]);
            let counties = self.rng.gen_range(9..=11);
            for j in 0..counties {
                let is_city = j == 0 && self.rng.gen_bool(0.6);
                let code = if is_city { 81 } else { 21 + j as u32 };
                let towns = self.rng.gen_range(9..=18);
                let villages = towns * self.rng.gen_range(19..=30);
                let spec = CountySpec {
                    city: is_city,
                    towns,
                    streets: if is_city { self.rng.gen_range(2..=4) } else { 0 },
                    villages,
                    communities: if is_city { self.rng.gen_range(14..=28) } else { self.rng.gen_range(4..=12) },
                    gb_share: 0.12,
                    village_mode: 41.0,
                    joints: self.rng.gen_range(2..=4),
                    tiny: self.rng.gen_range(0..=2),
                    temporaries: self.rng.gen_range(1..=2),
                    functional: self.rng.gen_range(1..=2),
                    units: self.rng.gen_range(2.1..3.1),
                    unit_size: 1.6,
                };
                self.county(Some(city), base + c * 100 + code, &spec);
            }
        }
    }

    fn county(&mut self, parent: Option<i64>, region: u32, spec: &CountySpec) -> i64 {
        self.region = region;
        self.member_region = region;
        self.local_names.clear();
        self.election = self.today - Duration::days(self.rng.gen_range(365..=4 * 365 + 150));
        let short = self.place();
        let full = format!("{short}{}", if spec.city { "市" } else { "县" });
        let root = self.emit(
            parent,
            format!("中共{full}委员会"),
            OrgKind::Committee,
            OrgVariant::Regular,
            OrgDomain::Region,
            0,
        );

        // Townships: streets first in a city; otherwise 城关镇 first, holding the communities.
        let n = spec.towns + spec.streets;
        let mut names = Vec::with_capacity(n);
        for i in 0..n {
            let street = i < spec.streets;
            let name = if i == 0 && !street {
                self.local_names.insert("城关".into());
                "城关镇".to_string()
            } else {
                let base = self.local(town_name);
                if street {
                    format!("{base}街道")
                } else if self.rng.gen_bool(0.25) {
                    format!("{base}乡")
                } else {
                    format!("{base}镇")
                }
            };
            names.push(name);
        }
        let weights: Vec<f64> = (0..n)
            .map(|i| {
                if i < spec.streets {
                    0.0
                } else if i == 0 {
                    0.5
                } else {
                    self.rng.gen_range(0.6..1.4)
                }
            })
            .collect();
        let mut villages = allocate(spec.villages, &weights);
        let cweights: Vec<f64> = (0..n)
            .map(|i| {
                if spec.streets > 0 {
                    if i < spec.streets {
                        self.rng.gen_range(0.7..1.3)
                    } else {
                        0.0
                    }
                } else if i == 0 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let communities = allocate(spec.communities, &cweights);
        let rural: Vec<usize> = (0..n).filter(|&i| villages[i] > 0).collect();
        // Joint branches take their villages from one township.
        let mut joints: Vec<Vec<usize>> = vec![Vec::new(); n];
        for _ in 0..spec.joints {
            let k = if self.six_pending || self.rng.gen_bool(0.08) { 6 } else { self.rng.gen_range(2..=5) };
            let room: Vec<usize> = rural.iter().copied().filter(|&t| villages[t] > k + 2).collect();
            if let Some(&t) = room.choose(&mut self.rng) {
                villages[t] -= k;
                joints[t].push(k);
                self.six_pending &= k != 6;
            }
        }
        let mut tiny = vec![0usize; n];
        for _ in 0..spec.tiny {
            tiny[self.pick(&rural)] += 1;
        }
        let ordinary: usize = (0..n).map(|i| villages[i].saturating_sub(tiny[i])).sum();
        // Each ordinary village: 0 a branch of 20–50, 1 a merged village (党总支), 2 a branch over 50.
        let mut shape = vec![0u8; ordinary];
        let gbs = (ordinary as f64 * spec.gb_share).round() as usize;
        let large = ((ordinary as f64 * 0.05).round() as usize).max(2).min(ordinary - gbs);
        shape[..gbs].fill(1);
        shape[gbs..gbs + large].fill(2);
        shape.shuffle(&mut self.rng);
        let mut shape = shape.into_iter();
        let mut functional: Vec<Vec<&'static str>> = vec![Vec::new(); n];
        // 3 to 6 estates a community, 4.5 on average.
        let mut estates: Vec<usize> = (0..spec.communities).map(|c| [3, 6, 4, 5][c % 4]).collect();
        estates.shuffle(&mut self.rng);
        let mut estates = estates.into_iter();
        let mut middle = vec![false; n];
        middle[..(n as f64 * 0.7).round() as usize].fill(true);
        middle.shuffle(&mut self.rng);
        let mut kinds = FUNCTIONAL.to_vec();
        kinds.shuffle(&mut self.rng);
        for f in kinds.into_iter().take(spec.functional) {
            functional[self.pick(&rural)].push(f);
        }

        for i in 0..n {
            let street = i < spec.streets;
            let tname = names[i].clone();
            let tid = if street {
                self.node(root, format!("{tname}党工委"), OrgKind::WorkingCommittee, OrgDomain::Township)
            } else {
                self.node(root, format!("{tname}党委"), OrgKind::Committee, OrgDomain::Township)
            };
            let office = if street { format!("{tname}办事处") } else { format!("{tname}人民政府") };
            let unit = self.unit(office);
            let total = self.size(20.0, 30.0, 46.0, 1.0);
            self.branch(BranchSpec::new(
                tid,
                format!("{tname}机关党支部"),
                OrgDomain::Township,
                Profile::Township,
                unit,
                total,
            ));

            for v in 0..villages[i] {
                let vname = self.local(village_name);
                let shape = if v < tiny[i] { 3 } else { shape.next().unwrap_or(0) };
                match shape {
                    3 => {
                        let mut b =
                            BranchSpec::new(tid, format!("{vname}党支部"), OrgDomain::Rural, Profile::Rural, None, 2);
                        b.tiny = true;
                        self.branch(b);
                    }
                    1 => {
                        let total = self.tri(80.0, 110.0, 160.0).round() as u32;
                        let k = ((total as f64 / self.tri(28.0, 36.0, 45.0)).round() as usize).clamp(2, 4);
                        let gb = self.node(tid, format!("{vname}党总支"), OrgKind::GeneralBranch, OrgDomain::Rural);
                        for size in self.split(total, k, 15) {
                            let natural = strip_village(&village_name(&mut self.rng)).to_string();
                            let b = BranchSpec::new(
                                gb,
                                format!("{natural}党支部"),
                                OrgDomain::Rural,
                                Profile::Rural,
                                None,
                                size,
                            );
                            self.branch(b.style(Style::Village));
                        }
                    }
                    _ => {
                        let total = if shape == 2 {
                            self.rng.gen_range(51..=80)
                        } else {
                            self.tri(20.0, spec.village_mode, 50.0).round() as u32
                        };
                        let mut b = BranchSpec::new(
                            tid,
                            format!("{vname}党支部"),
                            OrgDomain::Rural,
                            Profile::Rural,
                            None,
                            total,
                        )
                        .style(Style::Village);
                        b.functional = functional[i].pop();
                        self.branch(b);
                    }
                }
            }
            for k in joints[i].clone() {
                let vs: Vec<String> = (0..k).map(|_| self.local(village_name)).collect();
                let name = if k == 2 {
                    format!("{}{}联合党支部", strip_village(&vs[0]), strip_village(&vs[1]))
                } else {
                    format!("{}等{}村联合党支部", strip_village(&vs[0]), cn(k))
                };
                let total = (0..k).map(|_| self.rng.gen_range(2..=5)).sum::<u32>();
                let mut b =
                    BranchSpec::new(tid, name, OrgDomain::Rural, Profile::Rural, None, total).style(Style::Village);
                b.variant = OrgVariant::Joint;
                b.joint_units = k as i64;
                self.branch(b);
            }
            for _ in 0..communities[i] {
                let estates = estates.next().unwrap_or(4);
                self.community(tid, estates);
            }
            if !street {
                let short_t = tname.trim_end_matches(['镇', '乡']).to_string();
                let school = format!("{short_t}中心学校");
                let u = self.unit(school.clone());
                let total = self.size(10.0, 18.0, 32.0, 1.0);
                self.branch(BranchSpec::new(
                    tid,
                    format!("{school}党支部"),
                    OrgDomain::Institution,
                    Profile::School,
                    u,
                    total,
                ));
                if middle[i] {
                    let school = format!("{short_t}初级中学");
                    let u = self.unit(school.clone());
                    let total = self.size(10.0, 18.0, 32.0, 1.0);
                    self.branch(BranchSpec::new(
                        tid,
                        format!("{school}党支部"),
                        OrgDomain::Institution,
                        Profile::School,
                        u,
                        total,
                    ));
                }
            }
            let clinic = if street { format!("{tname}社区卫生服务中心") } else { format!("{tname}卫生院") };
            let u = self.unit(clinic.clone());
            let total = self.size(6.0, 11.0, 20.0, 1.0);
            self.branch(BranchSpec::new(
                tid,
                format!("{clinic}党支部"),
                OrgDomain::Institution,
                Profile::Health,
                u,
                total,
            ));
            for _ in 0..self.rng.gen_range(1..=2) {
                let firm = self.firm(&short);
                let u = self.unit(firm.clone());
                let total = self.size(3.0, 6.0, 16.0, 1.0);
                self.branch(BranchSpec::new(
                    tid,
                    format!("{firm}党支部"),
                    OrgDomain::Private,
                    Profile::Private,
                    u,
                    total,
                ));
            }
        }

        let police: Vec<String> = names.iter().map(|t| format!("{}派出所", t.trim_end_matches(['镇', '乡']))).collect();
        self.units(root, Level::County, &full, &short, spec.units, spec.unit_size, &police);
        for _ in 0..spec.temporaries {
            let city = self.pick(MOBILE_CITIES);
            if !self.local_names.insert(format!("驻{city}")) {
                continue;
            }
            let total = self.size(5.0, 10.0, 22.0, 1.0);
            let mut b = BranchSpec::new(
                root,
                format!("{full}驻{city}流动党员临时党支部"),
                OrgDomain::Rural,
                Profile::Mobile,
                None,
                total,
            );
            b.variant = OrgVariant::Temporary;
            self.branch(b);
        }
        root
    }

    /// 社区党委/党总支 → 小区党支部 → 楼栋党小组.
    fn community(&mut self, parent: i64, estates: usize) {
        let name = self.local(community_name);
        let cid = if estates >= 6 {
            self.node(parent, format!("{name}党委"), OrgKind::Committee, OrgDomain::Community)
        } else {
            self.node(parent, format!("{name}党总支"), OrgKind::GeneralBranch, OrgDomain::Community)
        };
        for _ in 0..estates {
            let estate = self.local(estate_name);
            let total = self.size(18.0, 30.0, 45.0, 1.0);
            self.branch(
                BranchSpec::new(cid, format!("{estate}党支部"), OrgDomain::Community, Profile::Community, None, total)
                    .style(Style::Buildings),
            );
        }
    }

    fn firm(&mut self, place: &str) -> String {
        for _ in 0..30 {
            let s = format!("{place}{}{}有限公司", self.pick(FIRM_WORDS), self.pick(INDUSTRIES));
            if self.local_names.insert(s.clone()) {
                return s;
            }
        }
        format!("{place}{}{}有限公司", self.pick(FIRM_WORDS), self.pick(INDUSTRIES))
    }

    /// A unit holding members. Without `subs`, one branch, split when it would pass 55 members (mostly).
    /// Two branches sit side by side; three or more get a general branch.
    #[allow(clippy::too_many_arguments)]
    fn unit_branches(
        &mut self,
        parent: i64,
        name: &str,
        subs: &[String],
        domain: OrgDomain,
        profile: Profile,
        size: (f64, f64, f64),
        k: f64,
    ) {
        let u = self.unit(name.trim_end_matches("机关").to_string());
        let mut subs = subs.to_vec();
        let mut sizes: Vec<u32> = subs.iter().map(|_| self.size(size.0, size.1, size.2, k)).collect();
        if subs.is_empty() {
            let total = self.size(size.0, size.1, size.2, k);
            if total <= 55 || self.rng.gen_bool(0.1) {
                self.branch(BranchSpec::new(parent, format!("{name}党支部"), domain, profile, u, total));
                return;
            }
            let n = (total as f64 / 40.0).ceil() as usize;
            sizes = self.split(total, n, 10);
            subs = (1..=n).map(|j| format!("第{}党支部", cn(j))).collect();
        }
        let gb = if subs.len() >= 3 {
            self.node(parent, format!("{name}党总支"), OrgKind::GeneralBranch, domain)
        } else {
            parent
        };
        for (s, total) in subs.iter().zip(sizes) {
            self.branch(BranchSpec::new(gb, format!("{name}{s}"), domain, profile, u, total));
        }
    }

    /// Organs, institutions, state and private firms, social organizations of one level.
    #[allow(clippy::too_many_arguments)]
    fn units(
        &mut self,
        root: i64,
        level: Level,
        prefix: &str,
        short: &str,
        u: f64,
        k: f64,
        police_stations: &[String],
    ) {
        let count = |x: f64| (x * u).round() as usize;
        let province = level == Level::Province;
        let dept = |base: &str| -> String {
            let b = if province && ORGAN_TING.contains(&base) {
                base.replace('局', "厅").replace("办公室", "办公厅")
            } else {
                base.to_string()
            };
            if b.ends_with('局') || b.ends_with('厅') {
                format!("{prefix}{b}机关")
            } else {
                format!("{prefix}{b}")
            }
        };

        // 机关工委: departments (the first get a second branch when there are more branches
        // than departments), retirees, courts, hospitals, state firms based in the area.
        let wc = self.node(root, format!("{prefix}直机关工委"), OrgKind::WorkingCommittee, OrgDomain::Organ);
        let n = count(40.0);
        let shown = n.min(ORGANS.len());
        let mut per = vec![1usize; shown];
        for i in 0..n.saturating_sub(shown) {
            per[i % shown] += 1;
        }
        for (i, &(base, domain)) in ORGANS[..shown].iter().enumerate() {
            let name = dept(base);
            let subs: Vec<String> =
                if per[i] > 1 { (1..=per[i]).map(|j| format!("第{}党支部", cn(j))).collect() } else { Vec::new() };
            let profile = if domain == OrgDomain::Institution { Profile::School } else { Profile::Organ };
            self.unit_branches(wc, &name, &subs, domain, profile, (10.0, 24.0, 46.0), k);
        }
        for j in 1..=count(3.0).max(1) {
            let total = self.size(22.0, 32.0, 48.0, 1.0);
            self.branch(BranchSpec::new(
                wc,
                format!("{prefix}直机关离退休干部第{}党支部", cn(j)),
                OrgDomain::Organ,
                Profile::Retiree,
                None,
                total,
            ));
        }
        let court = match level {
            Level::County => "人民法院",
            Level::City => "中级人民法院",
            Level::Province => "高级人民法院",
        };
        let n_court = self.rng.gen_range(3..=4);
        let subs: Vec<String> = ["审判业务第一党支部", "审判业务第二党支部", "综合行政党支部", "执行局党支部"]
            [..n_court]
            .iter()
            .map(|s| s.to_string())
            .collect();
        self.unit_branches(
            wc,
            &format!("{prefix}{court}"),
            &subs,
            OrgDomain::Organ,
            Profile::Organ,
            (10.0, 18.0, 32.0),
            k,
        );
        let subs: Vec<String> = ["检察业务党支部", "综合行政党支部", "第二检察部党支部"][..self.rng.gen_range(2..=3)]
            .iter()
            .map(|s| s.to_string())
            .collect();
        self.unit_branches(
            wc,
            &format!("{prefix}人民检察院"),
            &subs,
            OrgDomain::Organ,
            Profile::Organ,
            (10.0, 18.0, 32.0),
            k,
        );
        for (i, h) in HEALTH.iter().take(count(5.0).max(3)).enumerate() {
            let name = format!("{prefix}{h}");
            if i == 0 && level != Level::County {
                let c = self.node(wc, format!("{name}党委"), OrgKind::Committee, OrgDomain::Institution);
                let u = self.unit(name.clone());
                for d in HOSPITAL_DEPTS.iter().take(self.rng.gen_range(5..=8)) {
                    let total = self.size(18.0, 30.0, 48.0, 1.0);
                    let profile = if d.starts_with("离退休") { Profile::Retiree } else { Profile::Health };
                    self.branch(BranchSpec::new(
                        c,
                        format!("{name}{d}党支部"),
                        OrgDomain::Institution,
                        profile,
                        u,
                        total,
                    ));
                }
            } else if i < 2 {
                let m = if i == 0 { self.rng.gen_range(3..=4) } else { self.rng.gen_range(2..=3) };
                let subs: Vec<String> = ["内科党支部", "外科党支部", "医技党支部", "行政后勤党支部"][..m]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                self.unit_branches(wc, &name, &subs, OrgDomain::Institution, Profile::Health, (14.0, 26.0, 45.0), k);
            } else {
                self.unit_branches(wc, &name, &[], OrgDomain::Institution, Profile::Health, (8.0, 18.0, 40.0), k);
            }
        }
        let branch_word = if level == Level::County { ("支行", "支公司") } else { ("分行", "分公司") };
        for t in SOES.iter().take(count(11.0).min(SOES.len())) {
            let name = t.replace("{p}", prefix).replace("{支行}", branch_word.0).replace("{支公司}", branch_word.1);
            self.unit_branches(wc, &name, &[], OrgDomain::Soe, Profile::Soe, (6.0, 14.0, 30.0), k);
        }

        // Police.
        let bureau = if province { "公安厅" } else { "公安局" };
        let pc = self.node(root, format!("{prefix}{bureau}党委"), OrgKind::Committee, OrgDomain::Organ);
        let unit = self.unit(format!("{prefix}{bureau}"));
        let squad = match level {
            Level::County => "大队",
            Level::City => "支队",
            Level::Province => "总队",
        };
        for p in POLICE.iter().take((4 + count(1.5)).min(POLICE.len())) {
            let total = self.size(8.0, 16.0, 30.0, k);
            self.branch(BranchSpec::new(
                pc,
                format!("{prefix}{bureau}{}党支部", p.replace("大队", squad)),
                OrgDomain::Organ,
                Profile::Organ,
                unit,
                total,
            ));
        }
        for s in police_stations {
            let total = self.size(6.0, 12.0, 22.0, 1.0);
            self.branch(BranchSpec::new(
                pc,
                format!("{prefix}{bureau}{s}党支部"),
                OrgDomain::Organ,
                Profile::Organ,
                unit,
                total,
            ));
        }

        // Schools and universities.
        if !province {
            let ec = self.node(root, format!("{prefix}教育系统党委"), OrgKind::Committee, OrgDomain::Institution);
            let gbs = if level == Level::County { 1 } else { 3 };
            let schools = SCHOOLS.iter().map(|s| s.to_string()).chain((4..).map(|j| format!("第{}小学", cn(j))));
            for (i, s) in schools.take(count(8.0)).enumerate() {
                let subs: Vec<String> = if i < gbs {
                    ["高一年级党支部", "高二年级党支部", "高三年级党支部", "行政后勤党支部"]
                        [..self.rng.gen_range(3..=4)]
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                } else {
                    Vec::new()
                };
                self.unit_branches(
                    ec,
                    &format!("{prefix}{s}"),
                    &subs,
                    OrgDomain::Institution,
                    Profile::School,
                    (12.0, 24.0, 44.0),
                    k,
                );
            }
        }
        let universities = match level {
            Level::County => 0,
            Level::City => 1,
            Level::Province => count(1.0),
        };
        for i in 0..universities {
            let name = if province {
                UNIVERSITIES[i % UNIVERSITIES.len()].replace("{p}", short)
            } else {
                format!("{short}学院")
            };
            self.university(root, &name, if province { 6..=12 } else { 4..=6 });
        }

        // State-owned enterprises.
        let soe = [
            (if province { format!("国网{prefix}电力公司") } else { format!("国网{prefix}供电公司") }, SOE_GRID),
            (
                if province {
                    format!("{prefix}农村信用社联合社")
                } else {
                    format!("{prefix}农村商业银行")
                },
                SOE_BANK,
            ),
            (format!("{prefix}国有资本投资运营有限公司"), SOE_CAPITAL),
        ];
        for (name, subs) in soe {
            let c = self.node(root, format!("{name}党委"), OrgKind::Committee, OrgDomain::Soe);
            let u = self.unit(name.clone());
            for s in subs.iter().take((2 + count(1.5)).min(subs.len())) {
                let total = self.size(8.0, 18.0, 36.0, k);
                let (bname, profile) = if s.ends_with("有限公司") {
                    (format!("{prefix}{s}党支部"), Profile::Soe)
                } else {
                    (format!("{name}{s}党支部"), if s.starts_with("离退休") { Profile::Retiree } else { Profile::Soe })
                };
                self.branch(BranchSpec::new(c, bname, OrgDomain::Soe, profile, u, total));
            }
        }

        // Private firms, in the development zone and the 非公 committee.
        let zone =
            self.node(root, format!("{prefix}经济技术开发区党工委"), OrgKind::WorkingCommittee, OrgDomain::Private);
        let private =
            self.node(root, format!("{prefix}非公有制经济组织综合党委"), OrgKind::Committee, OrgDomain::Private);
        for (parent, n) in [(zone, count(13.0)), (private, count(9.0))] {
            for _ in 0..n {
                let firm = self.firm(short);
                let u = self.unit(firm.clone());
                let total = self.size(3.0, 8.0, 26.0, k);
                self.branch(BranchSpec::new(
                    parent,
                    format!("{firm}党支部"),
                    OrgDomain::Private,
                    Profile::Private,
                    u,
                    total,
                ));
            }
        }
        for what in ["商贸城", "物流园区"] {
            let units = self.rng.gen_range(3..=5);
            let total = self.rng.gen_range(4..=12) + units as u32;
            let mut b = BranchSpec::new(
                private,
                format!("{prefix}{what}联合党支部"),
                OrgDomain::Private,
                Profile::Private,
                None,
                total,
            );
            b.variant = OrgVariant::Joint;
            b.joint_units = units;
            self.branch(b);
        }

        // Social organizations.
        let sc = self.node(root, format!("{prefix}社会组织综合党委"), OrgKind::Committee, OrgDomain::Social);
        for s in SOCIAL.iter().take(count(5.0).min(SOCIAL.len())) {
            let name = format!("{prefix}{s}");
            self.unit_branches(sc, &name, &[], OrgDomain::Social, Profile::Social, (3.0, 5.0, 14.0), 1.0);
        }
        let units = self.rng.gen_range(2..=5);
        let total = self.rng.gen_range(5..=12);
        let mut b =
            BranchSpec::new(sc, format!("{prefix}社会组织联合党支部"), OrgDomain::Social, Profile::Social, None, total);
        b.variant = OrgVariant::Joint;
        b.joint_units = units;
        self.branch(b);
    }

    fn university(&mut self, parent: i64, name: &str, colleges: std::ops::RangeInclusive<usize>) {
        let c = self.node(parent, format!("{name}党委"), OrgKind::Committee, OrgDomain::Institution);
        let u = self.unit(name.to_string());
        let subs: Vec<String> = (1..=3).map(|j| format!("机关第{}党支部", cn(j))).collect();
        let gb = self.node(c, format!("{name}机关党总支"), OrgKind::GeneralBranch, OrgDomain::Institution);
        for s in subs {
            let total = self.size(15.0, 28.0, 45.0, 1.0);
            self.branch(BranchSpec::new(gb, format!("{name}{s}"), OrgDomain::Institution, Profile::School, u, total));
        }
        let mut list: Vec<&str> = COLLEGES.to_vec();
        list.shuffle(&mut self.rng);
        let n = self.rng.gen_range(colleges);
        for college in &list[..n.min(list.len())] {
            let gb = self.node(c, format!("{name}{college}党总支"), OrgKind::GeneralBranch, OrgDomain::Institution);
            let total = self.size(15.0, 28.0, 45.0, 1.0);
            self.branch(BranchSpec::new(
                gb,
                format!("{college}教工党支部"),
                OrgDomain::Institution,
                Profile::School,
                u,
                total,
            ));
            let total = self.size(12.0, 30.0, 48.0, 1.0);
            self.branch(BranchSpec::new(
                gb,
                format!("{college}研究生党支部"),
                OrgDomain::Institution,
                Profile::Student,
                u,
                total,
            ));
        }
    }
}

/// Largest-remainder split of `total` in proportion to `weights`.
fn allocate(total: usize, weights: &[f64]) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let raw: Vec<f64> = weights.iter().map(|w| w / sum * total as f64).collect();
    let mut out: Vec<usize> = raw.iter().map(|r| r.floor() as usize).collect();
    let mut left = total - out.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..weights.len()).filter(|&i| weights[i] > 0.0).collect();
    order.sort_by(|&a, &b| (raw[b] - raw[b].floor()).total_cmp(&(raw[a] - raw[a].floor())));
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

fn tri(rng: &mut ChaCha8Rng, lo: f64, mode: f64, hi: f64) -> f64 {
    if hi <= lo {
        return lo;
    }
    let mode = mode.clamp(lo, hi);
    let u: f64 = rng.gen();
    let c = (mode - lo) / (hi - lo);
    if u < c {
        lo + (u * (hi - lo) * (mode - lo)).sqrt()
    } else {
        hi - ((1.0 - u) * (hi - lo) * (hi - mode)).sqrt()
    }
}

fn binomial(rng: &mut ChaCha8Rng, n: u32, p: f64) -> u32 {
    (0..n).filter(|_| rng.gen_bool(p)).count() as u32
}

const CN_DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// Chinese numeral for 1..=99.
fn cn(n: usize) -> String {
    match n {
        0..=9 => CN_DIGITS[n].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", CN_DIGITS[n - 10]),
        _ => match n % 10 {
            0 => format!("{}十", CN_DIGITS[(n / 10) % 10]),
            o => format!("{}十{}", CN_DIGITS[(n / 10) % 10], CN_DIGITS[o]),
        },
    }
}

/// 东关村 → 东关 in compound names; 马村 and 陈家村 keep theirs.
fn strip_village(s: &str) -> &str {
    let short = s.strip_suffix('村').unwrap_or(s);
    if short.chars().count() >= 2 && !short.ends_with('家') {
        short
    } else {
        s
    }
}

// ---------------------------------------------------------------------------------------
// Place names

const PROVINCES: &[&str] = &["河东", "太岳", "云中", "晋阳"];
/// The provinces of a country demo (invented names, as every demo place is).
const COUNTRY_PROVINCES: [&str; PROVINCE_REGIONS.len()] = [
    "河东", "塞北", "辽海", "松原", "龙江", "江左", "越州", "淮南", "闽海", "赣江", "齐鲁", "中原", "荆楚", "湘江",
    "岭南", "桂海", "琼崖", "渝州", "巴蜀", "黔中", "滇池", "雪域", "秦川", "陇右", "青海湖", "朔方", "天山",
];
const PLACE_A: &[&str] = &[
    "平", "安", "沁", "古", "永", "定", "和", "宁", "清", "临", "襄", "武", "灵", "长", "兴", "泽", "汾", "浮", "翼",
    "寿", "昔", "代", "繁", "静", "岚", "保", "神", "五", "石", "高", "陵", "广", "泉", "夏", "闻", "稷", "垣", "芮",
    "万", "新", "方", "柳", "中", "孝", "交", "文", "介", "蒲", "隰", "吉", "大", "朔", "应", "天", "左", "怀", "榆",
    "晋", "潞", "屯", "黎", "壶", "陶", "盂", "宜", "洪", "霍", "乡", "阳", "原",
];
const PLACE_B: &[&str] = &[
    "阳", "城", "安", "水", "山", "平", "源", "川", "陵", "泉", "州", "乡", "宁", "远", "丰", "邑", "谷", "泽", "原",
    "西", "东", "台", "林", "曲", "石", "关", "津", "德", "兴", "和",
];
const DIRS: &[&str] = &["东", "西", "南", "北", "上", "下", "前", "后", "大", "小", "中", "新", "老", "高"];
const TERRAIN: &[&str] = &[
    "关", "沟", "庄", "峪", "坡", "岭", "堡", "寨", "洼", "坪", "河", "湾", "头", "店", "营", "屯", "院", "社", "窑",
    "掌", "峰", "场", "桥", "井", "池", "园", "滩", "坊", "垣", "塬", "涧", "泉", "村",
];
const FAMILY_TERRAIN: &[&str] =
    &["庄", "沟", "峪", "坡", "岭", "堡", "寨", "洼", "坪", "河", "湾", "营", "窑", "店", "院", "园", "塬", "垣", "村"];
/// First characters of 柳树沟, 杏花村, 石门…, each with the middles it takes.
#[rustfmt::skip]
const THINGS: &[(&[&str], &[&str])] = &[
    (&["柳", "槐", "榆", "柏", "松", "枣", "桑", "杨", "柿", "椿"], &["树", "林", ""]),
    (&["杏", "桃", "梨", "莲", "梅"], &["花", "园", ""]),
    (&["石", "红", "青", "黄", "白", "黑", "龙", "凤", "马", "牛", "羊", "鹿", "卧", "金", "银", "铁", "水", "泉", "葛"], &[""]),
];
const PLACE_SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "郭", "贾", "薛", "段", "卫", "冯", "韩", "宋", "孙", "马", "吕", "乔",
    "牛", "范", "任", "史", "董", "梁", "侯", "柴", "裴", "师", "畅", "阎", "武", "常", "原",
];
const SURNAME_PLACE: &[&str] = &["村", "庄", "店", "营", "堡", "寨", "屯", "坡", "峪", "家"];
const TOWN_A: &[&str] = &[
    "古", "横", "陈", "卫", "南", "安", "大", "冷", "么", "磨", "龙", "凤", "柳", "桃", "新", "永", "兴", "太", "平",
    "高", "庙", "王", "李", "张", "赵", "石", "清", "水", "马", "东", "西", "北", "里", "泉", "官", "双", "三",
];
const TOWN_B: &[&str] = &[
    "水", "村", "庄", "峪", "交", "口", "里", "关", "城", "河", "泉", "头", "店", "营", "堡", "寨", "川", "原", "坪",
    "湾", "陵", "阳", "池", "桥",
];
const COMMUNITIES: &[&str] = &[
    "城北", "城南", "城东", "城西", "新华", "府前", "鼓楼", "东城", "龙兴", "和平", "文昌", "南关", "北关", "西关",
    "东关", "建设", "人民", "解放", "胜利", "育才", "滨河", "朝阳", "幸福", "长安", "中心", "兴华", "迎宾", "振兴",
    "翠苑", "花园", "新兴", "永安", "春晖", "锦华", "凤鸣", "桥东", "桥西", "站前", "新村", "康乐",
];
const ESTATES: &[&str] = &[
    "锦绣", "阳光", "幸福", "和谐", "金色", "翠苑", "滨河", "龙城", "世纪", "御景", "康宁", "书香", "紫荆", "银座",
    "华府", "明珠", "东方", "盛世", "桂园", "馨园", "丽景", "怡和", "欣苑", "福苑", "瑞景", "绿洲", "金桂", "兰亭",
    "凤凰", "映月", "清华", "福馨", "嘉和", "富康", "祥和", "润园", "水岸", "学府", "晨曦", "泰和",
];

fn village_name(rng: &mut ChaCha8Rng) -> String {
    let pick = |rng: &mut ChaCha8Rng, xs: &[&'static str]| *xs.choose(rng).unwrap();
    let s = match rng.gen_range(0..10) {
        0..=2 => format!("{}{}", pick(rng, DIRS), pick(rng, TERRAIN)),
        3..=5 => format!("{}家{}", pick(rng, PLACE_SURNAMES), pick(rng, FAMILY_TERRAIN)),
        6..=7 => {
            let (firsts, middles) = *THINGS.choose(rng).unwrap();
            format!("{}{}{}", pick(rng, firsts), pick(rng, middles), pick(rng, TERRAIN))
        }
        _ => {
            let sp = pick(rng, SURNAME_PLACE);
            let sp = if sp == "家" { "家庄" } else { sp };
            format!("{}{}", pick(rng, PLACE_SURNAMES), sp)
        }
    };
    if s.ends_with('村') {
        s
    } else {
        format!("{s}村")
    }
}

fn town_name(rng: &mut ChaCha8Rng) -> String {
    loop {
        let a = *TOWN_A.choose(rng).unwrap();
        let b = *TOWN_B.choose(rng).unwrap();
        if a != b {
            return format!("{a}{b}");
        }
    }
}

fn community_name(rng: &mut ChaCha8Rng) -> String {
    if rng.gen_bool(0.9) {
        format!("{}社区", COMMUNITIES.choose(rng).unwrap())
    } else {
        format!("{}{}社区", DIRS.choose(rng).unwrap(), TERRAIN.choose(rng).unwrap())
    }
}

fn estate_name(rng: &mut ChaCha8Rng) -> String {
    let name = *ESTATES.choose(rng).unwrap();
    let tail = if name.ends_with(['苑', '园']) {
        "小区"
    } else {
        *["小区", "小区", "小区", "苑", "花园", "家园"].choose(rng).unwrap()
    };
    format!("{name}{tail}")
}

// ---------------------------------------------------------------------------------------
// Units

#[rustfmt::skip]
const ORGANS: &[(&str, OrgDomain)] = &[
    ("委办公室", OrgDomain::Organ),
    ("人大常委会办公室", OrgDomain::Organ),
    ("人民政府办公室", OrgDomain::Organ),
    ("政协办公室", OrgDomain::Organ),
    ("纪委监委机关", OrgDomain::Organ),
    ("委组织部", OrgDomain::Organ),
    ("委宣传部", OrgDomain::Organ),
    ("委统战部", OrgDomain::Organ),
    ("委政法委员会", OrgDomain::Organ),
    ("发展和改革局", OrgDomain::Organ),
    ("教育局", OrgDomain::Organ),
    ("财政局", OrgDomain::Organ),
    ("民政局", OrgDomain::Organ),
    ("司法局", OrgDomain::Organ),
    ("人力资源和社会保障局", OrgDomain::Organ),
    ("自然资源局", OrgDomain::Organ),
    ("住房和城乡建设局", OrgDomain::Organ),
    ("交通运输局", OrgDomain::Organ),
    ("水利局", OrgDomain::Organ),
    ("农业农村局", OrgDomain::Organ),
    ("卫生健康局", OrgDomain::Organ),
    ("市场监督管理局", OrgDomain::Organ),
    ("委党校", OrgDomain::Institution),
    ("融媒体中心", OrgDomain::Institution),
    ("工业和信息化局", OrgDomain::Organ),
    ("商务局", OrgDomain::Organ),
    ("文化和旅游局", OrgDomain::Organ),
    ("退役军人事务局", OrgDomain::Organ),
    ("应急管理局", OrgDomain::Organ),
    ("审计局", OrgDomain::Organ),
    ("统计局", OrgDomain::Organ),
    ("医疗保障局", OrgDomain::Organ),
    ("行政审批服务管理局", OrgDomain::Organ),
    ("税务局", OrgDomain::Organ),
    ("委机构编制委员会办公室", OrgDomain::Organ),
    ("委巡察工作办公室", OrgDomain::Organ),
    ("委社会工作部", OrgDomain::Organ),
    ("总工会", OrgDomain::Organ),
    ("妇女联合会", OrgDomain::Organ),
    ("工商业联合会", OrgDomain::Organ),
    ("科学技术局", OrgDomain::Organ),
    ("林业局", OrgDomain::Organ),
    ("信访局", OrgDomain::Organ),
    ("能源局", OrgDomain::Organ),
    ("乡村振兴局", OrgDomain::Organ),
    ("机关事务服务中心", OrgDomain::Organ),
    ("科学技术协会", OrgDomain::Organ),
    ("残疾人联合会", OrgDomain::Organ),
    ("气象局", OrgDomain::Organ),
    ("供销合作社联合社", OrgDomain::Organ),
    ("档案馆", OrgDomain::Institution),
    ("社区服务中心", OrgDomain::Institution),
    ("住房公积金管理中心", OrgDomain::Institution),
    ("不动产登记中心", OrgDomain::Institution),
    ("农业技术推广中心", OrgDomain::Institution),
    ("图书馆", OrgDomain::Institution),
    ("文化馆", OrgDomain::Institution),
];
/// Departments called 厅 (and 办公厅) at province level.
const ORGAN_TING: &[&str] = &[
    "委办公室",
    "人民政府办公室",
    "教育局",
    "财政局",
    "民政局",
    "司法局",
    "人力资源和社会保障局",
    "自然资源局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化和旅游局",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "工业和信息化局",
    "科学技术局",
];
const HEALTH: &[&str] = &[
    "人民医院",
    "中医医院",
    "妇幼保健院",
    "疾病预防控制中心",
    "急救中心",
    "第二人民医院",
    "精神卫生中心",
    "卫生健康综合行政执法队",
    "中心血站",
    "传染病医院",
    "肿瘤医院",
    "眼科医院",
    "口腔医院",
    "康复医院",
];
const HOSPITAL_DEPTS: &[&str] = &["内科第一", "外科第一", "医技", "行政后勤", "内科第二", "外科第二", "护理", "离退休"];
const SCHOOLS: &[&str] = &[
    "第一中学",
    "第二中学",
    "实验中学",
    "职业中学",
    "实验小学",
    "第二实验小学",
    "第一幼儿园",
    "教师进修学校",
    "特殊教育学校",
    "第三中学",
    "第一初级中学",
    "第二初级中学",
    "第一小学",
    "第二小学",
    "第二幼儿园",
    "外国语学校",
    "第四中学",
    "第三小学",
];
const UNIVERSITIES: &[&str] = &[
    "{p}大学",
    "{p}师范大学",
    "{p}医科大学",
    "{p}农业大学",
    "{p}理工大学",
    "{p}财经大学",
    "{p}中医药大学",
    "{p}工程职业技术学院",
];
const COLLEGES: &[&str] = &[
    "文学院",
    "历史文化学院",
    "数学科学学院",
    "物理与电子工程学院",
    "化学化工学院",
    "生命科学学院",
    "经济管理学院",
    "法学院",
    "外国语学院",
    "计算机科学与技术学院",
    "马克思主义学院",
    "教育科学学院",
    "体育学院",
    "艺术学院",
    "医学院",
    "农学院",
    "机械工程学院",
    "土木工程学院",
    "环境科学与工程学院",
    "新闻与传播学院",
];
const POLICE: &[&str] = &[
    "机关",
    "交通警察大队",
    "刑事侦查大队",
    "治安管理大队",
    "看守所",
    "特巡警大队",
    "禁毒大队",
    "网络安全保卫大队",
    "经济犯罪侦查大队",
    "出入境管理大队",
];
const SOES: &[&str] = &[
    "中国农业银行{p}{支行}",
    "中国工商银行{p}{支行}",
    "中国建设银行{p}{支行}",
    "中国银行{p}{支行}",
    "中国邮政集团有限公司{p}分公司",
    "中国移动通信集团{p}分公司",
    "中国联合网络通信有限公司{p}分公司",
    "中国电信股份有限公司{p}分公司",
    "中国人寿保险股份有限公司{p}{支公司}",
    "中国人民财产保险股份有限公司{p}{支公司}",
    "中国石化销售股份有限公司{p}石油分公司",
    "{p}粮食储备库",
    "{p}烟草专卖局",
    "中国邮政储蓄银行{p}{支行}",
    "中国农业发展银行{p}{支行}",
];
const SOE_GRID: &[&str] =
    &["机关第一", "运维检修", "营销服务", "机关第二", "调度控制", "供电服务中心", "城区供电所", "离退休"];
const SOE_BANK: &[&str] = &["机关", "营业部", "城区支行", "第一支行", "第二支行", "风险管理部", "第三支行"];
const SOE_CAPITAL: &[&str] = &[
    "城市建设投资有限公司",
    "水务有限公司",
    "交通投资有限公司",
    "文化旅游开发有限公司",
    "农业发展有限公司",
    "供热有限公司",
    "公共交通有限公司",
];
const FIRM_WORDS: &[&str] = &[
    "鑫源", "宏达", "恒通", "瑞丰", "兴盛", "隆泰", "昌盛", "华宇", "金泰", "永兴", "德润", "晋丰", "天成", "泰和",
    "通达", "顺发", "嘉禾", "万通", "盛世", "润泽", "远大", "新源", "佳禾", "福瑞", "聚源", "宏盛", "鼎盛", "安泰",
    "金鼎", "华丰",
];
const INDUSTRIES: &[&str] = &[
    "煤业",
    "焦化",
    "建材",
    "农业科技",
    "食品",
    "物流",
    "建筑工程",
    "商贸",
    "纺织",
    "机械制造",
    "新能源",
    "矿业",
    "医药",
    "酿造",
    "果业",
    "养殖",
    "房地产开发",
    "电子科技",
    "汽车销售服务",
    "旅游开发",
    "铸造",
    "化工",
    "印务",
    "环保科技",
    "电力设备",
    "水泥",
    "面粉",
    "种业",
    "包装",
    "服饰",
];
const SOCIAL: &[&str] = &[
    "律师协会",
    "个体劳动者协会",
    "慈善总会",
    "民办教育协会",
    "物流行业协会",
    "注册会计师协会",
    "建筑业协会",
    "老年体育协会",
    "志愿者协会",
    "企业家协会",
    "餐饮行业协会",
    "书法家协会",
];
const FUNCTIONAL: &[&str] =
    &["电商产业功能型党小组", "乡村旅游功能型党小组", "生态环保功能型党小组", "产业发展功能型党小组"];
const MOBILE_CITIES: &[&str] = &["北京", "上海", "西安", "太原", "广州", "深圳", "天津", "郑州", "杭州", "苏州"];

// ---------------------------------------------------------------------------------------
// Members

struct Params {
    female: f64,
    /// Age (low, mode, high), years.
    age: (f64, f64, f64),
    /// Mode of the age at joining.
    join: f64,
    /// Postgraduate, bachelor, college, secondary, high school, junior or below.
    edu: [u32; 6],
    in_service: f64,
}

impl Profile {
    const ALL: [Profile; 12] = [
        Profile::Rural,
        Profile::Community,
        Profile::Township,
        Profile::Organ,
        Profile::Retiree,
        Profile::School,
        Profile::Health,
        Profile::Student,
        Profile::Soe,
        Profile::Private,
        Profile::Social,
        Profile::Mobile,
    ];
    fn params(self) -> Params {
        let p = |female, age, join, edu, in_service| Params { female, age, join, edu, in_service };
        match self {
            Profile::Rural => p(0.18, (24.0, 60.0, 86.0), 28.0, [0, 3, 7, 6, 24, 60], 0.0),
            Profile::Community => p(0.42, (28.0, 63.0, 86.0), 27.0, [1, 12, 18, 14, 27, 28], 0.0),
            Profile::Township => p(0.30, (23.0, 38.0, 59.0), 25.0, [3, 55, 32, 5, 4, 1], 0.0),
            Profile::Organ => p(0.32, (23.0, 41.0, 60.0), 25.0, [12, 60, 22, 3, 2, 1], 0.64),
            Profile::Retiree => p(0.25, (60.0, 70.0, 86.0), 27.0, [1, 18, 25, 18, 23, 15], 0.0),
            Profile::School => p(0.55, (23.0, 40.0, 60.0), 25.0, [8, 65, 22, 4, 1, 0], 0.64),
            Profile::Health => p(0.58, (23.0, 38.0, 60.0), 26.0, [10, 50, 30, 9, 1, 0], 0.64),
            Profile::Student => p(0.52, (22.0, 24.0, 30.0), 20.0, [75, 25, 0, 0, 0, 0], 0.0),
            Profile::Soe => p(0.28, (23.0, 40.0, 60.0), 26.0, [6, 45, 30, 10, 7, 2], 0.64),
            Profile::Private => p(0.30, (22.0, 36.0, 62.0), 28.0, [2, 20, 28, 18, 22, 10], 0.0),
            Profile::Social => p(0.40, (24.0, 45.0, 75.0), 28.0, [5, 40, 30, 10, 10, 5], 0.0),
            Profile::Mobile => p(0.15, (22.0, 35.0, 58.0), 25.0, [0, 8, 15, 15, 32, 30], 0.0),
        }
    }
}

const EDUCATION: [Education; 6] = [
    Education::Postgraduate,
    Education::Bachelor,
    Education::College,
    Education::Secondary,
    Education::HighSchool,
    Education::JuniorOrBelow,
];
/// Village members under 40 went to school longer.
const RURAL_YOUNG_EDU: [u32; 6] = [0, 10, 20, 12, 30, 28];

/// Ethnic minorities common in the north, weighted; all in `ETHNICITIES`.
#[rustfmt::skip]
const MINORITIES: &[(&str, u32)] = &[
    ("回族", 40), ("满族", 25), ("蒙古族", 15), ("壮族", 5), ("土家族", 5), ("苗族", 3), ("朝鲜族", 3), ("彝族", 2), ("藏族", 2),
];

const PHONE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
    "157", "158", "159", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
];

struct MemberGen {
    rng: ChaCha8Rng,
    today: NaiveDate,
    min_birth: NaiveDate,
    max_birth: NaiveDate,
    days: usize,
    /// Per region, per birth day and sex: how many sequence numbers are used.
    ids: HashMap<u32, Vec<u16>>,
    phones: u32,
    phone_key: [u32; 4],
    surnames: WeightedIndex<u32>,
    minorities: WeightedIndex<u32>,
    edu: Vec<WeightedIndex<u32>>,
    rural_young: WeightedIndex<u32>,
}

impl MemberGen {
    fn new(mut rng: ChaCha8Rng, today: NaiveDate) -> Self {
        let min_birth = today.checked_sub_months(Months::new(86 * 12)).expect("date in range");
        let max_birth = today.checked_sub_months(Months::new(22 * 12)).expect("date in range");
        let days = (max_birth - min_birth).num_days() as usize + 1;
        let phone_key = [rng.gen(), rng.gen(), rng.gen(), rng.gen()];
        MemberGen {
            rng,
            today,
            min_birth,
            max_birth,
            days,
            ids: HashMap::new(),
            phones: 0,
            phone_key,
            surnames: WeightedIndex::new(SURNAMES.iter().map(|s| s.1)).expect("weights"),
            minorities: WeightedIndex::new(MINORITIES.iter().map(|s| s.1)).expect("weights"),
            edu: Profile::ALL.iter().map(|p| WeightedIndex::new(p.params().edu).expect("weights")).collect(),
            rural_young: WeightedIndex::new(RURAL_YOUNG_EDU).expect("weights"),
        }
    }

    /// A sequence number unique for (region, birth day, sex). Moves the birth day on
    /// only if that day's 500 numbers are used up.
    fn sequence(&mut self, region: u32, birth: NaiveDate, male: bool) -> (NaiveDate, u32) {
        let days = self.days;
        let counters = self.ids.entry(region).or_insert_with(|| vec![0; days * 2]);
        let mut d = (birth - self.min_birth).num_days() as usize;
        for _ in 0..days {
            let k = d * 2 + male as usize;
            let cap: u32 = if male { 500 } else { 499 };
            let used = counters[k] as u32;
            if used < cap {
                counters[k] += 1;
                let offset = (region.wrapping_mul(31) ^ (d as u32).wrapping_mul(7919)) % cap;
                let slot = (used * 211 + offset) % cap;
                let seq = if male { 2 * slot + 1 } else { 2 * slot + 2 };
                return (self.min_birth + Duration::days(d as i64), seq);
            }
            d = (d + 1) % days;
        }
        panic!("region {region} has no ID numbers left");
    }

    /// 11 digits, unique in the run: a Feistel permutation of a counter.
    fn phone(&mut self) -> String {
        let n = self.phones;
        self.phones += 1;
        let (mut l, mut r) = (n / 10_000 % 10_000, n % 10_000);
        for k in self.phone_key {
            let f = (r.wrapping_mul(2_654_435_761) ^ k).rotate_left(13).wrapping_mul(40_503) % 10_000;
            (l, r) = (r, (l + f) % 10_000);
        }
        let prefix = PHONE_PREFIXES[self.rng.gen_range(0..PHONE_PREFIXES.len())];
        format!("{prefix}{l:04}{r:04}")
    }

    fn emit(&mut self, slot: &Slot, units: &[String], out: &mut dyn FnMut(DemoMember)) {
        let p = slot.profile.params();
        let pi = Profile::ALL.iter().position(|x| *x == slot.profile).unwrap_or(0);
        let today = self.today;
        for i in 0..slot.n {
            let probationary = i >= slot.n - slot.prob;
            let male = !self.rng.gen_bool(p.female);
            let age = if probationary && slot.profile != Profile::Student {
                tri(&mut self.rng, 22.0, 28.0, 45.0)
            } else {
                tri(&mut self.rng, p.age.0, p.age.1, p.age.2)
            };
            let birth = (today - Duration::days((age * 365.2425) as i64)).clamp(self.min_birth, self.max_birth);
            let (birth, seq) = self.sequence(slot.region, birth, male);
            let id_number = IdCardNumber::build(slot.region, birth, seq);

            let adult = birth.checked_add_months(Months::new(18 * 12)).expect("date in range");
            let (joined_on, full_on) = if probationary {
                (today - Duration::days(self.rng.gen_range(20..=350)), None)
            } else {
                let latest = today.checked_sub_months(Months::new(12)).expect("date in range") - Duration::days(20);
                let span = (latest - adult).num_days().max(0) as f64;
                let hi = span.min(if self.rng.gen_bool(0.85) { 22.0 } else { 40.0 } * 365.0);
                let mode = ((p.join - 18.0) * 365.0).min(hi);
                let joined = adult + Duration::days(tri(&mut self.rng, 0.0, mode, hi) as i64);
                let full = joined.checked_add_months(Months::new(12)).expect("date in range")
                    + Duration::days(self.rng.gen_range(0..=12));
                (joined, Some(full))
            };

            let mut e = if slot.profile == Profile::Rural && age < 40.0 {
                self.rural_young.sample(&mut self.rng)
            } else {
                self.edu[pi].sample(&mut self.rng)
            };
            if age > 62.0
                && !matches!(slot.profile, Profile::Rural | Profile::Retiree | Profile::Community)
                && self.rng.gen_bool(0.35)
            {
                e = (e + 1).min(5);
            }

            let posts = match slot.seats {
                Seats::Branch { seats, deputy } if i < seats as u32 => vec![committee_post(seats, deputy, i as usize)],
                Seats::Group { .. } if i == 0 => vec![Post::GroupLeader],
                Seats::Group { central } if i <= central as u32 => vec![Post::CentralHousehold],
                _ => Vec::new(),
            };
            let ethnicity =
                if self.rng.gen_bool(0.985) { "汉族" } else { MINORITIES[self.minorities.sample(&mut self.rng)].0 };
            let phone = if self.rng.gen_bool(0.95) { Some(self.phone()) } else { None };
            let name = self.name(male, birth.year());
            out(DemoMember {
                org_id: slot.org_id,
                name,
                id_number,
                gender: if male { Gender::Male } else { Gender::Female },
                birth_date: birth,
                ethnicity: ethnicity.to_string(),
                education: EDUCATION[e],
                phone,
                joined_on,
                full_on,
                status: if probationary { MemberStatus::Probationary } else { MemberStatus::Full },
                posts,
                in_service: p.in_service > 0.0 && self.rng.gen_bool(p.in_service),
                work_unit: slot.unit.map(|u| units[u as usize].clone()),
            });
        }
    }

    fn name(&mut self, male: bool, born: i32) -> String {
        let mut s = String::with_capacity(12);
        s.push_str(SURNAMES[self.surnames.sample(&mut self.rng)].0);
        let era = match born {
            ..=1959 => 0,
            1960..=1979 => 1,
            1980..=1994 => 2,
            _ => 3,
        };
        let (single, whole) = [(0.20, 0.5), (0.30, 0.35), (0.35, 0.2), (0.12, 0.3)][era];
        let r: f64 = self.rng.gen();
        let g = male as usize;
        if r < single {
            s.push_str(SINGLE[g].choose(&mut self.rng).unwrap());
        } else if r < single + (1.0 - single) * whole {
            s.push_str(WHOLE[era][g].choose(&mut self.rng).unwrap());
        } else {
            let a = *FIRST[era][g].choose(&mut self.rng).unwrap();
            let mut b = *SECOND[era][g].choose(&mut self.rng).unwrap();
            while b == a {
                b = *SECOND[era][g].choose(&mut self.rng).unwrap();
            }
            s.push_str(a);
            s.push_str(b);
        }
        s
    }
}

fn committee_post(seats: u8, deputy: bool, i: usize) -> Post {
    use Post::*;
    let list: &[Post] = match (seats, deputy) {
        (1, _) => &[Secretary],
        (3, _) => &[Secretary, OrganizationCommissioner, PropagandaCommissioner],
        (4, true) => &[Secretary, DeputySecretary, OrganizationCommissioner, PropagandaCommissioner],
        (4, false) => &[Secretary, OrganizationCommissioner, PropagandaCommissioner, DisciplineCommissioner],
        (_, true) => {
            &[Secretary, DeputySecretary, OrganizationCommissioner, PropagandaCommissioner, DisciplineCommissioner]
        }
        (_, false) => {
            &[Secretary, OrganizationCommissioner, PropagandaCommissioner, DisciplineCommissioner, CommitteeMember]
        }
    };
    list[i.min(list.len() - 1)]
}

// ---------------------------------------------------------------------------------------
// Personal names

/// Common surnames with rough frequencies (per 10,000).
#[rustfmt::skip]
const SURNAMES: &[(&str, u32)] = &[
    ("王", 710), ("李", 700), ("张", 670), ("刘", 540), ("陈", 450), ("杨", 310), ("赵", 200), ("黄", 180), ("周", 170),
    ("吴", 160), ("徐", 130), ("孙", 120), ("马", 110), ("朱", 110), ("胡", 100), ("郭", 120), ("何", 90), ("高", 90),
    ("林", 60), ("罗", 70), ("郑", 70), ("梁", 70), ("谢", 60), ("宋", 60), ("唐", 50), ("许", 50), ("韩", 60), ("冯", 50),
    ("邓", 40), ("曹", 50), ("彭", 40), ("曾", 30), ("肖", 40), ("田", 50), ("董", 50), ("袁", 40), ("潘", 30), ("于", 40),
    ("蒋", 30), ("蔡", 30), ("余", 30), ("杜", 40), ("叶", 30), ("程", 40), ("苏", 30), ("魏", 40), ("吕", 40), ("丁", 30),
    ("任", 40), ("沈", 25), ("姚", 30), ("卢", 30), ("姜", 30), ("崔", 30), ("钟", 20), ("谭", 20), ("陆", 20), ("汪", 20),
    ("范", 30), ("金", 20), ("石", 30), ("廖", 15), ("贾", 45), ("夏", 20), ("韦", 15), ("付", 25), ("方", 20), ("白", 30),
    ("邹", 15), ("孟", 25), ("熊", 15), ("秦", 25), ("邱", 15), ("江", 15), ("尹", 20), ("薛", 35), ("闫", 30), ("段", 30),
    ("雷", 20), ("侯", 30), ("龙", 10), ("史", 25), ("陶", 15), ("黎", 10), ("贺", 20), ("顾", 15), ("毛", 15), ("郝", 30),
    ("龚", 10), ("邵", 15), ("万", 15), ("钱", 15), ("严", 15), ("武", 30), ("戴", 15), ("孔", 15), ("汤", 10), ("常", 25),
    ("温", 20), ("康", 20), ("施", 10), ("文", 10), ("牛", 25), ("樊", 20), ("葛", 15), ("邢", 15), ("安", 15), ("齐", 15),
    ("乔", 20), ("庞", 10), ("颜", 10), ("倪", 10), ("聂", 10), ("鲁", 10), ("岳", 15), ("翟", 15), ("申", 15), ("耿", 10),
    ("关", 10), ("焦", 15), ("左", 5), ("柳", 5), ("祝", 5), ("宁", 10), ("尚", 10), ("梅", 5), ("毕", 10), ("霍", 15),
    ("苗", 10), ("谷", 5), ("裴", 15), ("卫", 15), ("柴", 15), ("靳", 10), ("畅", 5), ("原", 5), ("师", 5), ("阎", 10),
    ("景", 5), ("党", 5), ("席", 5), ("解", 5), ("米", 5), ("成", 10), ("路", 5), ("辛", 5), ("欧阳", 5), ("司马", 2),
    ("上官", 1), ("诸葛", 1), ("令狐", 2), ("皇甫", 1),
];

/// Composed given names, first and second characters, by generation (as `WHOLE`) × [female, male].
#[rustfmt::skip]
const FIRST: [[&[&str]; 2]; 4] = [
    [
        &["秀", "桂", "玉", "凤", "淑", "丽", "春", "翠", "金", "美", "爱", "素", "彩", "月", "兰", "红", "冬", "秋", "巧", "银"],
        &["建", "国", "志", "德", "福", "长", "永", "树", "振", "文", "学", "玉", "金", "保", "继", "有", "世", "兴", "守", "天", "宝", "满", "存", "占", "春"],
    ],
    [
        &["丽", "红", "艳", "晓", "海", "秀", "春", "美", "玉", "建", "小", "雪", "彩", "淑", "俊", "慧", "桂", "爱"],
        &["建", "志", "海", "红", "卫", "晓", "小", "立", "永", "文", "国", "新", "宏", "振", "军", "明", "俊", "向", "伟", "跃", "爱", "东", "光"],
    ],
    [
        &["晓", "丽", "婷", "佳", "文", "慧", "春", "雪", "海", "艳", "静", "丹", "明", "雅", "亚", "彦"],
        &["晓", "志", "海", "俊", "文", "建", "鹏", "振", "立", "永", "亚", "剑", "宏", "伟", "浩", "超", "云", "少", "家", "凯"],
    ],
    [
        &["欣", "雨", "思", "梦", "诗", "雅", "子", "可", "心", "静", "文", "佳", "紫", "梓", "一", "若", "晓", "语"],
        &["浩", "子", "宇", "俊", "嘉", "博", "晨", "明", "一", "天", "思", "志", "鹏", "家", "佳", "文", "梓", "皓", "泽", "睿", "凯", "逸"],
    ],
];
#[rustfmt::skip]
const SECOND: [[&[&str]; 2]; 4] = [
    [
        &["英", "兰", "珍", "芳", "梅", "花", "霞", "华", "琴", "云", "香", "莲", "菊", "娥", "荣", "凤", "萍", "枝"],
        &["华", "明", "平", "生", "林", "山", "民", "成", "荣", "才", "贵", "忠", "强", "刚", "军", "国", "祥", "安", "清", "德", "福", "全", "江", "宝", "喜", "义", "仓", "堂", "海", "元"],
    ],
    [
        &["娟", "英", "萍", "霞", "燕", "梅", "红", "芳", "玲", "丽", "琴", "华", "君", "艳", "敏", "莉", "平", "荣"],
        &["军", "平", "华", "伟", "东", "明", "刚", "强", "勇", "斌", "涛", "峰", "林", "兵", "忠", "新", "民", "红", "国", "辉", "生", "杰", "波", "宏"],
    ],
    [
        &["丽", "娜", "婷", "燕", "静", "敏", "红", "艳", "霞", "芳", "丹", "洁", "颖", "倩", "琳", "莉", "雯", "蕾"],
        &["伟", "杰", "涛", "鹏", "磊", "辉", "明", "强", "军", "超", "峰", "飞", "斌", "龙", "亮", "东", "华", "波", "宇", "锋", "毅"],
    ],
    [
        &["怡", "婷", "琪", "瑶", "雯", "涵", "悦", "萱", "彤", "琳", "洁", "颖", "蕾", "璐", "倩", "娜", "然", "欣", "妍", "菲"],
        &["轩", "然", "宇", "杰", "豪", "涛", "辉", "鹏", "博", "阳", "航", "鑫", "哲", "睿", "铭", "凯", "磊", "超", "伟", "帅", "晨", "远", "琦", "诚"],
    ],
];
/// Single-character given names: [female, male].
#[rustfmt::skip]
const SINGLE: [&[&str]; 2] = [
    &[
        "丽", "娟", "敏", "静", "艳", "芳", "燕", "霞", "婷", "琳", "娜", "红", "玲", "萍", "雪", "倩", "颖", "洁", "丹",
        "莉", "蕾", "琴", "慧", "梅", "英", "兰", "瑶", "欣", "悦", "璐",
    ],
    &[
        "伟", "磊", "勇", "涛", "强", "军", "杰", "斌", "鹏", "超", "刚", "健", "峰", "亮", "明", "辉", "波", "飞", "平",
        "华", "浩", "宇", "凯", "鑫", "帅", "旭", "龙", "彬", "林", "洋",
    ],
];
/// Whole given names typical of a generation: [born ..1959, 1960s–70s, 1980–94, 1995..] × [female, male].
#[rustfmt::skip]
const WHOLE: [[&[&str]; 2]; 4] = [
    [
        &[
            "秀英", "桂英", "玉兰", "秀兰", "凤英", "桂兰", "淑珍", "玉珍", "红梅", "秀珍", "凤兰", "翠花", "金花", "丽华",
            "爱华", "桂芳", "素梅", "秀云", "桂花", "玉梅", "兰英", "春花", "月英", "冬梅", "秋菊", "金凤",
        ],
        &[
            "建国", "国庆", "建军", "卫东", "卫国", "跃进", "援朝", "志强", "建华", "胜利", "解放", "建设", "国强", "保国",
            "向东", "爱国", "学军", "振华", "德胜", "福生", "长生", "有才", "满仓", "金锁", "富贵", "根生", "树林", "铁柱",
        ],
    ],
    [
        &[
            "丽娟", "红英", "秀梅", "丽萍", "艳红", "美玲", "海燕", "小红", "建英", "丽霞", "桂香", "晓燕", "春梅", "玉芳",
            "俊英", "丽君", "红艳", "淑芬", "秀芳", "雪梅", "红霞", "建红", "卫红", "彩霞",
        ],
        &[
            "志刚", "建平", "海军", "文斌", "永刚", "红兵", "卫兵", "国华", "建明", "小平", "海涛", "志勇", "建伟", "立新",
            "红军", "新民", "晓东", "振国", "宏伟", "建新", "永红",
        ],
    ],
    [
        &[
            "晓丽", "丽娜", "婷婷", "晓燕", "海燕", "丽丽", "晓静", "慧敏", "春燕", "雪梅", "晓艳", "佳佳", "文静", "晓红",
            "丹丹", "娟娟",
        ],
        &[
            "晓明", "志强", "海涛", "文杰", "俊杰", "建华", "鹏飞", "振宇", "晓东", "宏伟", "亚军", "剑锋", "立伟", "永亮",
            "建军", "晓龙",
        ],
    ],
    [
        &[
            "欣怡", "雨婷", "佳琪", "梦瑶", "思雨", "诗涵", "子涵", "雅琪", "婉婷", "晓雯", "梦琪", "紫涵", "欣然", "佳怡",
            "雨欣", "思琪", "雨涵", "可欣", "心怡", "静怡",
        ],
        &[
            "浩然", "子轩", "宇航", "博文", "俊杰", "鹏飞", "嘉豪", "明轩", "家乐", "晨阳", "一鸣", "浩宇", "子豪", "宇轩",
            "皓轩", "文博", "天宇", "思远", "志豪", "俊熙",
        ],
    ],
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::members::model::ETHNICITIES;
    use std::collections::HashMap;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn run(scale: Scale, seed: u64) -> (Vec<DemoOrg>, Vec<DemoMember>) {
        let (mut orgs, mut members) = (Vec::new(), Vec::new());
        generate(scale, seed, today(), &mut |o| orgs.push(o), &mut |m| members.push(m));
        (orgs, members)
    }

    /// 基层党组织: everything but 党小组, as the seeds count them.
    fn grassroots(orgs: &[DemoOrg]) -> usize {
        orgs.iter().filter(|o| o.kind != OrgKind::Group).count()
    }

    fn summary(orgs: &[DemoOrg], members: usize) -> String {
        let count = |k: OrgKind| orgs.iter().filter(|o| o.kind == k).count();
        format!(
            "{} grassroots orgs ({} committees, {} working committees, {} general branches, {} branches) + {} groups = {} orgs; {} members",
            grassroots(orgs),
            count(OrgKind::Committee),
            count(OrgKind::WorkingCommittee),
            count(OrgKind::GeneralBranch),
            count(OrgKind::Branch),
            count(OrgKind::Group),
            orgs.len(),
            members
        )
    }

    fn check_tree(orgs: &[DemoOrg]) {
        let mut codes = HashSet::new();
        for (i, o) in orgs.iter().enumerate() {
            assert_eq!(o.id, i as i64 + 1, "ids are 1..=N in order");
            match o.parent_id {
                None => assert_eq!(i, 0, "only the root has no parent"),
                Some(p) => {
                    assert!(p >= 1 && p < o.id, "parent {p} precedes {}", o.id);
                    let parent = &orgs[p as usize - 1];
                    assert!(parent.kind.may_contain(o.kind), "{} may not contain {}", parent.name, o.name);
                    assert!(o.founded_on >= parent.founded_on);
                }
            }
            assert!(codes.insert(o.code.clone()), "duplicate code {}", o.code);
            assert_eq!(o.joint_units > 0, o.variant == OrgVariant::Joint, "{}", o.name);
            assert!((0..=6).contains(&o.joint_units));
            assert!(o.founded_on.year() >= 1950 && o.founded_on <= today());
        }
    }

    fn check_members(orgs: &[DemoOrg], members: &[DemoMember]) {
        let mut ids = HashSet::new();
        for m in members {
            let org = &orgs[m.org_id as usize - 1];
            assert!(matches!(org.kind, OrgKind::Branch | OrgKind::Group), "{} holds members", org.name);
            let parsed = IdCardNumber::parse(m.id_number.as_str()).expect("valid ID number");
            assert_eq!(parsed.birth_date(), m.birth_date);
            assert_eq!(parsed.is_male(), m.gender == Gender::Male);
            assert!(ids.insert(m.id_number.as_str().to_string()), "duplicate ID {}", m.id_number);
            let adult = m.birth_date.checked_add_months(Months::new(18 * 12)).unwrap();
            assert!(m.joined_on >= adult && m.joined_on <= today(), "{} joined {}", m.name, m.joined_on);
            match m.status {
                MemberStatus::Full => assert!(m.full_on.unwrap() > m.joined_on),
                MemberStatus::Probationary => {
                    assert!(m.full_on.is_none());
                    assert!(m.joined_on > today() - Duration::days(366));
                }
            }
            assert!(ETHNICITIES.contains(&m.ethnicity.as_str()));
            if let Some(p) = &m.phone {
                assert!(p.len() == 11 && p.bytes().all(|b| b.is_ascii_digit()), "{p}");
                assert!(["13", "15", "18"].contains(&&p[..2]));
            }
            let chars = m.name.chars().count();
            assert!((2..=4).contains(&chars), "{}", m.name);
        }
    }

    #[test]
    fn county_scale() {
        let (orgs, members) = run(Scale::County, 4);
        println!("county: {}", summary(&orgs, members.len()));
        assert!((450..=560).contains(&grassroots(&orgs)), "{}", summary(&orgs, members.len()));
        assert!((11_400..=12_600).contains(&members.len()), "{}", members.len());
        check_tree(&orgs);
        check_members(&orgs, &members);
        assert_eq!(orgs[0].name.chars().last(), Some('会'));
        assert_eq!(orgs[0].kind, OrgKind::Committee);
        assert_eq!(orgs[0].domain, OrgDomain::Region);
        let villages = orgs
            .iter()
            .filter(|o| o.domain == OrgDomain::Rural && o.variant == OrgVariant::Regular && o.kind != OrgKind::Group)
            .filter(|o| orgs[o.parent_id.unwrap() as usize - 1].domain == OrgDomain::Township)
            .count();
        let joint_villages: i64 = orgs
            .iter()
            .filter(|o| o.domain == OrgDomain::Rural && o.variant == OrgVariant::Joint)
            .map(|o| o.joint_units)
            .sum();
        assert_eq!(villages as i64 + joint_villages, 133, "villages");
        assert_eq!(
            orgs.iter()
                .filter(|o| o.domain == OrgDomain::Community && o.kind != OrgKind::Branch && o.kind != OrgKind::Group)
                .count(),
            3
        );

        // What each branch holds, its groups included, as the setup rules count it.
        let mut total: HashMap<i64, (i64, i64, i64, i64)> = HashMap::new(); // members, full, seats, secretaries
        let branch_of = |id: i64| {
            let o = &orgs[id as usize - 1];
            if o.kind == OrgKind::Group {
                o.parent_id.unwrap()
            } else {
                id
            }
        };
        for m in &members {
            let e = total.entry(branch_of(m.org_id)).or_default();
            e.0 += 1;
            e.1 += (m.status == MemberStatus::Full) as i64;
            if m.org_id == branch_of(m.org_id) {
                e.2 += m.posts.iter().filter(|p| p.is_committee_seat()).count() as i64;
            }
            e.3 += m.posts.contains(&Post::Secretary) as i64;
        }
        let branches: Vec<&DemoOrg> = orgs.iter().filter(|o| o.kind == OrgKind::Branch).collect();
        for b in &branches {
            let (n, full, seats, secretaries) = total[&b.id];
            assert_eq!(secretaries, 1, "{}", b.name);
            if full >= 7 {
                assert!((3..=5).contains(&seats), "{}: {seats} seats", b.name);
            }
            assert!(n >= 2);
        }
        let rural: Vec<&&DemoOrg> =
            branches.iter().filter(|b| b.domain == OrgDomain::Rural && b.variant != OrgVariant::Temporary).collect();
        let large = rural.iter().filter(|b| total[&b.id].0 > 50).count();
        let few = rural.iter().filter(|b| total[&b.id].1 < 3).count();
        assert!(large >= 2 && large * 10 < rural.len(), "{large} of {} village branches over 50", rural.len());
        assert!(few >= 2, "{few} village branches with fewer than 3 full members");
        for b in &rural {
            let groups = orgs.iter().filter(|o| o.parent_id == Some(b.id) && o.variant == OrgVariant::Regular).count();
            if total[&b.id].0 >= 10 {
                assert!((2..=4).contains(&groups), "{}: {groups} groups", b.name);
            }
        }
        assert!(orgs.iter().any(|o| o.joint_units == 6));
        assert!(orgs.iter().any(|o| o.variant == OrgVariant::Temporary));
        assert!(orgs.iter().any(|o| o.variant == OrgVariant::Functional && o.kind == OrgKind::Group));
        let expired = orgs.iter().filter(|o| {
            let years = if matches!(o.domain, OrgDomain::Rural | OrgDomain::Community) { 5 } else { 3 };
            o.term_start.is_some_and(|s| s.with_year(s.year() + years).unwrap_or(s) <= today())
        });
        let expired = expired.count();
        assert!(expired >= 3 && expired * 15 < orgs.len(), "{expired} expired terms");
        assert!(members.iter().any(|m| m.posts.contains(&Post::CentralHousehold)));
        let prob = members.iter().filter(|m| m.status == MemberStatus::Probationary).count();
        assert!((members.len() / 50..=members.len() / 20).contains(&prob), "{prob} probationary");
        let han = members.iter().filter(|m| m.ethnicity == "汉族").count();
        assert!(han * 100 > members.len() * 95);
        let phones: Vec<&String> = members.iter().filter_map(|m| m.phone.as_ref()).collect();
        assert!(phones.len() * 100 > members.len() * 92 && phones.len() * 100 < members.len() * 98);
        assert_eq!(phones.iter().collect::<HashSet<_>>().len(), phones.len(), "phones are unique");
        let served: Vec<&DemoMember> = members
            .iter()
            .filter(|m| {
                matches!(orgs[m.org_id as usize - 1].domain, OrgDomain::Organ | OrgDomain::Institution | OrgDomain::Soe)
            })
            .collect();
        let share = served.iter().filter(|m| m.in_service).count() as f64 / served.len() as f64;
        assert!((0.5..0.7).contains(&share), "in service {share}");
    }

    #[test]
    fn deterministic() {
        let first = |seed| {
            let (_, members) = run(Scale::County, seed);
            members.into_iter().take(1000).map(|m| (m.name, m.id_number.to_string())).collect::<Vec<_>>()
        };
        let a = first(7);
        assert_eq!(a.len(), 1000);
        assert_eq!(a, first(7));
        assert_ne!(a, first(8));
        let (o1, _) = run(Scale::County, 7);
        let (o2, _) = run(Scale::County, 7);
        let names =
            |o: &[DemoOrg]| o.iter().map(|o| (o.code.clone(), o.name.clone(), o.term_start)).collect::<Vec<_>>();
        assert_eq!(names(&o1), names(&o2));
    }

    #[test]
    fn city_scale() {
        let (orgs, members) = run(Scale::City, 3);
        println!("city: {}", summary(&orgs, members.len()));
        assert!((1_260..=1_540).contains(&grassroots(&orgs)), "{}", summary(&orgs, members.len()));
        assert!((42_300..=51_700).contains(&members.len()), "{}", members.len());
        check_tree(&orgs);
        check_members(&orgs, &members);
    }

    /// The targets hold whatever the seed.
    #[test]
    fn sizes_hold_across_seeds() {
        for seed in 0..8 {
            let (mut orgs, mut members) = (0, 0);
            generate(Scale::County, seed, today(), &mut |o| orgs += (o.kind != OrgKind::Group) as usize, &mut |_| {
                members += 1
            });
            assert!(
                (454..=554).contains(&orgs) && (11_400..=12_600).contains(&members),
                "seed {seed}: {orgs} orgs, {members} members"
            );
        }
        for seed in 0..3 {
            let (mut orgs, mut members) = (0, 0);
            generate(Scale::City, seed, today(), &mut |o| orgs += (o.kind != OrgKind::Group) as usize, &mut |_| {
                members += 1
            });
            assert!(
                (1_260..=1_540).contains(&orgs) && (42_300..=51_700).contains(&members),
                "seed {seed}: {orgs} orgs, {members} members"
            );
        }
    }

    #[test]
    fn scale_parse() {
        assert_eq!(Scale::parse("county"), Some(Scale::County));
        assert_eq!(Scale::parse("city"), Some(Scale::City));
        assert_eq!(Scale::parse("province"), Some(Scale::Province));
        assert_eq!(Scale::parse("country"), Some(Scale::Country(5)));
        assert_eq!(Scale::parse_with("country", 2), Some(Scale::Country(2)));
        assert_eq!(Scale::parse_with("country", 0), None);
        assert_eq!(Scale::parse_with("country", MAX_PROVINCES + 1), None);
        assert_eq!(Scale::parse("nation"), None);
    }

    /// Two provinces under a national root: one root, every org code and member ID number
    /// unique across the provinces. `cargo test --release -- --ignored country_scale --nocapture`.
    #[test]
    #[ignore]
    fn country_scale() {
        let mut codes = std::collections::HashSet::new();
        let (mut roots, mut provinces, mut orgs) = (0usize, 0usize, 0usize);
        let mut ids = std::collections::HashSet::new();
        generate(
            Scale::Country(2),
            1,
            today(),
            &mut |o| {
                orgs += 1;
                roots += o.parent_id.is_none() as usize;
                provinces += (o.parent_id == Some(1) && o.name.ends_with("省委员会")) as usize;
                assert!(codes.insert(o.code.clone()), "duplicate org code {}", o.code);
            },
            &mut |m| assert!(ids.insert(m.id_number.to_string()), "duplicate ID number"),
        );
        assert_eq!((roots, provinces), (1, 2));
        assert!(orgs > 400_000, "{orgs} orgs");
        assert!(ids.len() > 5_000_000, "{} members", ids.len());
        println!("country of 2 provinces: {orgs} orgs, {} members", ids.len());
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(cn(1), "一");
        assert_eq!(cn(10), "十");
        assert_eq!(cn(14), "十四");
        assert_eq!(cn(20), "二十");
        assert_eq!(cn(37), "三十七");
    }

    /// About 100,000 grassroots orgs and 3,000,000 members; run with
    /// `cargo test --release -- --ignored province_scale --nocapture`.
    #[test]
    #[ignore]
    fn province_scale() {
        let start = std::time::Instant::now();
        let mut orgs = Vec::new();
        let (mut n, mut ids, mut bad) = (0usize, Vec::with_capacity(3_200_000), 0usize);
        let kinds = std::cell::RefCell::new(Vec::new());
        generate(
            Scale::Province,
            1,
            today(),
            &mut |o| {
                kinds.borrow_mut().push(o.kind);
                orgs.push((o.id, o.parent_id, o.code));
            },
            &mut |m| {
                n += 1;
                if !matches!(kinds.borrow()[m.org_id as usize - 1], OrgKind::Branch | OrgKind::Group) {
                    bad += 1;
                }
                ids.push(m.id_number.as_str()[..17].parse::<u64>().unwrap());
            },
        );
        let elapsed = start.elapsed();
        let kinds = kinds.into_inner();
        let grassroots = kinds.iter().filter(|k| **k != OrgKind::Group).count();
        println!(
            "province: {grassroots} grassroots orgs, {} orgs with groups, {n} members, generated in {elapsed:?}",
            orgs.len()
        );
        assert_eq!(bad, 0);
        assert!((90_000..=110_000).contains(&grassroots), "{grassroots}");
        assert!((2_850_000..=3_150_000).contains(&n), "{n}");
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "ID numbers are unique");
        let codes: HashSet<&String> = orgs.iter().map(|o| &o.2).collect();
        assert_eq!(codes.len(), orgs.len(), "org codes are unique");
        assert!(orgs.iter().all(|o| o.1.map_or(o.0 == 1, |p| p < o.0)));
    }
}
