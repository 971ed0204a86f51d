//! Short codes that carry a person between online and counter: a person starts a counter visit online and
//! shows the code at the desk; a desk hands a person an activation code to set their own credentials.
//! Eight characters from an alphabet without look-alikes, kept as a digest, single-use, expiring.

use crate::clock::SharedClock;
use crate::store::{Database, StoreError};
use rand::Rng;

const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// Made online; identifies the person at the desk.
    CounterVisit,
    /// Made at the desk; lets the person set a password online.
    Activation,
    /// Made by a platform administrator or hall supervisor; lets a staff member or administrator add a
    /// first passkey with only a password sign-in.
    PasskeyEnrolment,
}

impl CodePurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::CounterVisit => "counter_visit",
            Self::Activation => "activation",
            Self::PasskeyEnrolment => "passkey_enrolment",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CounterCodes {
    db: Database,
    clock: SharedClock,
}

/// A code as people read and type it: XXXX-XXXX, case and dashes ignored on input.
pub fn normalise(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

pub fn display(code: &str) -> String {
    if code.len() == 8 { format!("{}-{}", &code[..4], &code[4..]) } else { code.to_owned() }
}

impl CounterCodes {
    pub fn new(db: Database, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    /// Issues a code for a person, valid for `days`; returns it for display (XXXX-XXXX).
    pub async fn issue(&self, person_id: &str, purpose: CodePurpose, days: i64) -> Result<String, StoreError> {
        self.issue_for_secs(person_id, purpose, days * 86_400).await
    }

    /// Issues a code for a person, valid for `secs`; returns it for display (XXXX-XXXX).
    pub async fn issue_for_secs(&self, person_id: &str, purpose: CodePurpose, secs: i64) -> Result<String, StoreError> {
        let code: String = {
            let mut rng = rand::thread_rng();
            (0..8).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
        };
        let now = self.clock.now();
        self.db.insert_counter_code(&digest(&code), person_id, purpose.as_str(), now, now + secs).await?;
        Ok(display(&code))
    }

    /// The person behind a live code, without using it up.
    pub async fn holder(&self, code: &str, purpose: CodePurpose) -> Result<Option<String>, StoreError> {
        self.db.find_counter_code(&digest(&normalise(code)), purpose.as_str(), self.clock.now()).await
    }

    /// Uses a code up; false if it was already used.
    pub async fn consume(&self, code: &str) -> Result<bool, StoreError> {
        self.db.use_counter_code(&digest(&normalise(code)), self.clock.now()).await
    }

    /// Makes a code used by [`consume`](Self::consume) live again (when what it was used for failed).
    pub async fn release(&self, code: &str) -> Result<(), StoreError> {
        self.db.release_counter_code(&digest(&normalise(code))).await
    }
}

fn digest(normalised: &str) -> String {
    crate::crypto::token_digest(&format!("counter-code:{normalised}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_read_the_same_however_typed() {
        assert_eq!(super::normalise("abcd-2345"), "ABCD2345");
        assert_eq!(super::display("ABCD2345"), "ABCD-2345");
    }
}
