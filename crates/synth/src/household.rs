//! One synthetic household: who lives in it, how old they are, what they earn and own, where it is.
//!
//! The households are those that apply for or receive social assistance, so their shapes follow
//! that population rather than the census: many people living alone (elderly, or adults with a
//! disability or illness), elderly couples, single parents, grandparents raising left-behind
//! grandchildren (more in villages), three-generation households. Incomes are set around the local
//! dibao standard: most households below it, a quarter just above (低保边缘), the rest well above.

use chrono::{Datelike, NaiveDate, TimeDelta};
use minzheng_kernel::id_number::Sex;
use minzheng_kernel::params::ParamSet;
use minzheng_kernel::region::{RegionCode, RegionKind, RegionLevel, RegionTree};
use serde::{Deserialize, Serialize};

use crate::SynthError;
use crate::ids::{IdAllocator, id_region_code};
use crate::names::{given_name, surname};
use crate::rng::Rng;

/// 城市 / 农村: the area type that selects a dibao standard. Villages (村民委员会) are rural,
/// urban communities (居民委员会) urban.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaType {
    /// 城市.
    Urban,
    /// 农村.
    Rural,
}

impl AreaType {
    /// The identifier stored in the database: `urban` or `rural`.
    pub fn code(self) -> &'static str {
        match self {
            AreaType::Urban => "urban",
            AreaType::Rural => "rural",
        }
    }

    /// The label a screen shows: `城市` or `农村`.
    pub fn label_zh(self) -> &'static str {
        match self {
            AreaType::Urban => "城市",
            AreaType::Rural => "农村",
        }
    }

    /// The policy parameter holding this area's monthly dibao standard per person.
    fn standard_key(self) -> &'static str {
        match self {
            AreaType::Urban => "dibao.standard.urban",
            AreaType::Rural => "dibao.standard.rural",
        }
    }
}

/// A member's relation to the head of household (与户主关系), as the 户口簿 records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// 户主.
    Head,
    /// 配偶.
    Spouse,
    /// 子女.
    Child,
    /// 父母.
    Parent,
    /// 孙子女 / 外孙子女.
    Grandchild,
    /// 兄弟姐妹.
    Sibling,
    /// 其他 (e.g. 儿媳, 女婿).
    Other,
}

impl Relation {
    /// The identifier stored in the database (`head`, `spouse`, …).
    pub fn code(self) -> &'static str {
        match self {
            Relation::Head => "head",
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::Parent => "parent",
            Relation::Grandchild => "grandchild",
            Relation::Sibling => "sibling",
            Relation::Other => "other",
        }
    }

    /// The label a screen shows.
    pub fn label_zh(self) -> &'static str {
        match self {
            Relation::Head => "户主",
            Relation::Spouse => "配偶",
            Relation::Child => "子女",
            Relation::Parent => "父母",
            Relation::Grandchild => "孙子女",
            Relation::Sibling => "兄弟姐妹",
            Relation::Other => "其他",
        }
    }
}

/// The kind of disability on a 残疾人证 (GB/T 26341).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisabilityKind {
    /// 视力残疾.
    Visual,
    /// 听力残疾.
    Hearing,
    /// 言语残疾.
    Speech,
    /// 肢体残疾.
    Physical,
    /// 智力残疾.
    Intellectual,
    /// 精神残疾.
    Mental,
    /// 多重残疾.
    Multiple,
}

impl DisabilityKind {
    /// The label a screen shows, e.g. `肢体残疾`.
    pub fn label_zh(self) -> &'static str {
        match self {
            DisabilityKind::Visual => "视力残疾",
            DisabilityKind::Hearing => "听力残疾",
            DisabilityKind::Speech => "言语残疾",
            DisabilityKind::Physical => "肢体残疾",
            DisabilityKind::Intellectual => "智力残疾",
            DisabilityKind::Mental => "精神残疾",
            DisabilityKind::Multiple => "多重残疾",
        }
    }
}

/// A disability certificate: kind and grade, 1 (most severe) to 4. Rules use both: grade 1–2 is
/// 重度, and grade 3 counts as severe for intellectual and mental disability (单人保).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Disability {
    /// 残疾类别.
    pub kind: DisabilityKind,
    /// 残疾等级, 1..=4.
    pub level: u8,
}

/// One member of a synthetic household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynthPerson {
    /// Full name, surname first.
    pub name: String,
    /// 性别; always agrees with position 17 of [`SynthPerson::id_number`].
    pub sex: Sex,
    /// 出生日期; always agrees with positions 7–14 of the ID number.
    pub birth_date: NaiveDate,
    /// 18-character ID number in canonical form, valid for `IdNumber::parse_strict` on `today`
    /// and unique within one run.
    pub id_number: String,
    /// 与户主关系.
    pub relation: Relation,
    /// The six-digit county of the household registration on `today` (which can differ from the
    /// ID number's region code: numbers keep the code of where they were issued).
    pub hukou_region6: String,
    /// Countable monthly income in fen (wages, business, transfers), before any assistance.
    pub monthly_income_fen: i64,
    /// The disability certificate, if any.
    pub disability: Option<Disability>,
    /// 患有重大疾病.
    pub serious_illness: bool,
    /// 在校学生 (full-time, up to undergraduate level).
    pub student: bool,
}

/// A synthetic household: the row of the household and its members, head first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynthHousehold {
    /// The 12-digit NBS code of the community (村/居委会) where the household is registered.
    pub region_code: String,
    /// Urban or rural, from the kind of community.
    pub area_type: AreaType,
    /// The address below the community: `渝州路12号3-2` (urban) or `3组15号` (rural).
    pub address: String,
    /// 1–6 members, the head first.
    pub members: Vec<SynthPerson>,
    /// Bank deposits and securities of the household, in fen.
    pub deposits_fen: i64,
    /// Motor vehicles (cars, motorcycles, farm vehicles) registered to members.
    pub vehicles: u32,
    /// Dwellings owned (0 for tenants of public or private housing).
    pub housing_units: u32,
}

impl SynthHousehold {
    /// The head of household (the first member).
    pub fn head(&self) -> Option<&SynthPerson> {
        self.members.first()
    }

    /// The household's countable monthly income in fen.
    pub fn monthly_income_fen(&self) -> i64 {
        self.members.iter().map(|m| m.monthly_income_fen).sum()
    }

    /// Monthly income per member in fen, rounded down (0 for an empty household).
    pub fn per_capita_income_fen(&self) -> i64 {
        let size = self.members.len() as i64;
        if size == 0 {
            0
        } else {
            self.monthly_income_fen() / size
        }
    }
}

/// A community (村/居委会) as the generator needs it: its code, its area type, and which county
/// answered for it over time (a community of the former 江北区 belongs to 两江新区 from 2025-11-06),
/// so that ID numbers and household registrations carry the county of their date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    code: String,
    area_type: AreaType,
    /// (first day, six-digit county) in date order; the first entry starts on 1900-01-01.
    counties: Vec<(NaiveDate, String)>,
}

fn earliest_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn parse_community_code(code: &str) -> Result<RegionCode, SynthError> {
    let bad = |reason: &str| SynthError::BadCommunity {
        code: code.to_string(),
        reason: reason.to_string(),
    };
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("应为 12 位数字"));
    }
    let parsed = RegionCode::parse(code).map_err(|error| bad(&error.to_string()))?;
    if parsed.level() != RegionLevel::Community {
        return Err(bad("不是村（社区）级代码"));
    }
    Ok(parsed)
}

impl Community {
    /// A community known only by its 12-digit code; its county is the code's first six digits at
    /// every date. `is_village` says whether it is a 村民委员会 (rural) or a 居民委员会 (urban).
    pub fn new(code: &str, is_village: bool) -> Result<Community, SynthError> {
        parse_community_code(code)?;
        Ok(Community {
            code: code.to_string(),
            area_type: if is_village {
                AreaType::Rural
            } else {
                AreaType::Urban
            },
            counties: vec![(earliest_day(), code[..6].to_string())],
        })
    }

    /// A community of the region tree, with the county it belonged to before and after each
    /// division change of the tree.
    pub fn from_tree(tree: &RegionTree, code: &str) -> Result<Community, SynthError> {
        let parsed = parse_community_code(code)?;
        let node = tree
            .lookup(parsed)
            .map_err(|error| SynthError::Region(error.to_string()))?;
        let area_type = match node.kind {
            RegionKind::Village => AreaType::Rural,
            RegionKind::UrbanCommunity => AreaType::Urban,
            _ => {
                return Err(SynthError::BadCommunity {
                    code: code.to_string(),
                    reason: "既不是村民委员会也不是居民委员会".to_string(),
                });
            }
        };
        let mut dates: Vec<NaiveDate> = tree.changes().iter().map(|change| change.date).collect();
        dates.push(earliest_day());
        dates.sort();
        dates.dedup();
        let mut counties: Vec<(NaiveDate, String)> = Vec::new();
        for day in dates {
            if !tree.exists_on(parsed, day) {
                continue;
            }
            let ancestors = tree
                .ancestors(parsed, day)
                .map_err(|error| SynthError::Region(error.to_string()))?;
            let Some(district) = ancestors
                .iter()
                .find(|n| n.level() == RegionLevel::District)
            else {
                continue;
            };
            let county = district.code.to_string()[..6].to_string();
            if counties.last().is_none_or(|(_, last)| *last != county) {
                let from = if counties.is_empty() {
                    earliest_day()
                } else {
                    day
                };
                counties.push((from, county));
            }
        }
        if counties.is_empty() {
            counties.push((earliest_day(), code[..6].to_string()));
        }
        Ok(Community {
            code: code.to_string(),
            area_type,
            counties,
        })
    }

    /// The 12-digit code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Urban or rural.
    pub fn area_type(&self) -> AreaType {
        self.area_type
    }

    /// The six-digit county the community belonged to on `date`.
    pub fn county_on(&self, date: NaiveDate) -> &str {
        self.counties
            .iter()
            .rev()
            .find(|(from, _)| *from <= date)
            .or(self.counties.first())
            .map(|(_, county)| county.as_str())
            .unwrap_or(&self.code[..6])
    }

    /// The monthly dibao standard per person in fen for this community's area type on `today`,
    /// from the compiled-in policy parameters.
    pub fn dibao_standard_fen(&self, today: NaiveDate) -> Result<i64, SynthError> {
        dibao_standard_fen(self.area_type, &self.code, today)
    }
}

/// The monthly dibao standard per person in fen for `area` in `region_code` (digits) on `today`,
/// from the compiled-in policy parameters.
pub(crate) fn dibao_standard_fen(
    area: AreaType,
    region_code: &str,
    today: NaiveDate,
) -> Result<i64, SynthError> {
    ParamSet::builtin()
        .value_of(area.standard_key(), region_code, today)
        .and_then(|row| row.fen())
        .map_err(|error| SynthError::Param(error.to_string()))
}

/// Household shapes, the way assistance caseloads look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// An elderly person living alone (独居老人).
    SingleElderly,
    /// A working-age adult alone, often disabled or ill.
    SingleAdult,
    /// An elderly couple, sometimes with an adult child who cannot live independently.
    ElderlyCouple,
    /// One parent with minor or student children.
    SingleParent,
    /// A couple with children, sometimes with a parent of the head.
    CoupleWithChildren,
    /// Grandparents raising grandchildren whose parents work elsewhere (隔代, 留守儿童).
    SkippedGeneration,
    /// Three generations under one roof.
    ThreeGenerations,
    /// An adult living with a dependent brother or sister.
    WithSibling,
}

/// Shapes per mille for urban communities.
const SHAPES_URBAN: &[(Shape, u32)] = &[
    (Shape::SingleElderly, 260),
    (Shape::SingleAdult, 190),
    (Shape::ElderlyCouple, 130),
    (Shape::SingleParent, 120),
    (Shape::CoupleWithChildren, 140),
    (Shape::SkippedGeneration, 50),
    (Shape::ThreeGenerations, 60),
    (Shape::WithSibling, 50),
];

/// Shapes per mille for villages: more elderly and more left-behind children.
const SHAPES_RURAL: &[(Shape, u32)] = &[
    (Shape::SingleElderly, 290),
    (Shape::SingleAdult, 150),
    (Shape::ElderlyCouple, 170),
    (Shape::SingleParent, 60),
    (Shape::CoupleWithChildren, 130),
    (Shape::SkippedGeneration, 90),
    (Shape::ThreeGenerations, 80),
    (Shape::WithSibling, 30),
];

/// How much more likely than average a member is to be disabled or ill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frailty {
    /// The rates of the age group.
    Ordinary,
    /// An adult whose situation is the reason for the application (alone, or a dependent sibling).
    Vulnerable,
    /// An adult child who cannot live independently: always disabled, usually severely.
    Dependent,
}

/// A member before names, dates and numbers are drawn.
#[derive(Debug, Clone, Copy)]
struct Draft {
    relation: Relation,
    sex: Sex,
    age: i64,
    surname: &'static str,
    frailty: Frailty,
}

/// Largest household the generator makes.
const MAX_MEMBERS: usize = 6;
/// Oldest age drawn, so that birth dates stay well after 1900.
const MAX_AGE: i64 = 98;

fn random_sex(rng: &mut Rng) -> Sex {
    if rng.chance(515) {
        Sex::Male
    } else {
        Sex::Female
    }
}

fn sex_with(rng: &mut Rng, male_per_mille: u32) -> Sex {
    if rng.chance(male_per_mille) {
        Sex::Male
    } else {
        Sex::Female
    }
}

fn opposite(sex: Sex) -> Sex {
    match sex {
        Sex::Male => Sex::Female,
        Sex::Female => Sex::Male,
    }
}

fn pick<T: Copy>(rng: &mut Rng, items: &[(T, u32)], fallback: T) -> T {
    rng.pick_weighted(items).unwrap_or(fallback)
}

/// How many years the husband is older than the wife.
const HUSBAND_OLDER_BY: &[(i64, u32)] = &[
    (-2, 50),
    (-1, 80),
    (0, 150),
    (1, 150),
    (2, 150),
    (3, 130),
    (4, 100),
    (5, 90),
    (6, 100),
];

/// The age of a spouse of someone aged `age` and of sex `sex` (opposite sex, at least 20).
fn spouse_age(rng: &mut Rng, age: i64, sex: Sex) -> i64 {
    let older_by = pick(rng, HUSBAND_OLDER_BY, 2);
    let spouse = match sex {
        Sex::Male => age - older_by,
        Sex::Female => age + older_by,
    };
    spouse.clamp(20, MAX_AGE)
}

/// The age of a child of parents whose younger is `younger_parent` years old: born when that parent
/// was 20–38, and not older than `max_age`. `None` when no age fits.
fn child_age(rng: &mut Rng, younger_parent: i64, min_age: i64, max_age: i64) -> Option<i64> {
    let low = (younger_parent - 38).max(min_age).max(0);
    let high = (younger_parent - 20).min(max_age);
    (low <= high).then(|| rng.between(low, high))
}

/// The surname of a child whose father (if known) and mother carry these surnames: the father's
/// in 92 cases of 100; with no father in the household, the absent father's (a surname drawn
/// afresh) in 70 of 100.
fn child_surname(
    rng: &mut Rng,
    father: Option<&'static str>,
    mother: &'static str,
) -> &'static str {
    match father {
        Some(father) if !rng.chance(80) => father,
        Some(_) => mother,
        None => {
            if rng.chance(700) {
                surname(rng)
            } else {
                mother
            }
        }
    }
}

/// Builds the member list of one household.
struct Members {
    drafts: Vec<Draft>,
}

impl Members {
    fn new() -> Members {
        Members {
            drafts: Vec::with_capacity(MAX_MEMBERS),
        }
    }

    fn has_room(&self) -> bool {
        self.drafts.len() < MAX_MEMBERS
    }

    fn add(&mut self, relation: Relation, sex: Sex, age: i64, surname: &'static str) {
        self.add_frail(relation, sex, age, surname, Frailty::Ordinary);
    }

    fn add_frail(
        &mut self,
        relation: Relation,
        sex: Sex,
        age: i64,
        surname: &'static str,
        frailty: Frailty,
    ) {
        if self.has_room() {
            self.drafts.push(Draft {
                relation,
                sex,
                age: age.clamp(0, MAX_AGE),
                surname,
                frailty,
            });
        }
    }
}

/// A couple: the head (given) and a spouse. Returns (father's surname, mother's surname, younger
/// age) for their children.
fn add_spouse(
    rng: &mut Rng,
    members: &mut Members,
    head: Draft,
) -> (Option<&'static str>, &'static str, i64) {
    let age = spouse_age(rng, head.age, head.sex);
    let family = surname(rng);
    members.add(Relation::Spouse, opposite(head.sex), age, family);
    match head.sex {
        Sex::Male => (Some(head.surname), family, head.age.min(age)),
        Sex::Female => (Some(family), head.surname, head.age.min(age)),
    }
}

fn add_children(
    rng: &mut Rng,
    members: &mut Members,
    count: u32,
    parents: (Option<&'static str>, &'static str, i64),
    max_age: i64,
) {
    let (father, mother, younger) = parents;
    for _ in 0..count {
        if let Some(age) = child_age(rng, younger, 0, max_age) {
            let family = child_surname(rng, father, mother);
            members.add(Relation::Child, random_sex(rng), age, family);
        }
    }
}

/// One or two parents of the head, born when the head's parents were 20–38.
fn add_parents(rng: &mut Rng, members: &mut Members, head: Draft, count: u32) {
    let low = head.age + 20;
    let high = (head.age + 38).min(MAX_AGE);
    if low > high {
        return;
    }
    let first = rng.between(low, high);
    if count >= 2 {
        members.add(Relation::Parent, Sex::Male, first, head.surname);
        let older_by = pick(rng, HUSBAND_OLDER_BY, 2);
        let mother = (first - older_by).clamp(low, MAX_AGE);
        members.add(Relation::Parent, Sex::Female, mother, surname(rng));
    } else {
        let sex = sex_with(rng, 350);
        let family = if sex == Sex::Male {
            head.surname
        } else {
            surname(rng)
        };
        members.add(Relation::Parent, sex, first, family);
    }
}

/// Elderly ages with a peak in the late seventies: 60..=96.
fn elderly_age(rng: &mut Rng) -> i64 {
    60 + rng.between(0, 18) + rng.between(0, 18)
}

fn head(rng: &mut Rng, sex: Sex, age: i64) -> Draft {
    Draft {
        relation: Relation::Head,
        sex,
        age,
        surname: surname(rng),
        frailty: Frailty::Ordinary,
    }
}

fn compose(rng: &mut Rng, area: AreaType) -> Vec<Draft> {
    let shapes = match area {
        AreaType::Urban => SHAPES_URBAN,
        AreaType::Rural => SHAPES_RURAL,
    };
    let shape = pick(rng, shapes, Shape::SingleElderly);
    let mut members = Members::new();
    match shape {
        Shape::SingleElderly => {
            let sex = sex_with(rng, 400);
            let age = elderly_age(rng);
            members.drafts.push(head(rng, sex, age));
        }
        Shape::SingleAdult => {
            let sex = sex_with(rng, 600);
            let age = rng.between(25, 59);
            let mut first = head(rng, sex, age);
            first.frailty = Frailty::Vulnerable;
            members.drafts.push(first);
        }
        Shape::ElderlyCouple => {
            let sex = sex_with(rng, 850);
            let age = 60 + rng.between(0, 15) + rng.between(0, 15);
            let first = head(rng, sex, age);
            members.drafts.push(first);
            let (father, mother, younger) = add_spouse(rng, &mut members, first);
            if rng.chance(200)
                && let Some(child) = child_age(rng, younger, 18, 55)
            {
                let family = child_surname(rng, father, mother);
                let sex = random_sex(rng);
                members.add_frail(Relation::Child, sex, child, family, Frailty::Dependent);
            }
        }
        Shape::SingleParent => {
            let sex = sex_with(rng, 350);
            let age = rng.between(25, 55);
            let first = head(rng, sex, age);
            members.drafts.push(first);
            let parents = match sex {
                Sex::Male => (Some(first.surname), surname(rng), age),
                Sex::Female => (None, first.surname, age),
            };
            let count = pick(rng, &[(1, 600), (2, 320), (3, 80)], 1);
            add_children(rng, &mut members, count, parents, 22);
        }
        Shape::CoupleWithChildren => {
            let sex = sex_with(rng, 800);
            let age = rng.between(25, 55);
            let first = head(rng, sex, age);
            members.drafts.push(first);
            let parents = add_spouse(rng, &mut members, first);
            let count = pick(rng, &[(1, 500), (2, 380), (3, 120)], 1);
            add_children(rng, &mut members, count, parents, 22);
            if rng.chance(100) {
                add_parents(rng, &mut members, first, 1);
            }
        }
        Shape::SkippedGeneration => {
            let couple = rng.chance(550);
            let sex = if couple {
                sex_with(rng, 700)
            } else {
                sex_with(rng, 400)
            };
            let age = rng.between(50, 80);
            let first = head(rng, sex, age);
            members.drafts.push(first);
            let (grandfather, grandmother, younger) = if couple {
                add_spouse(rng, &mut members, first)
            } else if sex == Sex::Male {
                (Some(first.surname), surname(rng), age)
            } else {
                (None, first.surname, age)
            };
            let count = pick(rng, &[(1, 550), (2, 350), (3, 100)], 1);
            for _ in 0..count {
                let low = (younger - 75).max(0);
                let high = (younger - 40).min(17);
                if low > high {
                    break;
                }
                let grandchild = rng.between(low, high);
                // A son's child carries the grandfather's surname; a daughter's, her husband's.
                let family = match grandfather {
                    Some(family) if rng.chance(700) => family,
                    _ if rng.chance(200) => grandmother,
                    _ => surname(rng),
                };
                let sex = random_sex(rng);
                members.add(Relation::Grandchild, sex, grandchild, family);
            }
        }
        Shape::ThreeGenerations => {
            if rng.chance(600) {
                // The head in the middle: spouse, children, and the head's own parents.
                let sex = sex_with(rng, 750);
                let age = rng.between(30, 55);
                let first = head(rng, sex, age);
                members.drafts.push(first);
                let parents = if rng.chance(850) {
                    add_spouse(rng, &mut members, first)
                } else if sex == Sex::Male {
                    (Some(first.surname), surname(rng), age)
                } else {
                    (None, first.surname, age)
                };
                let count = pick(rng, &[(1, 600), (2, 400)], 1);
                add_children(rng, &mut members, count, parents, 22);
                let parent_count = pick(rng, &[(1, 600), (2, 400)], 1);
                add_parents(rng, &mut members, first, parent_count);
            } else {
                // The head the eldest: spouse, an adult child, the child's spouse, grandchildren.
                let sex = sex_with(rng, 700);
                let age = rng.between(55, 75);
                let first = head(rng, sex, age);
                members.drafts.push(first);
                let (father, mother, younger) = if rng.chance(800) {
                    add_spouse(rng, &mut members, first)
                } else if sex == Sex::Male {
                    (Some(first.surname), surname(rng), age)
                } else {
                    (None, first.surname, age)
                };
                let Some(adult) = child_age(rng, younger, 25, 45) else {
                    return members.drafts;
                };
                let adult_sex = random_sex(rng);
                let adult_surname = child_surname(rng, father, mother);
                members.add(Relation::Child, adult_sex, adult, adult_surname);
                let mut young_parent = adult;
                let mut in_law_surname = None;
                if rng.chance(700) {
                    let in_law = spouse_age(rng, adult, adult_sex);
                    let family = surname(rng);
                    members.add(Relation::Other, opposite(adult_sex), in_law, family);
                    young_parent = young_parent.min(in_law);
                    in_law_surname = Some(family);
                }
                let (grand_father, grand_mother) = match (adult_sex, in_law_surname) {
                    (Sex::Male, Some(other)) => (Some(adult_surname), other),
                    (Sex::Male, None) => (Some(adult_surname), surname(rng)),
                    (Sex::Female, Some(other)) => (Some(other), adult_surname),
                    (Sex::Female, None) => (None, adult_surname),
                };
                let count = pick(rng, &[(1, 600), (2, 400)], 1);
                for _ in 0..count {
                    if let Some(age) = child_age(rng, young_parent, 0, 17) {
                        let family = child_surname(rng, grand_father, grand_mother);
                        let sex = random_sex(rng);
                        members.add(Relation::Grandchild, sex, age, family);
                    }
                }
            }
        }
        Shape::WithSibling => {
            let sex = random_sex(rng);
            let age = rng.between(30, 70);
            let first = head(rng, sex, age);
            members.drafts.push(first);
            let sibling = (age + rng.between(-12, 12)).clamp(18, 95);
            let family = if rng.chance(900) {
                first.surname
            } else {
                surname(rng)
            };
            let sex = random_sex(rng);
            members.add_frail(Relation::Sibling, sex, sibling, family, Frailty::Vulnerable);
        }
    }
    members.drafts
}

/// `day` moved back `years` years (28 February for a 29 February that does not exist).
fn years_before(day: NaiveDate, years: i64) -> NaiveDate {
    let year = day.year() - years as i32;
    NaiveDate::from_ymd_opt(year, day.month(), day.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, day.month(), 28))
        .unwrap_or(day)
}

/// A birth date at which someone is exactly `age` full years old on `today`.
fn birth_for_age(rng: &mut Rng, today: NaiveDate, age: i64) -> NaiveDate {
    let latest = years_before(today, age);
    let earliest = years_before(today, age + 1) + TimeDelta::days(1);
    let span = (latest - earliest).num_days();
    earliest + TimeDelta::days(rng.between(0, span))
}

const DISABILITY_LEVELS: &[(u8, u32)] = &[(1, 150), (2, 300), (3, 250), (4, 300)];
const DEPENDENT_LEVELS: &[(u8, u32)] = &[(1, 350), (2, 450), (3, 200)];
const DISABILITY_KINDS: &[(DisabilityKind, u32)] = &[
    (DisabilityKind::Physical, 450),
    (DisabilityKind::Intellectual, 120),
    (DisabilityKind::Mental, 150),
    (DisabilityKind::Visual, 100),
    (DisabilityKind::Hearing, 100),
    (DisabilityKind::Speech, 20),
    (DisabilityKind::Multiple, 60),
];
const DEPENDENT_KINDS: &[(DisabilityKind, u32)] = &[
    (DisabilityKind::Intellectual, 350),
    (DisabilityKind::Mental, 300),
    (DisabilityKind::Physical, 200),
    (DisabilityKind::Multiple, 150),
];

fn draw_disability(rng: &mut Rng, age: i64, frailty: Frailty) -> Option<Disability> {
    let per_mille = match (frailty, age) {
        (Frailty::Dependent, _) => 1000,
        (Frailty::Vulnerable, _) => 450,
        (Frailty::Ordinary, ..18) => 50,
        (Frailty::Ordinary, 18..60) => 180,
        (Frailty::Ordinary, _) => 220,
    };
    if !rng.chance(per_mille) {
        return None;
    }
    let (levels, kinds) = if frailty == Frailty::Dependent {
        (DEPENDENT_LEVELS, DEPENDENT_KINDS)
    } else {
        (DISABILITY_LEVELS, DISABILITY_KINDS)
    };
    Some(Disability {
        kind: pick(rng, kinds, DisabilityKind::Physical),
        level: pick(rng, levels, 4),
    })
}

fn draw_illness(rng: &mut Rng, age: i64, frailty: Frailty) -> bool {
    let per_mille = match (frailty, age) {
        (Frailty::Vulnerable, _) => 200,
        (_, ..18) => 20,
        (_, 18..60) => 80,
        (_, _) => 150,
    };
    rng.chance(per_mille)
}

fn draw_student(rng: &mut Rng, age: i64, frailty: Frailty) -> bool {
    if frailty == Frailty::Dependent {
        return false;
    }
    let per_mille = match age {
        6..=15 => 970,
        16..=18 => 750,
        19..=22 => 400,
        _ => 0,
    };
    rng.chance(per_mille)
}

/// How able a member is to bring income in, relative to a healthy working-age adult (10).
fn earning_capacity(person: &SynthPerson, age: i64) -> u64 {
    if person.student || age < 16 {
        return 0;
    }
    if age >= 70 {
        return 1;
    }
    if age >= 60 {
        return 3;
    }
    match person.disability {
        Some(disability) if disability.level <= 2 => 0,
        Some(_) => 4,
        None if person.serious_illness => 2,
        None => 10,
    }
}

/// Where a household's per-capita income falls against the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Band {
    /// Below the standard: eligible for dibao on income.
    Below,
    /// From the standard to 1.5 times it: 低保边缘.
    Edge,
    /// Above 1.5 times the standard.
    Above,
}

/// Sets each member's income so that the household's per-capita income lands in a band drawn for
/// it, shared among members by their earning capacity.
fn assign_incomes(
    rng: &mut Rng,
    members: &mut [SynthPerson],
    ages: &[i64],
    area: AreaType,
    standard_fen: i64,
) -> Band {
    let bands: &[(Band, u32)] = match area {
        AreaType::Urban => &[(Band::Below, 550), (Band::Edge, 250), (Band::Above, 200)],
        AreaType::Rural => &[(Band::Below, 650), (Band::Edge, 250), (Band::Above, 100)],
    };
    let band = pick(rng, bands, Band::Below);
    let per_mille = match band {
        Band::Below if rng.chance(150) => 0,
        Band::Below => rng.between(50, 950),
        Band::Edge => rng.between(1000, 1499),
        Band::Above => rng.between(1500, 3000),
    };
    let size = members.len() as i64;
    // Whole yuan, as incomes are declared.
    let total_yuan = standard_fen * size * per_mille / 1000 / 100;
    let mut weights: Vec<u64> = members
        .iter()
        .zip(ages)
        .map(|(person, age)| earning_capacity(person, *age) * rng.between(50, 150) as u64)
        .collect();
    if weights.iter().all(|w| *w == 0)
        && let Some(first) = weights.first_mut()
    {
        // Nobody can work: what comes in (support from relatives, small pensions) is the head's.
        *first = 1;
    }
    let weight_sum: u64 = weights.iter().sum();
    let last_earner = weights.iter().rposition(|w| *w > 0).unwrap_or(0);
    let mut given = 0i64;
    for (index, person) in members.iter_mut().enumerate() {
        let yuan = if index == last_earner {
            total_yuan - given
        } else {
            (total_yuan as u128 * u128::from(weights[index]) / u128::from(weight_sum.max(1))) as i64
        };
        given += yuan;
        person.monthly_income_fen = yuan * 100;
    }
    band
}

/// Deposits in yuan: (low, high, weight) per range, for households below the standard and others.
const DEPOSITS_POOR: &[((i64, i64), u32)] = &[
    ((0, 500), 350),
    ((500, 10_000), 450),
    ((10_000, 40_000), 170),
    ((40_000, 150_000), 30),
];
const DEPOSITS_OTHER: &[((i64, i64), u32)] = &[
    ((0, 500), 200),
    ((500, 10_000), 400),
    ((10_000, 40_000), 280),
    ((40_000, 150_000), 120),
];

/// Road-name stems of Chongqing's old and new streets, to give urban addresses local colour.
#[rustfmt::skip]
const ROAD_STEMS: &[&str] = &[
    "和平", "人民", "建设", "新华", "胜利", "民主", "团结", "中山", "解放", "滨江",
    "北城", "南城", "渝州", "大坪", "石桥", "杨家坪", "观音桥", "龙溪", "学府", "文化",
    "兴隆", "长江", "嘉陵", "白龙", "花溪", "黄桷", "桂花", "松林", "梨树", "枣子岚垭",
    "鹅岭", "小龙坎", "天星桥", "石门", "土湾", "磁器口", "双碑", "井口", "凤鸣山", "陈家桥",
    "虎溪", "歇台子", "九龙", "南坪", "弹子石", "龙门浩", "上清寺", "两路口", "沙坪", "新桥",
    "石碾盘", "汉渝", "渝碚", "童家桥", "红岩", "化龙桥", "菜园坝", "朝天门", "五一", "临江",
];
const ROAD_SUFFIXES: &[(&str, u32)] = &[
    ("路", 400),
    ("街", 200),
    ("正街", 100),
    ("一路", 80),
    ("二路", 60),
    ("巷", 80),
    ("大道", 80),
];
/// Roads per urban community.
const ROADS_PER_COMMUNITY: u64 = 4;

/// The community's `k`-th road, the same for every household and seed (drawn from the code).
fn community_road(code: &str, k: u64) -> String {
    let number: u64 = code.parse().unwrap_or(0);
    let mut rng = Rng::new(number).fork(k);
    let stem = *rng.pick(ROAD_STEMS).unwrap_or(&"和平");
    let suffix = pick(&mut rng, ROAD_SUFFIXES, "路");
    format!("{stem}{suffix}")
}

fn address(rng: &mut Rng, community: &Community) -> String {
    match community.area_type {
        AreaType::Urban => {
            let road = community_road(&community.code, rng.below(ROADS_PER_COMMUNITY));
            let number = rng.between(1, 320);
            let mut text = format!("{road}{number}号");
            if rng.chance(150) {
                text.push_str(&format!("附{}号", rng.between(1, 30)));
            }
            if !rng.chance(80) {
                text.push_str(&format!("{}-{}", rng.between(1, 18), rng.between(1, 8)));
            }
            text
        }
        AreaType::Rural => format!("{}组{}号", rng.between(1, 12), rng.between(1, 120)),
    }
}

/// One synthetic household registered in `community`, on `today` (the civil date in China, which
/// also picks the dibao standard the incomes are set against).
///
/// Everything comes from `rng`; ID numbers come from `ids`, which must be shared by every household
/// of a run so that numbers stay unique. Each number passes `IdNumber::parse_strict(_, today)`.
pub fn household(
    rng: &mut Rng,
    community: &Community,
    ids: &mut IdAllocator,
    today: NaiveDate,
) -> Result<SynthHousehold, SynthError> {
    let standard_fen = community.dibao_standard_fen(today)?;
    let drafts = compose(rng, community.area_type);
    let hukou = community.county_on(today).to_string();
    let mut members: Vec<SynthPerson> = Vec::with_capacity(drafts.len());
    let mut ages: Vec<i64> = Vec::with_capacity(drafts.len());
    for draft in &drafts {
        let birth_date = birth_for_age(rng, today, draft.age);
        let mut name = String::with_capacity(draft.surname.len() + 6);
        name.push_str(draft.surname);
        name.push_str(&given_name(rng, draft.sex, birth_date.year()));
        let region = id_region_code(rng, community, birth_date, today);
        let id_number = ids.allocate(region, birth_date, draft.sex)?;
        let disability = draw_disability(rng, draft.age, draft.frailty);
        let serious_illness = draw_illness(rng, draft.age, draft.frailty);
        let student = draw_student(rng, draft.age, draft.frailty);
        members.push(SynthPerson {
            name,
            sex: draft.sex,
            birth_date,
            id_number: id_number.as_str().to_string(),
            relation: draft.relation,
            hukou_region6: hukou.clone(),
            monthly_income_fen: 0,
            disability,
            serious_illness,
            student,
        });
        ages.push(draft.age);
    }
    let band = assign_incomes(rng, &mut members, &ages, community.area_type, standard_fen);
    let deposits = if band == Band::Below {
        DEPOSITS_POOR
    } else {
        DEPOSITS_OTHER
    };
    let (low, high) = pick(rng, deposits, (0, 500));
    let deposits_fen = rng.between(low, high) * 100 + rng.between(0, 99);
    let vehicle_odds: &[(u32, u32)] = match (community.area_type, band) {
        (AreaType::Urban, Band::Above) => &[(0, 900), (1, 90), (2, 10)],
        (AreaType::Urban, _) => &[(0, 950), (1, 45), (2, 5)],
        (AreaType::Rural, Band::Above) => &[(0, 830), (1, 150), (2, 20)],
        (AreaType::Rural, _) => &[(0, 880), (1, 110), (2, 10)],
    };
    let vehicles = pick(rng, vehicle_odds, 0);
    let housing_odds: &[(u32, u32)] = match community.area_type {
        AreaType::Urban => &[(0, 300), (1, 650), (2, 50)],
        AreaType::Rural => &[(0, 50), (1, 900), (2, 50)],
    };
    let housing_units = pick(rng, housing_odds, 1);
    let address = address(rng, community);
    Ok(SynthHousehold {
        region_code: community.code.clone(),
        area_type: community.area_type,
        address,
        members,
        deposits_fen,
        vehicles,
        housing_units,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
    }

    #[test]
    fn birth_for_age_gives_that_age() {
        let mut rng = Rng::new(3);
        for today in [day(2026, 1, 15), day(2028, 2, 29), day(2027, 3, 1)] {
            for age in [0, 1, 17, 60, 98] {
                for _ in 0..200 {
                    let birth = birth_for_age(&mut rng, today, age);
                    let mut years = i64::from(today.year() - birth.year());
                    if (today.month(), today.day()) < (birth.month(), birth.day()) {
                        years -= 1;
                    }
                    assert_eq!(years, age, "{birth} on {today}");
                }
            }
        }
    }

    #[test]
    fn jiangbei_communities_change_county_in_2025() {
        let tree = RegionTree::chongqing();
        let community = Community::from_tree(tree, "500105001001").expect("a community");
        assert_eq!(community.county_on(day(2020, 1, 1)), "500105");
        assert_eq!(community.county_on(day(2025, 11, 6)), "500157");
        let plain = Community::from_tree(tree, "500106001001").expect("a community");
        assert_eq!(plain.county_on(day(2026, 1, 1)), "500106");
    }

    #[test]
    fn roads_are_stable_per_community() {
        assert_eq!(
            community_road("500106001001", 2),
            community_road("500106001001", 2)
        );
    }
}
