//! Password checks, throttled. Every attempt is counted against the account it names before the
//! password is looked at — whichever way the identifier was typed (`+86 135-0000-0033`, `0086…`, the ID
//! number), it reaches the one account and its one counter — so that parallel guesses cannot overtake the
//! count, with growing delays and then a lockout that behave the same whether or not the account exists.
//! Failures are also counted per client address (an IPv6 /64 counts as one), but only to slow that address
//! down: behind a carrier-grade NAT or a proxy thousands of citizens share one, so the address never
//! refuses the right password for an account that is not itself locked. Checks of the current password
//! before an account change go through the same account counter.

use super::accounts::{Accounts, LoginError};
use super::password::Verdict;
use super::person::Person;
use super::phone::PhoneNumber;
use super::resident_id::ResidentId;
use super::throttle::{Policy, Verdict as ThrottleVerdict};
use crate::secret::SecretString;
use std::net::IpAddr;
use std::time::Duration;

/// The longest an address over its failure limit is held back before its attempt is checked.
const SLOW_LANE_MAX: Duration = Duration::from_secs(3);

impl Accounts {
    /// Checks a password login.
    pub async fn password_login(
        &self,
        identifier: &str,
        password: &SecretString,
        ip: Option<&str>,
    ) -> Result<Person, LoginError> {
        let identifier = identifier.trim();
        let person = self.find_by_login_identifier(identifier).await.map_err(internal)?;
        let account = self.account_key(person.as_ref().map(|p| p.id.as_str()), identifier);
        self.take_attempt(&account).await?;
        let address = ip.map(address_key);
        if let Some(address) = &address {
            self.slow_lane(address).await?;
        }
        let stored_hash = person.as_ref().and_then(|p| p.password_hash.as_deref());
        let verdict = self.hasher().verify(password, stored_hash).await.map_err(internal)?;
        match (verdict, person) {
            (Verdict::Match | Verdict::MatchRehashed, Some(person)) if person.can_sign_in() => {
                if verdict == Verdict::MatchRehashed {
                    self.rehash(&person, password).await;
                }
                self.throttle().clear(&account).await.map_err(internal)?;
                Ok(person)
            }
            _ => {
                if let Some(address) = &address {
                    self.throttle().fail(address, self.address_policy()).await.map_err(internal)?;
                }
                Err(LoginError::InvalidCredentials)
            }
        }
    }

    /// Checks a signed-in person's current password before a change to their account (phone, password,
    /// closing), counted like a login against their account. A person without a password passes.
    pub async fn check_current_password(
        &self,
        person: &Person,
        password: &SecretString,
        ip: Option<&str>,
    ) -> Result<bool, LoginError> {
        if person.password_hash.is_none() {
            return Ok(true);
        }
        let account = self.account_key(Some(&person.id), "");
        self.take_attempt(&account).await?;
        let matches = self.password_matches(person, password).await.map_err(internal)?;
        if matches {
            self.throttle().clear(&account).await.map_err(internal)?;
        } else if let Some(address) = ip.map(address_key) {
            self.throttle().fail(&address, self.address_policy()).await.map_err(internal)?;
        }
        Ok(matches)
    }

    /// The password counter of an account, or of what was typed when no account has it (in its
    /// canonical form, so that spellings of one number share a counter there too).
    fn account_key(&self, person_id: Option<&str>, identifier: &str) -> String {
        let subject = match person_id {
            Some(id) => format!("person:{id}"),
            None => match (ResidentId::parse(identifier, self.today()), PhoneNumber::parse(identifier)) {
                (Ok(id_number), _) => format!("id:{}", id_number.as_str()),
                (_, Ok(phone)) => format!("phone:{}", phone.as_str()),
                _ => format!("typed:{}", identifier.trim().to_uppercase()),
            },
        };
        format!("throttle:pwd:acct:{}", self.keyring().blind_index("login-identifier", &subject))
    }

    fn account_policy(&self) -> Policy {
        let login = self.login_settings();
        Policy { free: 2, limit: login.max_failures_per_account, lockout_secs: login.lockout_secs }
    }

    fn address_policy(&self) -> Policy {
        let login = self.login_settings();
        Policy { free: 10, limit: login.max_failures_per_ip, lockout_secs: login.lockout_secs }
    }

    async fn take_attempt(&self, account: &str) -> Result<(), LoginError> {
        let verdict = self
            .throttle()
            .attempt(account, self.account_policy())
            .await
            .map_err(|e| LoginError::Internal(e.into()))?;
        match verdict {
            ThrottleVerdict::Allowed => Ok(()),
            ThrottleVerdict::Wait { secs } => Err(LoginError::Throttled { retry_after_secs: secs, locked: false }),
            ThrottleVerdict::Locked { secs } => Err(LoginError::Throttled { retry_after_secs: secs, locked: true }),
        }
    }

    /// Holds back an attempt from an address over its failure limit; never refuses it.
    async fn slow_lane(&self, address: &str) -> Result<(), LoginError> {
        let verdict =
            self.throttle().check(address, self.address_policy()).await.map_err(|e| LoginError::Internal(e.into()))?;
        let secs = match verdict {
            ThrottleVerdict::Allowed => return Ok(()),
            ThrottleVerdict::Wait { secs } | ThrottleVerdict::Locked { secs } => secs,
        };
        tokio::time::sleep(Duration::from_secs(secs.max(0) as u64).min(SLOW_LANE_MAX)).await;
        Ok(())
    }

    /// Throttle keys for one kind of guessable secret other than passwords (SMS and activation codes):
    /// per identifier and per client address.
    pub fn throttle_keys(&self, kind: &str, identifier: &str, ip: Option<&str>) -> Vec<(String, Policy)> {
        let index = self.keyring().blind_index("login-identifier", &identifier.trim().to_uppercase());
        let mut keys = vec![(format!("throttle:{kind}:acct:{index}"), self.account_policy())];
        if let Some(ip) = ip {
            keys.push((address_key(ip).replace("throttle:pwd:", &format!("throttle:{kind}:")), self.address_policy()));
        }
        keys
    }

    pub async fn check_throttle(&self, keys: &[(String, Policy)]) -> Result<(), LoginError> {
        for (key, policy) in keys {
            match self.throttle().check(key, *policy).await.map_err(|e| LoginError::Internal(e.into()))? {
                ThrottleVerdict::Allowed => {}
                ThrottleVerdict::Wait { secs } => {
                    return Err(LoginError::Throttled { retry_after_secs: secs, locked: false });
                }
                ThrottleVerdict::Locked { secs } => {
                    return Err(LoginError::Throttled { retry_after_secs: secs, locked: true });
                }
            }
        }
        Ok(())
    }

    pub async fn count_failure(&self, keys: &[(String, Policy)]) -> Result<(), LoginError> {
        for (key, policy) in keys {
            self.throttle().fail(key, *policy).await.map_err(|e| LoginError::Internal(e.into()))?;
        }
        Ok(())
    }

    pub async fn clear_failures(&self, keys: &[(String, Policy)]) -> Result<(), LoginError> {
        if let Some((key, _)) = keys.first() {
            self.throttle().clear(key).await.map_err(|e| LoginError::Internal(e.into()))?;
        }
        Ok(())
    }
}

/// The failure counter of a client address; an IPv6 address counts by its /64, which one subscriber
/// usually holds whole.
fn address_key(ip: &str) -> String {
    let network = match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => {
            let segments = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", segments[0], segments[1], segments[2], segments[3])
        }
        _ => ip.to_owned(),
    };
    format!("throttle:pwd:ip:{network}")
}

/// A failure behind a sign-in that is nobody's mistake (the store, the hasher), kept with its cause.
fn internal(error: impl std::error::Error + Send + Sync + 'static) -> LoginError {
    LoginError::Internal(Box::new(error))
}
