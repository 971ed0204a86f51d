//! What a person changes about their own account: password, phone number, closing (with a grace period,
//! then erasure of personal data), and the export of everything held about them.

use super::accounts::{AccountError, Accounts};
use super::password_context::check_password_for;
use super::person::{FIELD_PHONE, Person, PersonStatus};
use super::phone::PhoneNumber;
use crate::secret::SecretString;

impl Accounts {
    /// Sets a new password (after the caller has verified the current one, an SMS code, or a counter
    /// check).
    pub async fn set_password(&self, person: &Person, new_password: &SecretString) -> Result<(), AccountError> {
        check_password_for(new_password.expose(), &person.facts())?;
        let hash = self.hasher().hash(new_password).await.map_err(|e| AccountError::Internal(e.into()))?;
        self.db().update_password_hash(&person.id, &hash, self.clock().now()).await?;
        self.forget(&person.id).await;
        Ok(())
    }

    /// Removes the password (a counter reset): until the person activates new credentials, no password
    /// works.
    pub async fn clear_password(&self, person: &Person) -> Result<(), AccountError> {
        self.db().clear_password_hash(&person.id, self.clock().now()).await?;
        self.forget(&person.id).await;
        Ok(())
    }

    /// Whether `password` is the person's current password (one full argon2 verification either way).
    pub(super) async fn password_matches(
        &self,
        person: &Person,
        password: &SecretString,
    ) -> Result<bool, AccountError> {
        let verdict = self
            .hasher()
            .verify(password, person.password_hash.as_deref())
            .await
            .map_err(|e| AccountError::Internal(e.into()))?;
        Ok(verdict != super::password::Verdict::Mismatch)
    }

    /// Replaces the phone number with a newly verified one.
    pub async fn change_phone(&self, person: &Person, phone: &PhoneNumber) -> Result<(), AccountError> {
        let keyring = self.keyring();
        let encrypted = keyring.encrypt_pii(FIELD_PHONE, phone.as_str());
        let index = keyring.blind_index(FIELD_PHONE, phone.as_str());
        self.db().update_phone(&person.id, &encrypted, &index, self.clock().now()).await?;
        self.forget(&person.id).await;
        Ok(())
    }

    /// Starts closing an account: it stops working at once and is erased after the grace period unless
    /// the person reopens it.
    pub async fn request_closure(&self, person: &Person, grace_days: i64) -> Result<i64, AccountError> {
        let now = self.clock().now();
        let close_after = now + grace_days * 86_400;
        self.db().set_person_status(&person.id, PersonStatus::Closing.as_str(), Some(close_after), now).await?;
        self.forget(&person.id).await;
        Ok(close_after)
    }

    pub async fn cancel_closure(&self, person: &Person) -> Result<(), AccountError> {
        self.db().set_person_status(&person.id, PersonStatus::Active.as_str(), None, self.clock().now()).await?;
        self.forget(&person.id).await;
        Ok(())
    }

    /// Erases the personal data of every account whose grace period has passed; returns their ids.
    pub async fn erase_due(&self) -> Result<Vec<String>, AccountError> {
        let now = self.clock().now();
        let due = self.db().people_due_for_erasure(now).await?;
        for id in &due {
            // The identity number column may not be empty; it gets a ciphertext of nothing.
            let tombstone = self.keyring().encrypt_pii(super::person::FIELD_ID_NUMBER, "");
            self.db().erase_person(id, &tombstone, now).await?;
            self.forget(id).await;
        }
        Ok(due)
    }

    /// The account registered with a document, whatever its kind.
    pub async fn find_by_document(
        &self,
        document: &super::document::IdDocument,
    ) -> Result<Option<Person>, AccountError> {
        let index = self.keyring().blind_index(super::person::FIELD_ID_NUMBER, document.number());
        let Some(row) = self.db().find_person_by_id_number(document.kind().as_str(), &index).await? else {
            return Ok(None);
        };
        Person::from_row(row, self.keyring()).map(Some).map_err(|e| AccountError::Internal(e.into()))
    }

    /// Takes the document number back from an account that claimed it without proof, for its real holder
    /// who has proven it: the account keeps no trace of the number and can no longer sign in. The caller
    /// decides that the proof outranks the claim, ends the account's sessions and tells its phone.
    pub async fn reclaim_document(&self, claimant: &Person) -> Result<(), AccountError> {
        let tombstone = self.keyring().encrypt_pii(super::person::FIELD_ID_NUMBER, "");
        self.db().release_document(&claimant.id, &tombstone, self.clock().now()).await?;
        self.forget(&claimant.id).await;
        Ok(())
    }

    /// Finds the account of a verified phone number, for SMS login and password reset.
    pub async fn find_by_phone(&self, phone: &PhoneNumber) -> Result<Option<Person>, AccountError> {
        self.find_by_login_identifier(phone.as_str()).await
    }
}
