//! 主题党日 required items: a county's checklist of 规定动作 (all required) and
//! 自选动作 (choose at least N), and whether a meeting's ticked items satisfy it.
//! Pure: no database, no HTTP.

use serde::{Deserialize, Serialize};

/// Where the default checklist comes from.
pub const SOURCE_DEFAULT: &str =
    "晋城市《关于健全完善党支部主题党日长效机制的实施意见》“6+”模式（DOMAIN.md §4，seed 004）：\
     重温入党誓词、诵读党章、交纳党费、观看警示教育片、传达学习，另加民主议事等自选内容";

/// The longest item name and the most items a list may hold.
pub const MAX_ITEM_CHARS: usize = 30;
pub const MAX_ITEMS: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Checklist {
    /// The pattern's name as the county calls it: "6+", "3+2"…
    pub name: String,
    /// 规定动作: every one must be done.
    pub required: Vec<String>,
    /// 自选动作: the branch chooses.
    pub optional: Vec<String>,
    /// How many of the optional items must be done ("3+2": 2).
    pub min_optional: u32,
}

impl Default for Checklist {
    /// The "6+" pattern of seed 004: five fixed items plus one chosen from the rest.
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        Checklist {
            name: "6+".into(),
            required: s(&["重温入党誓词", "诵读党章", "交纳党费", "观看警示教育片", "传达学习"]),
            optional: s(&["民主议事", "公开办事", "志愿服务", "党员承诺践诺", "主题研讨"]),
            min_optional: 1,
        }
    }
}

/// Why a checklist cannot be saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecklistError(pub String);

impl Checklist {
    /// Trims names, drops blank ones, and refuses duplicates, over-long names and impossible counts.
    pub fn normalized(mut self) -> Result<Checklist, ChecklistError> {
        let clean = |v: Vec<String>| v.into_iter().map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect::<Vec<_>>();
        self.name = self.name.trim().to_string();
        self.required = clean(self.required);
        self.optional = clean(self.optional);
        if self.name.is_empty() || self.name.chars().count() > MAX_ITEM_CHARS {
            return Err(ChecklistError(format!("请填写模式名称（如“6+”“3+2”，不超过{MAX_ITEM_CHARS}字）")));
        }
        if self.required.is_empty() {
            return Err(ChecklistError("至少要有一项规定动作".into()));
        }
        if self.required.len() + self.optional.len() > MAX_ITEMS {
            return Err(ChecklistError(format!("规定动作和自选动作合计不超过{MAX_ITEMS}项")));
        }
        let all: Vec<&String> = self.required.iter().chain(&self.optional).collect();
        for (i, x) in all.iter().enumerate() {
            if x.chars().count() > MAX_ITEM_CHARS {
                return Err(ChecklistError(format!("“{x}”过长：每项不超过{MAX_ITEM_CHARS}字")));
            }
            if all[..i].contains(x) {
                return Err(ChecklistError(format!("“{x}”重复出现")));
            }
        }
        if self.min_optional as usize > self.optional.len() {
            return Err(ChecklistError(format!("自选动作只有{}项，不能要求至少完成{}项", self.optional.len(), self.min_optional)));
        }
        Ok(self)
    }

    /// Judges the items a meeting ticked.
    pub fn check(&self, done: &[String]) -> Verdict {
        let missing_required: Vec<String> = self.required.iter().filter(|x| !done.contains(x)).cloned().collect();
        let optional_done = self.optional.iter().filter(|x| done.contains(x)).count() as u32;
        let optional_short = self.min_optional.saturating_sub(optional_done);
        let complete = missing_required.is_empty() && optional_short == 0;
        let explanation = if complete {
            format!("符合“{}”要求：{}项规定动作全部完成，自选动作完成{}项（至少{}项）", self.name, self.required.len(), optional_done, self.min_optional)
        } else {
            let mut parts = Vec::new();
            if !missing_required.is_empty() {
                parts.push(format!("缺少规定动作：{}", missing_required.join("、")));
            }
            if optional_short > 0 {
                parts.push(format!("自选动作完成{}项，至少须{}项（可选：{}）", optional_done, self.min_optional, self.optional.join("、")));
            }
            format!("未达到“{}”要求：{}", self.name, parts.join("；"))
        };
        Verdict { complete, missing_required, optional_done, explanation }
    }

    /// Items ticked that are not on the list (kept; shown as extra).
    pub fn unknown<'a>(&self, done: &'a [String]) -> Vec<&'a String> {
        done.iter().filter(|x| !self.required.contains(x) && !self.optional.contains(x)).collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Verdict {
    pub complete: bool,
    pub missing_required: Vec<String>,
    pub optional_done: u32,
    pub explanation: String,
}

/// Stored as one item per line.
pub fn join(items: &[String]) -> String {
    items.join("\n")
}

pub fn split(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|x| x.to_string()).collect()
    }

    fn three_plus_two() -> Checklist {
        Checklist { name: "3+2".into(), required: v(&["重温入党誓词", "交纳党费", "传达学习"]), optional: v(&["民主议事", "志愿服务", "主题研讨"]), min_optional: 2 }
    }

    #[test]
    fn default_is_valid() {
        assert!(Checklist::default().normalized().is_ok());
    }

    #[test]
    fn all_required_and_enough_optional_is_complete() {
        let c = three_plus_two();
        let r = c.check(&v(&["重温入党誓词", "交纳党费", "传达学习", "民主议事", "志愿服务"]));
        assert!(r.complete, "{}", r.explanation);
        assert_eq!(r.optional_done, 2);
    }

    #[test]
    fn one_optional_short_is_incomplete_and_says_so() {
        let c = three_plus_two();
        let r = c.check(&v(&["重温入党誓词", "交纳党费", "传达学习", "民主议事"]));
        assert!(!r.complete);
        assert!(r.explanation.contains("自选动作完成1项，至少须2项"), "{}", r.explanation);
    }

    #[test]
    fn missing_required_is_named() {
        let c = three_plus_two();
        let r = c.check(&v(&["重温入党誓词", "传达学习", "民主议事", "志愿服务", "主题研讨"]));
        assert!(!r.complete);
        assert_eq!(r.missing_required, v(&["交纳党费"]));
        assert!(r.explanation.contains("缺少规定动作：交纳党费"));
    }

    #[test]
    fn normalization_refuses_bad_lists() {
        let mut c = three_plus_two();
        c.min_optional = 4;
        assert!(c.normalized().unwrap_err().0.contains("不能要求至少完成4项"));
        let mut c = three_plus_two();
        c.optional.push("交纳党费".into());
        assert!(c.normalized().unwrap_err().0.contains("重复"));
        let mut c = three_plus_two();
        c.required = v(&["  ", ""]);
        assert!(c.normalized().unwrap_err().0.contains("至少要有一项规定动作"));
        let c = Checklist { name: " 3+2 ".into(), required: v(&[" 交纳党费 "]), optional: vec![], min_optional: 0 };
        let n = c.normalized().unwrap();
        assert_eq!((n.name.as_str(), n.required[0].as_str()), ("3+2", "交纳党费"));
    }

    #[test]
    fn lines_round_trip() {
        let items = v(&["a", "b"]);
        assert_eq!(split(&join(&items)), items);
        assert!(split("").is_empty());
    }

    #[test]
    fn unknown_items_are_listed() {
        let c = three_plus_two();
        let done = v(&["交纳党费", "参观展览"]);
        assert_eq!(c.unknown(&done), vec![&"参观展览".to_string()]);
    }
}
