//! A password must not be made of what others know about its owner: their phone number, identity
//! document number or a run of six of its characters, their birth date, or their name. These are the
//! first guesses of anyone who has seen the person's documents, so they are refused outright; the rest of
//! the password is then scored by zxcvbn with the same facts as its "user inputs", which catches them in
//! disguise (reversed, with substitutions) and refuses what it rates as too guessable.

use super::password::{PasswordPolicyError, check_policy};

/// What is known about the person who chooses the password. Never logged.
pub struct PersonalFacts<'a> {
    pub name: &'a str,
    pub document_number: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// zxcvbn's scale: 0 (too guessable) to 4; a password must reach this.
const MIN_SCORE: u8 = 2;
/// A run of this many characters of the phone or document number is already "a part of it".
const RUN: usize = 6;

/// Checks a new password against the policy and against what is known about its owner.
pub fn check_password_for(password: &str, facts: &PersonalFacts<'_>) -> Result<(), PasswordPolicyError> {
    check_policy(password)?;
    let compact: String = password.chars().filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '/')).collect();
    let upper = compact.to_uppercase();
    for number in [facts.document_number, facts.phone].into_iter().flatten() {
        let number = number.to_uppercase();
        let chars: Vec<char> = number.chars().collect();
        if chars.len() >= RUN && chars.windows(RUN).any(|run| upper.contains(&run.iter().collect::<String>())) {
            return Err(PasswordPolicyError::PersonalInfo);
        }
    }
    let birth = facts.document_number.and_then(birth_date);
    if let Some(birth) = &birth
        && (upper.contains(birth.as_str()) || upper.contains(&birth[2..]))
    {
        return Err(PasswordPolicyError::PersonalInfo);
    }
    let name = facts.name.trim();
    if name.chars().count() >= 2 && password.contains(name) {
        return Err(PasswordPolicyError::PersonalInfo);
    }
    let mut inputs: Vec<&str> = vec![name];
    inputs.extend(facts.document_number);
    inputs.extend(facts.phone);
    if let Some(birth) = &birth {
        inputs.push(birth);
    }
    let score = u8::from(zxcvbn::zxcvbn(password, &inputs).score());
    if score < MIN_SCORE {
        return Err(PasswordPolicyError::TooGuessable);
    }
    Ok(())
}

/// YYYYMMDD from an 18-character resident ID number (GB 11643), where it sits at characters 7 to 14.
fn birth_date(document_number: &str) -> Option<String> {
    let digits = document_number.get(6..14)?;
    (document_number.len() == 18 && digits.chars().all(|c| c.is_ascii_digit())).then(|| digits.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: PersonalFacts<'static> =
        PersonalFacts { name: "张三", document_number: Some("11010519491231002X"), phone: Some("13800138000") };

    #[test]
    fn what_others_know_is_refused() {
        for password in [
            "my-13800138000-pw",
            "lantern-38001380",
            "11010519491231002x!",
            "quilt-231002X-harbour",
            "harbour-19491231-quilt",
            "harbour-491231-quilt",
            "张三的密码很长很长啊",
        ] {
            assert_eq!(check_password_for(password, &FACTS), Err(PasswordPolicyError::PersonalInfo), "{password}");
        }
    }

    #[test]
    fn guessable_ones_are_refused_and_strong_ones_pass() {
        assert_eq!(check_password_for("aaaaaaaaaaaa", &FACTS), Err(PasswordPolicyError::TooGuessable));
        assert!(check_password_for("lantern-quilt-harbour-9", &FACTS).is_ok());
        assert!(check_password_for("copper-meadow-lantern-4", &FACTS).is_ok());
    }
}
