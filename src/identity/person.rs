//! A natural person's account: who they are (name, identity document), how to reach them (phone), and
//! its state. Personal numbers are decrypted only into these types, which mask themselves when printed.

use super::document::{DocumentKind, IdDocument};
use super::phone::PhoneNumber;
use crate::crypto::Keyring;
use crate::store::people::PersonRow;

pub const FIELD_ID_NUMBER: &str = "person.id_number";
pub const FIELD_PHONE: &str = "person.phone";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonStatus {
    Active,
    Disabled,
    /// The person asked to close the account; it can be reopened until `close_after`.
    Closing,
    /// Personal data erased; only the audit trail remains.
    Closed,
}

impl PersonStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Closing => "closing",
            Self::Closed => "closed",
        }
    }

    pub fn parse(value: &str) -> Self {
        match value {
            "active" => Self::Active,
            "closing" => Self::Closing,
            "closed" => Self::Closed,
            _ => Self::Disabled,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub document: IdDocument,
    pub phone: Option<PhoneNumber>,
    pub phone_verified: bool,
    pub status: PersonStatus,
    pub password_hash: Option<String>,
    pub close_after: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name may have at most 64 characters")]
    TooLong,
    #[error("the name contains characters that cannot appear in a name")]
    Characters,
}

/// A person's name as on their identity document: trimmed, 1–64 characters, no control characters.
pub fn parse_name(input: &str) -> Result<String, NameError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.chars().count() > 64 {
        return Err(NameError::TooLong);
    }
    if name.chars().any(|c| c.is_control() || matches!(c, '<' | '>' | '"' | '\\')) {
        return Err(NameError::Characters);
    }
    Ok(name.to_owned())
}

impl Person {
    /// What others may know about the person, which their password must not contain.
    pub fn facts(&self) -> super::password_context::PersonalFacts<'_> {
        super::password_context::PersonalFacts {
            name: &self.name,
            document_number: Some(self.document.number()),
            phone: self.phone.as_ref().map(|p| p.as_str()),
        }
    }

    pub fn from_row(row: PersonRow, keyring: &Keyring) -> Result<Self, crate::crypto::CryptoError> {
        let number = keyring.decrypt_pii(FIELD_ID_NUMBER, &row.id_number_enc)?;
        let kind = DocumentKind::parse(&row.id_type).unwrap_or(DocumentKind::Passport);
        let phone = row.phone_enc.as_deref().map(|enc| keyring.decrypt_pii(FIELD_PHONE, enc)).transpose()?;
        Ok(Self {
            id: row.id,
            name: row.name,
            document: IdDocument::from_stored(kind, number),
            phone: phone.and_then(|p| PhoneNumber::parse(&p).ok()),
            phone_verified: row.phone_verified,
            status: PersonStatus::parse(&row.status),
            password_hash: row.password_hash,
            close_after: row.close_after,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    pub fn is_active(&self) -> bool {
        self.status == PersonStatus::Active
    }

    /// Active accounts sign in; so do closing ones, so that the person can still cancel the closure.
    pub fn can_sign_in(&self) -> bool {
        matches!(self.status, PersonStatus::Active | PersonStatus::Closing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(parse_name("  张三 ").unwrap(), "张三");
        assert_eq!(parse_name("买买提·艾力").unwrap(), "买买提·艾力");
        assert_eq!(parse_name(" "), Err(NameError::Empty));
        assert_eq!(parse_name("a\u{0}b"), Err(NameError::Characters));
        assert_eq!(parse_name(&"长".repeat(65)), Err(NameError::TooLong));
    }
}
