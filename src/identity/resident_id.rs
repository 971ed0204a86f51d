//! The 18-character resident identity number (居民身份证号码, GB 11643-1999): 6-digit area code, birth date
//! YYYYMMDD, 3-digit sequence (odd = male) and an ISO 7064 MOD 11-2 check character.

use std::fmt;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

#[derive(Clone, PartialEq, Eq)]
pub struct ResidentId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("a resident ID number has 18 characters, this one has {0}")]
    Length(usize),
    #[error("the first 17 characters of a resident ID number must be digits")]
    NotDigits,
    #[error("the last character must be a digit or X")]
    BadCheckCharacter,
    #[error("the area code {0} is not a valid administrative division")]
    Area(String),
    #[error("the birth date {0} does not exist or is in the future")]
    BirthDate(String),
    #[error("the check character is wrong: expected {expected}, found {found} (is a digit mistyped?)")]
    Checksum { expected: char, found: char },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl ResidentId {
    /// Parses and checks a resident ID number. Surrounding spaces are trimmed and a lower-case `x` is
    /// accepted as `X`. `today` (YYYYMMDD as a number) bounds the birth date.
    pub fn parse(input: &str, today: u32) -> Result<Self, ResidentIdError> {
        let normalized = input.trim().to_ascii_uppercase();
        let count = normalized.chars().count();
        if count != 18 {
            return Err(ResidentIdError::Length(count));
        }
        let bytes = normalized.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err(ResidentIdError::NotDigits);
        }
        let found = bytes[17] as char;
        if !(found.is_ascii_digit() || found == 'X') {
            return Err(ResidentIdError::BadCheckCharacter);
        }
        let area = &normalized[..6];
        if !valid_area(area) {
            return Err(ResidentIdError::Area(area.to_owned()));
        }
        let birth = &normalized[6..14];
        if !valid_birth_date(birth, today) {
            return Err(ResidentIdError::BirthDate(birth.to_owned()));
        }
        let expected = check_character(&bytes[..17]);
        if expected != found {
            return Err(ResidentIdError::Checksum { expected, found });
        }
        Ok(Self(normalized))
    }

    /// Rebuilds a number that was checked when it was stored.
    pub(crate) fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth date as `YYYY-MM-DD`.
    pub fn birth_date(&self) -> String {
        format!("{}-{}-{}", &self.0[6..10], &self.0[10..12], &self.0[12..14])
    }

    pub fn sex(&self) -> Sex {
        let digit = self.0.as_bytes()[16] - b'0';
        if digit % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    /// The form shown on pages: first 3 and last 2 characters.
    pub fn masked(&self) -> String {
        mask(&self.0, 3, 2)
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

pub(crate) fn check_character(first17: &[u8]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(digit, weight)| u32::from(digit - b'0') * weight).sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Province-level codes of GB/T 2260, plus 71 (Taiwan) and 81, 82, 83 (residence permits of Hong Kong,
/// Macao and Taiwan residents).
fn valid_area(area: &str) -> bool {
    const PROVINCES: [&str; 35] = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
        "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83",
    ];
    PROVINCES.contains(&&area[..2])
}

fn valid_birth_date(yyyymmdd: &str, today: u32) -> bool {
    let Ok(number) = yyyymmdd.parse::<u32>() else {
        return false;
    };
    let (year, month, day) = (number / 10_000, number / 100 % 100, number % 100);
    if year < 1850 || number > today || !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= days_in_month
}

/// Keeps `head` leading and `tail` trailing characters and stars the rest.
pub fn mask(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    chars.iter().enumerate().map(|(i, c)| if i < head || i >= chars.len() - tail { *c } else { '*' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: u32 = 20261125;

    #[test]
    fn accepts_the_standard_example() {
        let id = ResidentId::parse("11010519491231002X", TODAY).unwrap();
        assert_eq!(id.birth_date(), "1949-12-31");
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.masked(), "110*************2X");
    }

    #[test]
    fn normalises_lower_case_x_and_spaces() {
        let id = ResidentId::parse(" 11010519491231002x ", TODAY).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn refuses_each_kind_of_mistake_with_its_reason() {
        assert_eq!(ResidentId::parse("1101051949123100", TODAY), Err(ResidentIdError::Length(16)));
        assert_eq!(ResidentId::parse("11010519491231A02X", TODAY), Err(ResidentIdError::NotDigits));
        assert_eq!(
            ResidentId::parse("110105194912310021", TODAY),
            Err(ResidentIdError::Checksum { expected: 'X', found: '1' })
        );
        assert_eq!(ResidentId::parse("110105194902300023", TODAY), Err(ResidentIdError::BirthDate("19490230".into())));
        assert!(matches!(ResidentId::parse("990105194912310021", TODAY), Err(ResidentIdError::Area(_))));
        assert!(matches!(ResidentId::parse("110105203001010011", TODAY), Err(ResidentIdError::BirthDate(_))));
    }

    #[test]
    fn a_single_changed_digit_is_always_caught() {
        let good = "11010519491231002X";
        for position in 14..17 {
            for digit in b'0'..=b'9' {
                let mut bytes = good.as_bytes().to_vec();
                if bytes[position] == digit {
                    continue;
                }
                bytes[position] = digit;
                let candidate = String::from_utf8(bytes).unwrap();
                assert!(ResidentId::parse(&candidate, TODAY).is_err(), "{candidate} passed");
            }
        }
    }

    #[test]
    fn check_character_matches_a_known_male_example() {
        assert_eq!(check_character(b"44030119900307123"), '0');
        assert_eq!(ResidentId::parse("440301199003071230", TODAY).unwrap().sex(), Sex::Male);
    }
}
