//! Authentication method references (RFC 8176): how a sign-in was proved, as recorded in the login
//! session, the grant and the `amr` claim. Stored and sent as their RFC names.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Amr {
    /// A password.
    Pwd,
    /// A code sent by SMS to the account's phone.
    Sms,
    /// A one-time code handed over at the counter (activation).
    Otp,
    /// A passkey on a roaming security key.
    Hwk,
    /// A passkey on the device itself, or synced.
    Swk,
    /// Two factors were shown.
    Mfa,
    /// An upstream platform vouched for the person (federation).
    Fed,
}

impl Amr {
    pub const ALL: [Amr; 7] = [Amr::Pwd, Amr::Sms, Amr::Otp, Amr::Hwk, Amr::Swk, Amr::Mfa, Amr::Fed];

    pub fn as_str(self) -> &'static str {
        match self {
            Amr::Pwd => "pwd",
            Amr::Sms => "sms",
            Amr::Otp => "otp",
            Amr::Hwk => "hwk",
            Amr::Swk => "swk",
            Amr::Mfa => "mfa",
            Amr::Fed => "fed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|amr| amr.as_str() == text)
    }

    /// A passkey, which proves two factors by itself (something held, and something known or been).
    pub fn is_passkey(self) -> bool {
        matches!(self, Amr::Hwk | Amr::Swk)
    }
}

/// The methods as stored: their names, separated by spaces.
pub fn join(methods: &[Amr]) -> String {
    methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(" ")
}

/// Stored methods read back. Only yimen writes them, so a name it does not know is skipped (and logged)
/// rather than failing the login it belongs to.
pub fn split(stored: &str) -> Vec<Amr> {
    stored
        .split(' ')
        .filter(|name| !name.is_empty())
        .filter_map(|name| {
            let method = Amr::parse(name);
            if method.is_none() {
                tracing::warn!(method = name, "an unknown authentication method was stored; ignored");
            }
            method
        })
        .collect()
}

/// Whether the methods prove two factors: a second factor was shown, or a passkey was used.
pub fn proves_two_factors(methods: &[Amr]) -> bool {
    methods.iter().any(|m| *m == Amr::Mfa || m.is_passkey())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_keep_their_rfc_names_through_storage_and_json() {
        for method in Amr::ALL {
            assert_eq!(Amr::parse(method.as_str()), Some(method));
            assert_eq!(serde_json::to_value(method).unwrap(), method.as_str());
        }
        assert_eq!(split(&join(&[Amr::Pwd, Amr::Sms, Amr::Mfa])), [Amr::Pwd, Amr::Sms, Amr::Mfa]);
        assert_eq!(split(" pwd  face "), [Amr::Pwd], "unknown names are skipped");
    }

    #[test]
    fn two_factors_are_a_second_factor_or_a_passkey() {
        assert!(proves_two_factors(&[Amr::Pwd, Amr::Sms, Amr::Mfa]));
        assert!(proves_two_factors(&[Amr::Hwk]));
        assert!(proves_two_factors(&[Amr::Swk]));
        assert!(!proves_two_factors(&[Amr::Pwd]));
        assert!(!proves_two_factors(&[Amr::Sms]));
    }
}
