//! A document number taken back by its holder. Anyone can type someone else's resident ID number when
//! registering; such an account proves nothing beyond a phone (level 1). When the holder proves the number
//! at a higher level — at a counter with the document in hand, or online through the population register —
//! the claiming account loses the number and its password, its sessions and grants end, its phone is told,
//! and the reclaim is audited. An account that proved more than a phone keeps its number.

use super::desk::{Desk, DeskError};
use crate::audit::{Actor, Event};
use crate::identity::Person;
use crate::identity::document::IdDocument;
use serde_json::json;

impl Desk {
    /// The account holding `document`, if it stands at the lowest level and so can be outranked.
    pub async fn unproven_holder(&self, document: &IdDocument) -> Result<Option<Person>, DeskError> {
        let Some(holder) = self.accounts.find_by_document(document).await? else { return Ok(None) };
        Ok((self.assurance.rank_of(&holder.id).await? == 0).then_some(holder))
    }

    /// Takes `document` back from `claimant` for its proven holder; `how` ("counter", "register") names the
    /// proof in the audit entry.
    pub async fn take_back(
        &self,
        claimant: &Person,
        actor: &Actor,
        how: &str,
        document: &IdDocument,
    ) -> Result<(), DeskError> {
        self.accounts.reclaim_document(claimant).await?;
        let reason = "document reclaimed by its holder";
        self.sign_out.end_sessions(&claimant.id, reason).await.map_err(DeskError::Internal)?;
        self.sign_out.revoke_grants(&claimant.id, reason).await.map_err(DeskError::Internal)?;
        let detail = json!({ "document": document.masked(), "kind": document.kind().as_str(), "proof": how });
        let event =
            Event { action: "account.reclaim", subject_type: "person", subject_id: Some(claimant.id.clone()), detail };
        self.audit.record(actor, event).await?;
        if let Some(phone) = &claimant.phone {
            let text = "您账号登记的证件号码已由证件持有人本人核验后收回，该账号已停用。如有疑问，请携带本人证件到政务服务大厅咨询。";
            crate::sms::send_account_notice(self.sms.as_ref(), phone, text).await;
        }
        Ok(())
    }
}
