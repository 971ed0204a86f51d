//! Resetting a person's credentials at the counter, with four eyes. One staff member checks the person and
//! records the reset (and a new phone number, if the old one is lost); nothing changes until a second
//! staff member, of the same hall or a hall above it, confirms it within a day. Then the password goes,
//! every session ends, the phone moves, the old phone is told where and when, and the activation code
//! goes by SMS to the person's phone only: no staff screen or slip ever shows it, so no staff member can
//! take an account over.

use super::codes::CodePurpose;
use super::desk::{ACTIVATION_DAYS, Desk, DeskError, InPersonCheck, StaffSeat};
use crate::identity::Person;
use crate::identity::phone::PhoneNumber;
use crate::store::resets::ResetRow;
use serde_json::json;

/// How long a recorded reset waits for its confirmation.
pub const RESET_CONFIRM_SECS: i64 = 86_400;

/// A reset waiting for a second staff member.
#[derive(Debug, Clone)]
pub struct PendingReset {
    pub id: String,
    pub recorded_by: String,
    pub recorded_at: i64,
    /// The new phone number, masked; None when the phone stays.
    pub new_phone: Option<String>,
}

fn phone_label(reset_id: &str) -> String {
    format!("credential-reset/{reset_id}/phone")
}

impl Desk {
    /// Records a reset after checking the person in person; returns its id. Nothing changes yet.
    pub async fn record_reset(
        &self,
        seat: &StaffSeat,
        person: &Person,
        check: &InPersonCheck,
        new_phone: Option<PhoneNumber>,
    ) -> Result<String, DeskError> {
        self.matches(person, check)?;
        if !check.approve || !check.face_matches {
            return Err(DeskError::FaceNotConfirmed);
        }
        // The activation code travels by SMS; without a phone it could only be shown to staff.
        if new_phone.is_none() && person.phone.is_none() {
            return Err(DeskError::NoPhone);
        }
        if let Some(phone) = &new_phone {
            let holder = self.accounts.find_by_login_identifier(phone.as_str()).await?;
            if holder.is_some_and(|holder| holder.id != person.id) {
                return Err(DeskError::AlreadyRegistered);
            }
        }
        let id = uuid::Uuid::now_v7().to_string();
        let row = ResetRow {
            new_phone_enc: new_phone
                .as_ref()
                .map(|p| self.keyring.encrypt_secret(&phone_label(&id), p.as_str().as_bytes())),
            id: id.clone(),
            person_id: person.id.clone(),
            hall_id: seat.hall_id.clone(),
            recorded_by: seat.person_id.clone(),
            recorded_at: self.clock.now(),
            settled_by: None,
            settled_at: None,
            confirmed: None,
        };
        self.db.insert_credential_reset(&row).await?;
        let detail = json!({ "reset_id": id, "new_phone": new_phone.as_ref().map(PhoneNumber::masked) });
        self.audit(seat, "counter.reset.record", "person", &person.id, detail).await?;
        Ok(id)
    }

    /// A person's resets waiting for confirmation.
    pub async fn open_resets(&self, person_id: &str) -> Result<Vec<PendingReset>, DeskError> {
        let since = self.clock.now() - RESET_CONFIRM_SECS;
        let rows = self.db.open_credential_resets(person_id, since).await?;
        rows.into_iter()
            .map(|row| {
                let new_phone = self.new_phone(&row)?.map(|phone| phone.masked());
                Ok(PendingReset { id: row.id, recorded_by: row.recorded_by, recorded_at: row.recorded_at, new_phone })
            })
            .collect()
    }

    fn new_phone(&self, row: &ResetRow) -> Result<Option<PhoneNumber>, DeskError> {
        let Some(sealed) = &row.new_phone_enc else { return Ok(None) };
        let plain = self
            .keyring
            .decrypt_secret(&phone_label(&row.id), sealed)
            .map_err(|e| DeskError::Corrupt(format!("credential reset {}: {e}", row.id)))?;
        let text = String::from_utf8_lossy(&plain);
        PhoneNumber::parse(&text).map(Some).map_err(|e| DeskError::Corrupt(format!("credential reset {}: {e}", row.id)))
    }

    /// A second staff member confirms (or rejects) a recorded reset; confirmation carries it out. Returns
    /// the masked phone the activation code went to, or None when rejected.
    pub async fn settle_reset(
        &self,
        seat: &StaffSeat,
        reset_id: &str,
        confirm: bool,
    ) -> Result<Option<String>, DeskError> {
        let row = self.db.find_credential_reset(reset_id).await?.ok_or(DeskError::UnknownReset)?;
        if row.settled_at.is_some() {
            return Err(DeskError::AlreadySettled);
        }
        if row.recorded_by == seat.person_id {
            return Err(DeskError::SameStaff);
        }
        if !self.serves(seat, &row.hall_id).await? {
            return Err(DeskError::OtherHall);
        }
        let now = self.clock.now();
        if now > row.recorded_at + RESET_CONFIRM_SECS {
            return Err(DeskError::ResetExpired);
        }
        let new_phone = self.new_phone(&row)?;
        // Settling first makes a second, simultaneous confirmation fail instead of resetting twice.
        if !self.db.settle_credential_reset(reset_id, &seat.person_id, now, confirm).await? {
            return Err(DeskError::AlreadySettled);
        }
        if !confirm {
            let detail = json!({ "reset_id": reset_id, "recorded_by": row.recorded_by });
            self.audit(seat, "counter.reset.reject", "person", &row.person_id, detail).await?;
            return Ok(None);
        }
        let person = self.accounts.find(&row.person_id).await?.ok_or(DeskError::UnknownPerson)?;
        let old_phone = person.phone.clone();
        if let Some(phone) = &new_phone {
            self.accounts.change_phone(&person, phone).await?;
        }
        self.accounts.clear_password(&person).await?;
        self.sign_out.end_sessions(&person.id, "credentials reset at a counter").await.map_err(DeskError::Internal)?;
        let code = self.codes.issue(&person.id, CodePurpose::Activation, ACTIVATION_DAYS).await?;
        let hall = self.halls.find(&row.hall_id).await?.map(|hall| hall.name).unwrap_or_default();
        let at = china_time(row.recorded_at);
        let delivered_to = new_phone.clone().or(old_phone.clone()).ok_or(DeskError::NoPhone)?;
        if let (Some(old), Some(_)) = (&old_phone, &new_phone) {
            let text = format!(
                "您的账号于{at}在{hall}办理了登录凭据重置，手机号已更换。如非本人办理，请立即到政务服务大厅处理。"
            );
            crate::sms::send_account_notice(self.sms.as_ref(), old, &text).await;
        }
        let text = format!(
            "您于{at}在{hall}办理了账号重置。激活码 {code}，{ACTIVATION_DAYS} 天内有效，请在 {} 设置新密码。请勿告诉任何人，包括工作人员。",
            self.activate_url
        );
        crate::sms::send_account_notice(self.sms.as_ref(), &delivered_to, &text).await;
        let detail = json!({
            "reset_id": reset_id,
            "recorded_by": row.recorded_by,
            "new_phone": new_phone.as_ref().map(PhoneNumber::masked),
        });
        self.audit(seat, "counter.reset.confirm", "person", &person.id, detail).await?;
        Ok(Some(delivered_to.masked()))
    }

    /// Whether the seat's hall is `hall_id` or a hall above it.
    pub(super) async fn serves(&self, seat: &StaffSeat, hall_id: &str) -> Result<bool, DeskError> {
        Ok(self.halls.subtree(&seat.hall_id).await?.iter().any(|hall| hall.id == hall_id))
    }
}

/// Unix seconds as a date and time in China Standard Time, for SMS texts.
pub(super) fn china_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.to_offset(time::macros::offset!(+8)).format(&format).unwrap_or_default())
        .unwrap_or_default()
}
