//! The Unified Social Credit Code (统一社会信用代码, GB 32100-2015) that identifies a legal person: 18
//! characters from a 31-character alphabet with a MOD 31 check character.

use std::fmt;

const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Uscc(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("a Unified Social Credit Code has 18 characters, this one has {0}")]
    Length(usize),
    #[error("'{0}' cannot appear in a Unified Social Credit Code (I, O, S, V and Z are never used)")]
    Character(char),
    #[error("characters 3 to 8 are the area code and must be digits")]
    Area,
    #[error("the check character is wrong: expected {expected}, found {found}")]
    Checksum { expected: char, found: char },
}

impl Uscc {
    pub fn parse(input: &str) -> Result<Self, UsccError> {
        let normalized = input.trim().to_ascii_uppercase();
        let count = normalized.chars().count();
        if count != 18 {
            return Err(UsccError::Length(count));
        }
        let mut values = Vec::with_capacity(18);
        for c in normalized.chars() {
            values.push(ALPHABET.find(c).ok_or(UsccError::Character(c))? as u32);
        }
        if !normalized[2..8].bytes().all(|b| b.is_ascii_digit()) {
            return Err(UsccError::Area);
        }
        let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
        let expected_value = (31 - sum % 31) % 31;
        let expected = ALPHABET.as_bytes()[expected_value as usize] as char;
        let found = normalized.as_bytes()[17] as char;
        if expected != found {
            return Err(UsccError::Checksum { expected, found });
        }
        Ok(Self(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Registration authority (1st character): 1 government bodies, 5 civil affairs, 9 market regulation, …
    pub fn registration_authority(&self) -> char {
        self.0.as_bytes()[0] as char
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.0)
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_standard_example_and_real_shapes() {
        assert_eq!(Uscc::parse("91350100M000100Y43").unwrap().as_str(), "91350100M000100Y43");
        assert_eq!(Uscc::parse("91110000600037341l").unwrap().as_str(), "91110000600037341L");
        assert_eq!(Uscc::parse("91440300MA5DCK8Y1P").unwrap().registration_authority(), '9');
    }

    #[test]
    fn refuses_with_reasons() {
        assert_eq!(Uscc::parse("91350100M000100Y4"), Err(UsccError::Length(17)));
        assert_eq!(Uscc::parse("91350100M000100Y4O"), Err(UsccError::Character('O')));
        assert_eq!(Uscc::parse("91A50100M000100Y43"), Err(UsccError::Area));
        assert_eq!(Uscc::parse("91350100M000100Y44"), Err(UsccError::Checksum { expected: '3', found: '4' }));
    }
}
