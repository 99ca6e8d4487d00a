//! The resident identity card number of GB 11643-1999: 6-digit region code,
//! 8-digit birth date, 3-digit sequence (odd for men, even for women) and an
//! ISO 7064 MOD 11-2 check character. An [`IdCardNumber`] cannot hold an invalid one.

use chrono::NaiveDate;
use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdCardNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdCardError {
    #[error("身份证号应为18位，现为{0}位")]
    Length(usize),
    #[error("身份证号前17位应全为数字，第18位为数字或X")]
    Characters,
    #[error("身份证号前两位“{0}”不是有效的省级行政区划代码")]
    Region(String),
    #[error("身份证号第7至14位“{0}”不是有效的出生日期")]
    BirthDate(String),
    #[error("身份证号校验位不符（应为{expected}），请核对号码是否抄错")]
    Checksum { expected: char },
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// Province-level codes of GB/T 2260 (71 Taiwan, 81 Hong Kong, 82 Macao included).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

/// The check character for the first 17 digits.
pub fn check_char(first17: &str) -> char {
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

impl IdCardNumber {
    pub fn parse(raw: &str) -> Result<IdCardNumber, IdCardError> {
        let s: String = raw.trim().to_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(IdCardError::Length(n));
        }
        let bytes = s.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) || !(bytes[17].is_ascii_digit() || bytes[17] == b'X') {
            return Err(IdCardError::Characters);
        }
        if !PROVINCES.contains(&&s[..2]) {
            return Err(IdCardError::Region(s[..2].to_string()));
        }
        let birth = &s[6..14];
        let date = NaiveDate::parse_from_str(birth, "%Y%m%d").map_err(|_| IdCardError::BirthDate(birth.into()))?;
        if date.year_ce().1 < 1900 || date > chrono::Utc::now().date_naive() {
            return Err(IdCardError::BirthDate(birth.into()));
        }
        let expected = check_char(&s[..17]);
        if bytes[17] as char != expected {
            return Err(IdCardError::Checksum { expected });
        }
        Ok(IdCardNumber(s))
    }

    /// Builds a valid number from a region, birth date and sequence (demo data, tests).
    pub fn build(region: u32, birth: NaiveDate, sequence: u32) -> IdCardNumber {
        let first17 = format!("{:06}{}{:03}", region, birth.format("%Y%m%d"), sequence % 1000);
        let c = check_char(&first17);
        IdCardNumber(format!("{first17}{c}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("validated at construction")
    }
    /// `true` for men: the 17th digit is odd.
    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }
    /// `110101********1234`-style mask for lists.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

use chrono::Datelike;

/// `110101********1234`: the region and the last 4 kept. Counted in characters, so text that
/// is not a valid number (full-width digits typed with a Chinese input method) masks instead of
/// panicking on a byte index inside a character (found by `fuzz/run.sh`, target id_card).
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}********{tail}")
}

pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Masks every phone or ID number written inside free text before it is published: a run of 7
/// or more digits (single spaces or dashes between groups allowed, an ID's final X included)
/// keeps only what a masked list shows — an 11-digit mobile its first 3 and last 4 digits, an ID
/// number its region and last 4, anything else its last 4.
pub fn mask_numbers_in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, with single separators between digits, and an X closing 17 digits.
        let start = i;
        let mut digits = String::new();
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_digit() {
                digits.push(c);
                i += 1;
            } else if matches!(c, ' ' | '-') && i + 1 < chars.len() && chars[i + 1].is_ascii_digit() && !digits.is_empty() {
                i += 1;
            } else if matches!(c, 'X' | 'x') && digits.len() == 17 {
                digits.push('X');
                i += 1;
                break;
            } else {
                break;
            }
        }
        if digits.len() < 7 {
            out.extend(&chars[start..i]);
        } else if digits.len() == 11 && digits.starts_with('1') {
            out.push_str(&mask_phone(&digits));
        } else if digits.len() == 18 || digits.len() == 15 {
            out.push_str(&mask_id_number(&digits));
        } else {
            out.push_str(&"*".repeat(digits.len() - 4));
            out.push_str(&digits[digits.len() - 4..]);
        }
    }
    out
}

impl fmt::Debug for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNumber({})", self.masked())
    }
}

impl fmt::Display for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_standard_example() {
        // The worked example of GB 11643-1999 annex A.
        let id = IdCardNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert!(!id.is_male());
        assert_eq!(IdCardNumber::parse("11010519491231002x").unwrap().as_str(), "11010519491231002X");
        assert!(IdCardNumber::parse("440524188001010014").is_err()); // born before 1900
    }

    #[test]
    fn refuses_each_kind_of_mistake() {
        assert_eq!(IdCardNumber::parse("1101051949123100"), Err(IdCardError::Length(16)));
        assert_eq!(IdCardNumber::parse("11010519491231002A"), Err(IdCardError::Characters));
        assert_eq!(IdCardNumber::parse("99010519491231002X"), Err(IdCardError::Region("99".into())));
        assert!(matches!(IdCardNumber::parse("110105194902300025"), Err(IdCardError::BirthDate(_))));
        assert_eq!(IdCardNumber::parse("110105194912310021"), Err(IdCardError::Checksum { expected: 'X' }));
    }

    #[test]
    fn built_numbers_round_trip() {
        let birth = NaiveDate::from_ymd_opt(1985, 2, 28).unwrap();
        for seq in [1, 2, 999] {
            let id = IdCardNumber::build(140781, birth, seq);
            let parsed = IdCardNumber::parse(id.as_str()).unwrap();
            assert_eq!(parsed.birth_date(), birth);
            assert_eq!(parsed.is_male(), seq % 2 == 1);
        }
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id_number("11010519491231002X"), "110105********002X");
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }

    /// Regression (fuzz target id_card): full-width digits used to panic the mask.
    #[test]
    fn masks_text_that_is_not_ascii() {
        assert_eq!(mask_id_number("1407811975060100１６"), "140781********00１６");
        assert_eq!(mask_id_number("１４０７８１"), "******");
        assert!(IdCardNumber::parse("1407811975060100１６").is_err());
    }
}

#[cfg(test)]
mod mask_text_tests {
    use super::mask_numbers_in_text as m;

    #[test]
    fn numbers_in_text_are_masked() {
        assert_eq!(m("请联系13812345678王阿姨"), "请联系138****5678王阿姨");
        assert_eq!(m("电话 138-1234-5678。"), "电话 138****5678。");
        assert_eq!(m("身份证14078119850202003X号"), "身份证140781********003X号");
        assert_eq!(m("座机0351-7654321"), "座机*******4321");
        assert_eq!(m("3号楼101室，2026年11月"), "3号楼101室，2026年11月");
        assert_eq!(m("共123456户"), "共123456户");
    }
}

