//! Passkeys (WebAuthn, through webauthn-rs): registration, passwordless login with discoverable
//! credentials, and use as a second factor. Ceremony state lives server-side in ephemeral storage under a
//! random id the browser session holds, and is taken on use, so a challenge answers once.

use crate::clock::SharedClock;
use crate::store::passkeys::PasskeyRow;
use crate::store::{Database, EphemeralExt, SharedEphemeral, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

const CEREMONY_TTL_MS: i64 = 5 * 60 * 1000;

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error("passkeys need the issuer's host to be a domain name (not an IP address): {0}")]
    Unavailable(String),
    #[error("this passkey ceremony has expired or was already used; start again")]
    CeremonyGone,
    #[error("the passkey response is not valid: {0}")]
    Rejected(String),
    #[error("this passkey is not registered to any account")]
    UnknownCredential,
    #[error("this passkey is already registered")]
    AlreadyRegistered,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A passkey as the account centre shows it.
#[derive(Debug, Clone)]
pub struct PasskeySummary {
    pub id: String,
    pub name: String,
    pub attachment: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// What a successful passkey authentication proved.
#[derive(Debug, Clone)]
pub struct PasskeyProof {
    pub person_id: String,
    /// RFC 8176: `hwk` for a roaming security key, `swk` for a platform or synced passkey.
    pub amr: super::amr::Amr,
}

#[derive(Serialize, Deserialize)]
struct RegistrationCeremony {
    person_id: String,
    state: PasskeyRegistration,
}

#[derive(Serialize, Deserialize)]
enum AuthenticationCeremony {
    Discoverable(DiscoverableAuthentication),
    SecondFactor { person_id: String, state: PasskeyAuthentication },
}

#[derive(Clone)]
pub struct Passkeys {
    webauthn: Arc<Webauthn>,
    db: Database,
    ephemeral: SharedEphemeral,
    clock: SharedClock,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passkeys")
    }
}

impl Passkeys {
    /// Passkeys for the relying party at `issuer`; its host is the WebAuthn RP ID.
    pub fn new(
        issuer: &url::Url,
        rp_name: &str,
        db: Database,
        ephemeral: SharedEphemeral,
        clock: SharedClock,
    ) -> Result<Self, PasskeyError> {
        let host = issuer.host_str().ok_or_else(|| PasskeyError::Unavailable(issuer.to_string()))?;
        if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
            return Err(PasskeyError::Unavailable(host.to_owned()));
        }
        let origin = Url::parse(issuer.origin().ascii_serialization().as_str())
            .map_err(|e| PasskeyError::Unavailable(e.to_string()))?;
        let webauthn = WebauthnBuilder::new(host, &origin)
            .and_then(|builder| builder.rp_name(rp_name).build())
            .map_err(|e| PasskeyError::Unavailable(e.to_string()))?;
        Ok(Self { webauthn: Arc::new(webauthn), db, ephemeral, clock })
    }

    pub async fn list(&self, person_id: &str) -> Result<Vec<PasskeySummary>, PasskeyError> {
        Ok(self
            .db
            .passkeys_of(person_id)
            .await?
            .into_iter()
            .map(|row| PasskeySummary {
                id: row.id,
                name: row.name,
                attachment: row.attachment,
                created_at: row.created_at,
                last_used_at: row.last_used_at,
            })
            .collect())
    }

    pub async fn has_any(&self, person_id: &str) -> Result<bool, PasskeyError> {
        Ok(!self.db.passkeys_of(person_id).await?.is_empty())
    }

    /// Begins registering a passkey for a person. Returns the options for the browser and the ceremony id.
    pub async fn start_registration(
        &self,
        person_id: &str,
        user_name: &str,
        display_name: &str,
    ) -> Result<(CreationChallengeResponse, String), PasskeyError> {
        let user_id = Uuid::parse_str(person_id).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let existing = self.decoded(person_id).await?;
        let exclude = existing.iter().map(|(_, passkey)| passkey.cred_id().clone()).collect::<Vec<_>>();
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(user_id, user_name, display_name, Some(exclude))
            .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        // Prefer a discoverable credential, so the passkey can sign in without a user name. Phones and
        // platform authenticators make one; a security key that cannot still works as a second factor.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Preferred);
            selection.require_resident_key = false;
        }
        let ceremony = crate::crypto::random_token(16);
        let record = RegistrationCeremony { person_id: person_id.to_owned(), state };
        self.ephemeral.put_json(&format!("webauthn-reg:{ceremony}"), &record, CEREMONY_TTL_MS).await?;
        Ok((options, ceremony))
    }

    pub async fn finish_registration(
        &self,
        person_id: &str,
        ceremony: &str,
        response: &RegisterPublicKeyCredential,
        name: &str,
        attachment: Option<&str>,
    ) -> Result<PasskeySummary, PasskeyError> {
        let record: RegistrationCeremony =
            self.ephemeral.take_json(&format!("webauthn-reg:{ceremony}")).await?.ok_or(PasskeyError::CeremonyGone)?;
        if record.person_id != person_id {
            return Err(PasskeyError::CeremonyGone);
        }
        let passkey = self
            .webauthn
            .finish_passkey_registration(response, &record.state)
            .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let now = self.clock.now();
        let name: String = name.trim().chars().filter(|c| !c.is_control()).take(64).collect();
        let row = PasskeyRow {
            id: uuid::Uuid::now_v7().to_string(),
            person_id: person_id.to_owned(),
            credential_id: crate::crypto::b64url(passkey.cred_id().as_ref()),
            passkey: serde_json::to_string(&passkey).map_err(StoreError::from)?,
            name: if name.is_empty() { "通行密钥".to_owned() } else { name },
            attachment: attachment.filter(|a| matches!(*a, "platform" | "cross-platform")).map(str::to_owned),
            created_at: now,
            last_used_at: None,
        };
        match self.db.insert_passkey(&row).await {
            Err(error) if error.is_unique_violation_on("credential_id") => return Err(PasskeyError::AlreadyRegistered),
            other => other?,
        }
        Ok(PasskeySummary {
            id: row.id,
            name: row.name,
            attachment: row.attachment,
            created_at: now,
            last_used_at: None,
        })
    }

    /// Begins a passwordless login: any discoverable passkey of this site may answer.
    pub async fn start_login(&self) -> Result<(RequestChallengeResponse, String), PasskeyError> {
        let (options, state) =
            self.webauthn.start_discoverable_authentication().map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let ceremony = crate::crypto::random_token(16);
        self.ephemeral
            .put_json(
                &format!("webauthn-auth:{ceremony}"),
                &AuthenticationCeremony::Discoverable(state),
                CEREMONY_TTL_MS,
            )
            .await?;
        Ok((options, ceremony))
    }

    /// Begins a second-factor check with the person's own passkeys.
    pub async fn start_second_factor(
        &self,
        person_id: &str,
    ) -> Result<(RequestChallengeResponse, String), PasskeyError> {
        let passkeys: Vec<Passkey> = self.decoded(person_id).await?.into_iter().map(|(_, passkey)| passkey).collect();
        if passkeys.is_empty() {
            return Err(PasskeyError::UnknownCredential);
        }
        let (options, state) =
            self.webauthn.start_passkey_authentication(&passkeys).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let ceremony = crate::crypto::random_token(16);
        let record = AuthenticationCeremony::SecondFactor { person_id: person_id.to_owned(), state };
        self.ephemeral.put_json(&format!("webauthn-auth:{ceremony}"), &record, CEREMONY_TTL_MS).await?;
        Ok((options, ceremony))
    }

    /// Completes either kind of authentication ceremony and says whose passkey answered.
    pub async fn finish_authentication(
        &self,
        ceremony: &str,
        response: &PublicKeyCredential,
    ) -> Result<PasskeyProof, PasskeyError> {
        let record: AuthenticationCeremony =
            self.ephemeral.take_json(&format!("webauthn-auth:{ceremony}")).await?.ok_or(PasskeyError::CeremonyGone)?;
        let credential_id = crate::crypto::b64url(response.get_credential_id());
        let row = self.db.find_passkey_by_credential(&credential_id).await?.ok_or(PasskeyError::UnknownCredential)?;
        let mut passkey: Passkey = serde_json::from_str(&row.passkey).map_err(StoreError::from)?;
        let result = match record {
            AuthenticationCeremony::Discoverable(state) => {
                let (user_id, _) = self
                    .webauthn
                    .identify_discoverable_authentication(response)
                    .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
                if user_id.to_string() != row.person_id {
                    return Err(PasskeyError::UnknownCredential);
                }
                let credential: webauthn_rs::prelude::Credential = passkey.clone().into();
                self.webauthn.finish_discoverable_authentication_v2(response, state, credential)
            }
            AuthenticationCeremony::SecondFactor { person_id, state } => {
                if person_id != row.person_id {
                    return Err(PasskeyError::UnknownCredential);
                }
                self.webauthn.finish_passkey_authentication(response, &state)
            }
        }
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let counter_changed = passkey.update_credential(&result).unwrap_or(false);
        let stored =
            if counter_changed { Some(serde_json::to_string(&passkey).map_err(StoreError::from)?) } else { None };
        self.db.touch_passkey(&row.id, self.clock.now(), stored.as_deref()).await?;
        let amr = if row.attachment.as_deref() == Some("cross-platform") {
            super::amr::Amr::Hwk
        } else {
            super::amr::Amr::Swk
        };
        Ok(PasskeyProof { person_id: row.person_id, amr })
    }

    pub async fn rename(&self, person_id: &str, passkey_id: &str, name: &str) -> Result<bool, PasskeyError> {
        let name: String = name.trim().chars().filter(|c| !c.is_control()).take(64).collect();
        if name.is_empty() {
            return Ok(false);
        }
        Ok(self.db.rename_passkey(person_id, passkey_id, &name).await?)
    }

    pub async fn remove(&self, person_id: &str, passkey_id: &str) -> Result<bool, PasskeyError> {
        Ok(self.db.delete_passkey(person_id, passkey_id).await?)
    }

    async fn decoded(&self, person_id: &str) -> Result<Vec<(PasskeyRow, Passkey)>, PasskeyError> {
        let rows = self.db.passkeys_of(person_id).await?;
        rows.into_iter()
            .map(|row| {
                let passkey = serde_json::from_str(&row.passkey).map_err(StoreError::from)?;
                Ok((row, passkey))
            })
            .collect()
    }
}
