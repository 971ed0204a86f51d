//! The developers' sandbox (`yimen serve --sandbox`): synthetic people at every assurance level and an
//! organisation with its legal representative and an agent, seeded on start; a database marked for the
//! sandbox, so that neither a sandbox nor production ever runs on the other's data. The sign-in that
//! picks a person and an outcome is `http/sandbox_login.rs`; what each outcome does is
//! `oidc/sandbox.rs`.

use crate::assurance::{Evidence, Method, NewEvidence};
use crate::audit::Actor;
use crate::identity::document::IdDocument;
use crate::identity::organisation::{GrantScope, MemberRole, OrgKind, Organisations};
use crate::identity::phone::PhoneNumber;
use crate::identity::resident_id::ResidentId;
use crate::identity::uscc::Uscc;
use crate::identity::{Accounts, NewCitizen, Person};
use crate::secret::SecretString;
use crate::store::Database;

/// Every synthetic person's password, for developers who want to try the ordinary sign-in too.
pub const PASSWORD: &str = "sandbox-lantern-2026";

/// A synthetic person: what the sandbox seeds, and the evidence that puts them at their level.
pub struct SyntheticPerson {
    pub name: &'static str,
    pub id_number: &'static str,
    pub phone: &'static str,
    pub evidence: &'static [Method],
    /// Their part in the sandbox organisation, if any.
    pub role: Option<MemberRole>,
}

/// One person at each level of the default ladder, the representative and an agent of the organisation.
/// The numbers pass their check characters and name no real person (region 350102, birth dates chosen).
pub const PEOPLE: &[SyntheticPerson] = &[
    SyntheticPerson {
        name: "沙箱一级",
        id_number: "350102198001010011",
        phone: "13900000001",
        evidence: &[],
        role: None,
    },
    SyntheticPerson {
        name: "沙箱二级",
        id_number: "350102198502020023",
        phone: "13900000002",
        evidence: &[Method::RegisterMatch],
        role: None,
    },
    SyntheticPerson {
        name: "沙箱三级",
        id_number: "350102199003030037",
        phone: "13900000003",
        evidence: &[Method::RegisterMatch, Method::FaceMatch],
        role: Some(MemberRole::Agent),
    },
    SyntheticPerson {
        name: "沙箱四级",
        id_number: "35010219750404004X",
        phone: "13900000004",
        evidence: &[Method::Counter],
        role: Some(MemberRole::LegalRepresentative),
    },
];

pub const ORG_USCC: &str = "91350102MA25ANDBX6";
pub const ORG_NAME: &str = "沙箱示例科技有限公司";

#[derive(Debug, thiserror::Error)]
pub enum ModeError {
    #[error(
        "this database was made for {found}; a {wanted} server needs a database of its own (and a data \
         directory and issuer of its own)"
    )]
    Mismatch { found: String, wanted: &'static str },
    #[error(
        "this database already holds {0} accounts but was never marked as a sandbox: a sandbox must not run \
         on real people's data; give it a database of its own"
    )]
    RealPeople(i64),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Marks a new database for the mode asked for (production when none is), or refuses one made for the
/// other mode; returns whether this is a sandbox.
pub async fn check_mode(db: &Database, wanted: Option<bool>) -> Result<bool, ModeError> {
    let recorded = db.deployment_mode().await?;
    if recorded.is_none() && wanted == Some(true) {
        let people = db.count_people().await?;
        if people > 0 {
            return Err(ModeError::RealPeople(people));
        }
    }
    let asked = if wanted == Some(true) { SANDBOX } else { PRODUCTION };
    let found = db.claim_deployment_mode(recorded.as_deref().unwrap_or(asked)).await?;
    match wanted {
        Some(sandbox) if (found == SANDBOX) != sandbox => {
            Err(ModeError::Mismatch { found, wanted: if sandbox { SANDBOX } else { PRODUCTION } })
        }
        _ => Ok(found == SANDBOX),
    }
}

const SANDBOX: &str = "sandbox";
const PRODUCTION: &str = "production";

/// The synthetic people as accounts, in the order of [`PEOPLE`]; those missing are created first, with
/// their evidence and organisation roles. Safe to call on every start.
pub async fn seed(accounts: &Accounts, evidence: &Evidence, orgs: &Organisations) -> anyhow::Result<Vec<Person>> {
    let mut people = Vec::with_capacity(PEOPLE.len());
    for synthetic in PEOPLE {
        let person = match accounts.find_by_login_identifier(synthetic.id_number).await? {
            Some(person) => person,
            None => create(accounts, evidence, synthetic).await?,
        };
        people.push(person);
    }
    let uscc = Uscc::parse(ORG_USCC).map_err(|e| anyhow::anyhow!("the sandbox credit code: {e}"))?;
    if orgs.find_by_uscc(&uscc).await?.is_none() {
        let org = orgs.create(&uscc, ORG_NAME, OrgKind::Enterprise, &Actor::system()).await?;
        let representative = PEOPLE.iter().position(|p| p.role == Some(MemberRole::LegalRepresentative));
        let representative = &people[representative.expect("the sandbox has a representative")];
        orgs.bind_representative(&org.id, &representative.id, &Actor::system()).await?;
        for (synthetic, person) in PEOPLE.iter().zip(&people) {
            if synthetic.role == Some(MemberRole::Agent) {
                orgs.authorise_agent(&org.id, &person.id, GrantScope::All, None, &representative.id, None).await?;
            }
        }
    }
    Ok(people)
}

async fn create(accounts: &Accounts, evidence: &Evidence, synthetic: &SyntheticPerson) -> anyhow::Result<Person> {
    let id_number = ResidentId::parse(synthetic.id_number, accounts.today())
        .map_err(|e| anyhow::anyhow!("sandbox ID number {}: {e}", synthetic.id_number))?;
    let citizen = NewCitizen {
        name: synthetic.name.to_owned(),
        document: IdDocument::from_resident_id(id_number),
        phone: Some(PhoneNumber::parse(synthetic.phone).map_err(|e| anyhow::anyhow!("sandbox phone: {e}"))?),
        phone_verified: true,
        password: Some(SecretString::new(PASSWORD.to_owned())),
    };
    let person = accounts.register_citizen(citizen).await?;
    for method in synthetic.evidence {
        evidence
            .record(NewEvidence {
                person_id: &person.id,
                method: *method,
                verifier: "sandbox",
                hall_id: None,
                passed: true,
                reference: None,
                adapter: Some("sandbox"),
            })
            .await?;
    }
    Ok(person)
}
