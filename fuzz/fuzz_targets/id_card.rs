//! The 公民身份号码 parser and the masks on arbitrary text. Invariants: no panic; a parsed
//! number is 18 ASCII characters with a correct check character and a real birth date, parses
//! back to itself, and its mask hides the birth date; masks keep lengths sensible.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yinghuo::members::id_card::{check_char, mask_id_number, mask_phone, IdCardNumber};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = mask_phone(&s);
    let _ = mask_id_number(&s);
    if let Ok(id) = IdCardNumber::parse(&s) {
        let t = id.as_str();
        assert_eq!(t.len(), 18);
        assert!(t[..17].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(t.as_bytes()[17] as char, check_char(&t[..17]));
        assert_eq!(IdCardNumber::parse(t).as_ref(), Ok(&id));
        assert_eq!(t.trim(), s.trim().to_uppercase());
        let birth = id.birth_date();
        assert_eq!(birth.format("%Y%m%d").to_string(), &t[6..14]);
        let _ = id.is_male();
        assert_eq!(id.masked(), format!("{}********{}", &t[..6], &t[14..]));
    }
});
