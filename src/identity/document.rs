//! Identity documents: the resident ID number, checked in full, and the other documents people in the
//! city hold (Hong Kong/Macao and Taiwan travel permits, passports, foreign permanent residence cards),
//! format-checked.

use super::resident_id::{ResidentId, ResidentIdError, Sex, check_character, mask};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    ResidentId,
    HkMacaoPermit,
    TaiwanPermit,
    Passport,
    ForeignPermanentResidence,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 5] =
        [Self::ResidentId, Self::HkMacaoPermit, Self::TaiwanPermit, Self::Passport, Self::ForeignPermanentResidence];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResidentId => "resident_id",
            Self::HkMacaoPermit => "hk_macao_permit",
            Self::TaiwanPermit => "taiwan_permit",
            Self::Passport => "passport",
            Self::ForeignPermanentResidence => "foreign_permanent_residence",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    ResidentId(#[from] ResidentIdError),
    #[error("{0}")]
    Format(&'static str),
}

#[derive(Clone, PartialEq, Eq)]
pub struct IdDocument {
    kind: DocumentKind,
    number: String,
}

impl IdDocument {
    /// Parses a document number of the given kind. `today` (YYYYMMDD) bounds resident ID birth dates.
    pub fn parse(kind: DocumentKind, input: &str, today: u32) -> Result<Self, DocumentError> {
        let number: String =
            input.trim().chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let bytes = number.as_bytes();
        let digits =
            |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|part| part.iter().all(u8::is_ascii_digit));
        let valid = match kind {
            DocumentKind::ResidentId => return Ok(Self::from_resident_id(ResidentId::parse(input, today)?)),
            // 港澳居民来往内地通行证: H or M, then 8 digits and, since 2013, a 2-digit issue count.
            DocumentKind::HkMacaoPermit => {
                matches!(bytes.first(), Some(b'H' | b'M'))
                    && (bytes.len() == 9 || bytes.len() == 11)
                    && digits(1..bytes.len())
            }
            // 台湾居民来往大陆通行证: 8 digits (older books: 10).
            DocumentKind::TaiwanPermit => (bytes.len() == 8 || bytes.len() == 10) && digits(0..bytes.len()),
            DocumentKind::Passport => (5..=17).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_alphanumeric),
            // 外国人永久居留身份证: since 2023 18 characters starting with 9 and checked like a resident ID;
            // the 2017 card has 3 letters of nationality and 12 digits.
            DocumentKind::ForeignPermanentResidence => match bytes.len() {
                18 => bytes[0] == b'9' && digits(0..17) && check_character(&bytes[..17]) == bytes[17] as char,
                15 => bytes[..3].iter().all(u8::is_ascii_uppercase) && digits(3..15),
                _ => false,
            },
        };
        if !valid {
            return Err(DocumentError::Format(match kind {
                DocumentKind::ResidentId => unreachable!("handled above"),
                DocumentKind::HkMacaoPermit => "a Hong Kong/Macao permit number is H or M followed by 8 or 10 digits",
                DocumentKind::TaiwanPermit => "a Taiwan permit number has 8 (older permits: 10) digits",
                DocumentKind::Passport => "a passport number has 5 to 17 letters and digits",
                DocumentKind::ForeignPermanentResidence => {
                    "a permanent residence card number has 18 characters starting with 9 (or 3 letters and 12 digits)"
                }
            }));
        }
        Ok(Self { kind, number })
    }

    pub fn from_resident_id(id: ResidentId) -> Self {
        Self { kind: DocumentKind::ResidentId, number: id.as_str().to_owned() }
    }

    /// Rebuilds a document that was checked when it was stored.
    pub(crate) fn from_stored(kind: DocumentKind, number: String) -> Self {
        Self { kind, number }
    }

    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    pub fn resident_id(&self) -> Option<ResidentId> {
        (self.kind == DocumentKind::ResidentId).then(|| ResidentId::from_stored(self.number.clone()))
    }

    pub fn birth_date(&self) -> Option<String> {
        self.resident_id().map(|id| id.birth_date())
    }

    pub fn sex(&self) -> Option<Sex> {
        self.resident_id().map(|id| id.sex())
    }

    pub fn masked(&self) -> String {
        let keep = if self.number.len() > 8 { 3 } else { 1 };
        mask(&self.number, keep, 2)
    }
}

impl fmt::Debug for IdDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdDocument({}, {})", self.kind.as_str(), self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: u32 = 20261125;

    #[test]
    fn checks_each_kind() {
        assert_eq!(
            IdDocument::parse(DocumentKind::ResidentId, "11010519491231002x", TODAY).unwrap().number(),
            "11010519491231002X"
        );
        assert!(IdDocument::parse(DocumentKind::HkMacaoPermit, "H12345678", TODAY).is_ok());
        assert!(IdDocument::parse(DocumentKind::HkMacaoPermit, "m1234567801", TODAY).is_ok());
        assert!(IdDocument::parse(DocumentKind::HkMacaoPermit, "X12345678", TODAY).is_err());
        assert!(IdDocument::parse(DocumentKind::TaiwanPermit, "12345678", TODAY).is_ok());
        assert!(IdDocument::parse(DocumentKind::TaiwanPermit, "1234567", TODAY).is_err());
        assert!(IdDocument::parse(DocumentKind::Passport, "E12345678", TODAY).is_ok());
        assert!(IdDocument::parse(DocumentKind::Passport, "E1-2345", TODAY).is_err());
        assert!(IdDocument::parse(DocumentKind::ForeignPermanentResidence, "USA110101200001", TODAY).is_ok());
        let first17 = "93611019900101123";
        let valid = format!("{first17}{}", check_character(first17.as_bytes()));
        assert!(IdDocument::parse(DocumentKind::ForeignPermanentResidence, &valid, TODAY).is_ok());
        assert!(
            IdDocument::parse(DocumentKind::ForeignPermanentResidence, "936110199001011230", TODAY).is_err()
                || valid.ends_with('0')
        );
    }

    #[test]
    fn only_resident_ids_yield_birth_date_and_sex() {
        let resident = IdDocument::parse(DocumentKind::ResidentId, "11010519491231002X", TODAY).unwrap();
        assert_eq!(resident.birth_date().as_deref(), Some("1949-12-31"));
        let passport = IdDocument::parse(DocumentKind::Passport, "E12345678", TODAY).unwrap();
        assert_eq!(passport.birth_date(), None);
        assert_eq!(passport.masked(), "E12****78");
    }
}
