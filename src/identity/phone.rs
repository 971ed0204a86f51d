//! Mainland China mobile numbers (11 digits, 1[3-9]…), accepted with or without +86 and separators.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("a mobile number has 11 digits starting with 13 to 19")]
    Format,
}

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let compact: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
        let digits = compact.strip_prefix("+86").or_else(|| compact.strip_prefix("0086")).unwrap_or(&compact);
        let bytes = digits.as_bytes();
        let valid = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if valid { Ok(Self(digits.to_owned())) } else { Err(PhoneError::Format) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// E.164 form for the `phone_number` claim.
    pub fn e164(&self) -> String {
        format!("+86{}", self.0)
    }

    pub fn masked(&self) -> String {
        super::resident_id::mask(&self.0, 3, 4)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_spellings() {
        for input in ["13800138000", "+86 138 0013 8000", "0086-138-0013-8000"] {
            assert_eq!(PhoneNumber::parse(input).unwrap().as_str(), "13800138000");
        }
        assert_eq!(PhoneNumber::parse("13800138000").unwrap().e164(), "+8613800138000");
        assert_eq!(PhoneNumber::parse("13800138000").unwrap().masked(), "138****8000");
    }

    #[test]
    fn refuses_non_mobile_numbers() {
        for input in ["12800138000", "1380013800", "138001380001", "1380013800a", ""] {
            assert_eq!(PhoneNumber::parse(input), Err(PhoneError::Format), "{input}");
        }
    }
}
