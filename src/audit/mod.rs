//! The append-only audit log: who did what, in which role and hall, when and from where. Each entry
//! carries a keyed hash (HMAC with a subkey of the data key) over its content and its predecessor's hash,
//! so an altered, inserted or missing entry breaks the chain, and rewriting the chain needs the key.

use crate::clock::SharedClock;
use crate::crypto::Keyring;
use crate::store::audit::{AuditFilter, AuditRow};
use crate::store::{Database, StoreError};
use serde::Serialize;
use serde_json::Value;

/// In which capacity an actor acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorRole {
    Citizen,
    OrgRepresentative,
    OrgAdministrator,
    Staff,
    Supervisor,
    PlatformAdmin,
    DepartmentAdmin,
    Auditor,
    /// The command line, run by an operator on the server.
    Operator,
    System,
}

impl ActorRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::OrgRepresentative => "org_representative",
            Self::OrgAdministrator => "org_administrator",
            Self::Staff => "staff",
            Self::Supervisor => "supervisor",
            Self::PlatformAdmin => "platform_admin",
            Self::DepartmentAdmin => "department_admin",
            Self::Auditor => "auditor",
            Self::Operator => "operator",
            Self::System => "system",
        }
    }
}

/// Who acted, and from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<String>,
    pub role: ActorRole,
    pub hall_id: Option<String>,
    pub origin: Option<String>,
}

impl Actor {
    pub fn person(id: &str, role: ActorRole, origin: Option<String>) -> Self {
        Self { id: Some(id.to_owned()), role, hall_id: None, origin }
    }

    pub fn operator() -> Self {
        Self { id: None, role: ActorRole::Operator, hall_id: None, origin: Some("cli".into()) }
    }

    pub fn system() -> Self {
        Self { id: None, role: ActorRole::System, hall_id: None, origin: None }
    }
}

/// One thing that happened. `detail` must never hold personal numbers in the clear: mask them first.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: &'static str,
    pub subject_type: &'static str,
    pub subject_id: Option<String>,
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// The entry's content or hash was changed.
    Altered { seq: i64 },
    /// Entries are missing between two that remain.
    Missing { after: i64, next: i64 },
    /// The entry does not follow from its predecessor (reordered or inserted).
    Broken { seq: i64 },
    /// Entries were removed from the end: the head records more than the log holds.
    Truncated { last: i64, head: i64 },
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Altered { seq } => write!(f, "entry {seq} was altered: its hash does not match its content"),
            Self::Missing { after, next } => {
                write!(f, "entries {}..{} are missing (after {after} comes {next})", after + 1, next - 1)
            }
            Self::Broken { seq } => write!(f, "entry {seq} does not follow from the entry before it"),
            Self::Truncated { last, head } => {
                write!(f, "the log ends at entry {last} but {head} were written: entries were removed from the end")
            }
        }
    }
}

#[derive(Debug)]
pub struct Verification {
    pub entries: i64,
    pub problems: Vec<ChainProblem>,
}

#[derive(Clone)]
pub struct Audit {
    db: Database,
    keyring: Keyring,
    clock: SharedClock,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Audit")
    }
}

impl Audit {
    pub fn new(db: Database, keyring: Keyring, clock: SharedClock) -> Self {
        Self { db, keyring, clock }
    }

    pub async fn record(&self, actor: &Actor, event: Event) -> Result<i64, StoreError> {
        let at = self.clock.now();
        let keyring = self.keyring.clone();
        let row = self
            .db
            .append_audit(|seq, prev| {
                let mut row = AuditRow {
                    seq,
                    at,
                    actor_id: actor.id.clone(),
                    actor_role: actor.role.as_str().to_owned(),
                    hall_id: actor.hall_id.clone(),
                    action: event.action.to_owned(),
                    subject_type: event.subject_type.to_owned(),
                    subject_id: event.subject_id.clone(),
                    detail: event.detail.to_string(),
                    origin: actor.origin.clone(),
                    prev_hash: prev.to_owned(),
                    hash: String::new(),
                };
                row.hash = entry_hash(&keyring, &row);
                row
            })
            .await?;
        Ok(row.seq)
    }

    /// Walks the whole chain and reports every break it finds, in order.
    pub async fn verify(&self) -> Result<Verification, StoreError> {
        let (head_seq, head_hash) = self.db.audit_head().await?;
        let mut problems = Vec::new();
        let mut expected_prev = "genesis".to_owned();
        let mut last_seq = 0;
        let mut last_hash = expected_prev.clone();
        let mut entries = 0;
        loop {
            let page = self.db.audit_page(last_seq, 1000).await?;
            if page.is_empty() {
                break;
            }
            for row in page {
                entries += 1;
                if row.seq != last_seq + 1 {
                    problems.push(ChainProblem::Missing { after: last_seq, next: row.seq });
                } else if row.prev_hash != expected_prev {
                    problems.push(ChainProblem::Broken { seq: row.seq });
                }
                if entry_hash(&self.keyring, &row) != row.hash {
                    problems.push(ChainProblem::Altered { seq: row.seq });
                }
                expected_prev = row.hash.clone();
                last_seq = row.seq;
                last_hash = row.hash;
            }
        }
        if last_seq < head_seq || (last_seq == head_seq && last_hash != head_hash && entries > 0) {
            problems.push(ChainProblem::Truncated { last: last_seq, head: head_seq });
        }
        Ok(Verification { entries, problems })
    }

    pub async fn search(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        self.db.audit_search(filter).await
    }
}

fn entry_hash(keyring: &Keyring, row: &AuditRow) -> String {
    let content = serde_json::json!([
        row.seq,
        row.at,
        row.actor_id,
        row.actor_role,
        row.hall_id,
        row.action,
        row.subject_type,
        row.subject_id,
        row.detail,
        row.origin,
        row.prev_hash,
    ]);
    keyring.audit_mac(content.to_string().as_bytes())
}
