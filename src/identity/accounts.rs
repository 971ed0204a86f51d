//! The account service: creating citizens and finding them by the numbers they know. Password checks and
//! their throttling are in `password_check`.

use super::document::{DocumentKind, IdDocument};
use super::password::{PasswordHasher, PasswordPolicyError};
use super::person::{FIELD_ID_NUMBER, FIELD_PHONE, Person, PersonStatus};
use super::phone::PhoneNumber;
use super::resident_id::ResidentId;
use super::throttle::Throttle;
use crate::clock::SharedClock;
use crate::config::LoginConfig;
use crate::crypto::Keyring;
use crate::secret::SecretString;
use crate::store::ephemeral::Change;
use crate::store::people::PersonRow;
use crate::store::{Database, SharedEphemeral, StoreError};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this identity number already exists")]
    DuplicateIdNumber,
    #[error("an account with this phone number already exists")]
    DuplicatePhone,
    #[error(transparent)]
    Policy(#[from] PasswordPolicyError),
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong password, unknown account or disabled account: deliberately indistinguishable.
    #[error("the account or password is wrong")]
    InvalidCredentials,
    /// Too many failures: wait (a growing delay) or, past the limit, locked for a while.
    #[error("too many failed attempts; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: i64, locked: bool },
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for AccountError {
    fn from(error: StoreError) -> Self {
        if error.is_unique_violation_on("id_number") {
            AccountError::DuplicateIdNumber
        } else if error.is_unique_violation_on("phone") {
            AccountError::DuplicatePhone
        } else {
            AccountError::Internal(error.into())
        }
    }
}

pub struct NewCitizen {
    pub name: String,
    pub document: IdDocument,
    /// None for a person who came from an upstream platform that did not give one.
    pub phone: Option<PhoneNumber>,
    pub phone_verified: bool,
    pub password: Option<SecretString>,
}

#[derive(Clone)]
pub struct Accounts {
    db: Database,
    keyring: Keyring,
    hasher: PasswordHasher,
    clock: SharedClock,
    login: LoginConfig,
    throttle: Throttle,
    /// Accounts by id for a few seconds: UserInfo and the token endpoint read one per request. Changes
    /// made here forget the entry at once; changes by another process are announced through the
    /// ephemeral store and forgotten on arrival, or at the latest when the entry expires.
    people: moka::future::Cache<String, Person>,
    /// Where changes are announced to other processes.
    ephemeral: SharedEphemeral,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

impl Accounts {
    pub fn new(
        db: Database,
        ephemeral: SharedEphemeral,
        keyring: Keyring,
        hasher: PasswordHasher,
        clock: SharedClock,
        login: LoginConfig,
    ) -> Arc<Self> {
        let throttle = Throttle::new(ephemeral.clone(), clock.clone());
        let people = moka::future::Cache::builder()
            .max_capacity(100_000)
            .time_to_live(std::time::Duration::from_secs(10))
            .build();
        Arc::new(Self { db, keyring, hasher, clock, login, throttle, people, ephemeral })
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub(super) fn db(&self) -> &Database {
        &self.db
    }

    pub(super) fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub(super) fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// Today as YYYYMMDD in China Standard Time, the calendar identity documents use.
    pub fn today(&self) -> u32 {
        let date = time::OffsetDateTime::from_unix_timestamp(self.clock.now())
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            .to_offset(time::macros::offset!(+8))
            .date();
        date.year() as u32 * 10_000 + u32::from(u8::from(date.month())) * 100 + u32::from(date.day())
    }

    pub async fn register_citizen(&self, new: NewCitizen) -> Result<Person, AccountError> {
        let password_hash = match &new.password {
            Some(password) => {
                let facts = super::password_context::PersonalFacts {
                    name: &new.name,
                    document_number: Some(new.document.number()),
                    phone: new.phone.as_ref().map(PhoneNumber::as_str),
                };
                super::password_context::check_password_for(password.expose(), &facts)?;
                Some(self.hasher.hash(password).await.map_err(|e| AccountError::Internal(e.into()))?)
            }
            None => None,
        };
        let now = self.clock.now();
        let row = PersonRow {
            id: uuid::Uuid::now_v7().to_string(),
            name: new.name,
            id_type: new.document.kind().as_str().to_owned(),
            id_number_enc: self.keyring.encrypt_pii(FIELD_ID_NUMBER, new.document.number()),
            id_number_index: self.keyring.blind_index(FIELD_ID_NUMBER, new.document.number()),
            phone_enc: new.phone.as_ref().map(|phone| self.keyring.encrypt_pii(FIELD_PHONE, phone.as_str())),
            phone_index: new.phone.as_ref().map(|phone| self.keyring.blind_index(FIELD_PHONE, phone.as_str())),
            phone_verified: new.phone_verified,
            password_hash,
            status: PersonStatus::Active.as_str().to_owned(),
            close_after: None,
            created_at: now,
            updated_at: now,
        };
        self.db.insert_person(&row).await?;
        Person::from_row(row, &self.keyring).map_err(|e| AccountError::Internal(e.into()))
    }

    pub async fn find(&self, id: &str) -> Result<Option<Person>, AccountError> {
        if let Some(person) = self.people.get(id).await {
            return Ok(Some(person));
        }
        let Some(row) = self.db.find_person(id).await? else { return Ok(None) };
        let person = Person::from_row(row, &self.keyring).map_err(|e| AccountError::Internal(e.into()))?;
        self.people.insert(id.to_owned(), person.clone()).await;
        Ok(Some(person))
    }

    /// Drops the cached account after it changed here, and tells every other process to drop theirs.
    /// If the announcement fails (Redis away), their copies expire within ten seconds.
    pub(super) async fn forget(&self, id: &str) {
        self.people.invalidate(id).await;
        if let Err(error) = self.ephemeral.announce(&Change::Person(id.to_owned())).await {
            tracing::warn!(%error, "could not tell other instances that an account changed");
        }
    }

    /// Drops the cached account after another process changed it.
    pub async fn forget_cached(&self, id: &str) {
        self.people.invalidate(id).await;
    }

    /// Drops every cached account (changes may have been missed).
    pub fn forget_all_cached(&self) {
        self.people.invalidate_all();
    }

    /// Finds an account by what a person types to log in: a resident ID number or a mobile number.
    pub async fn find_by_login_identifier(&self, identifier: &str) -> Result<Option<Person>, AccountError> {
        let row = if let Ok(id_number) = ResidentId::parse(identifier, self.today()) {
            let index = self.keyring.blind_index(FIELD_ID_NUMBER, id_number.as_str());
            self.db.find_person_by_id_number(DocumentKind::ResidentId.as_str(), &index).await?
        } else if let Ok(phone) = PhoneNumber::parse(identifier) {
            self.db.find_person_by_phone(&self.keyring.blind_index(FIELD_PHONE, phone.as_str())).await?
        } else {
            None
        };
        row.map(|row| Person::from_row(row, &self.keyring).map_err(|e| AccountError::Internal(e.into()))).transpose()
    }

    pub(super) fn throttle(&self) -> &Throttle {
        &self.throttle
    }

    pub(super) fn login_settings(&self) -> &LoginConfig {
        &self.login
    }

    /// Upgrades a hash made with older argon2 parameters; failure only delays the upgrade.
    pub(super) async fn rehash(&self, person: &Person, password: &SecretString) {
        match self.hasher.hash(password).await {
            Ok(hash) => {
                self.forget(&person.id).await;
                if let Err(error) = self.db.update_password_hash(&person.id, &hash, self.clock.now()).await {
                    tracing::warn!(%error, "could not store the upgraded password hash");
                }
            }
            Err(error) => tracing::warn!(%error, "could not rehash a password"),
        }
    }
}
