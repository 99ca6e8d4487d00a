//! Closed vocabularies (org kinds, statuses, education…): each value has a stable
//! code used in the API and the database, and a Chinese label used in the UI and
//! in spreadsheets. Parsing accepts either.

#[macro_export]
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            /// Accepts the code or the Chinese label.
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                match s {
                    $($code | $label => Some($name::$variant),)+
                    _ => None,
                }
            }
            /// The accepted labels, for error messages.
            pub fn labels() -> String {
                [$($label),+].join("、")
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::custom(format!(
                    "无效的取值“{}”，可选：{}", s, $name::labels())))
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

/// A rule's verdict as the API and pages show it: stable code, label, the message with its
/// records and dates, the rule with its source, and the first day it holds.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FlagView {
    pub code: String,
    pub label: String,
    pub message: String,
    /// The rule and its source.
    pub rule: String,
    pub since: Option<String>,
}
