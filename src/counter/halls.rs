//! Service halls as a tree: the city hall, district halls, town offices and village points.

use crate::audit::{Actor, Audit, Event};
use crate::clock::SharedClock;
use crate::store::halls::HallRow;
use crate::store::{Database, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HallKind {
    City,
    District,
    Town,
    Village,
}

impl HallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::City => "city",
            Self::District => "district",
            Self::Town => "town",
            Self::Village => "village",
        }
    }

    pub const ALL: [HallKind; 4] = [Self::City, Self::District, Self::Town, Self::Village];

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    fn depth(self) -> u8 {
        match self {
            Self::City => 0,
            Self::District => 1,
            Self::Town => 2,
            Self::Village => 3,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Hall {
    pub id: String,
    pub name: String,
    pub kind: HallKind,
    pub parent_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HallError {
    #[error("no such parent hall")]
    UnknownParent,
    #[error("a {child} hall cannot sit under a {parent} hall")]
    BadNesting { child: &'static str, parent: &'static str },
    #[error("only a city hall stands without a parent")]
    NeedsParent,
    #[error("the hall needs a name")]
    MissingName,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct Halls {
    db: Database,
    audit: Audit,
    clock: SharedClock,
}

impl Halls {
    pub fn new(db: Database, audit: Audit, clock: SharedClock) -> Self {
        Self { db, audit, clock }
    }

    pub async fn create(
        &self,
        name: &str,
        kind: HallKind,
        parent_id: Option<&str>,
        actor: &Actor,
    ) -> Result<Hall, HallError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(HallError::MissingName);
        }
        match (kind, parent_id) {
            (HallKind::City, None) => {}
            (_, None) => return Err(HallError::NeedsParent),
            (_, Some(parent_id)) => {
                let parent = self.find(parent_id).await?.ok_or(HallError::UnknownParent)?;
                if parent.kind.depth() >= kind.depth() {
                    return Err(HallError::BadNesting { child: kind.as_str(), parent: parent.kind.as_str() });
                }
            }
        }
        let row = HallRow {
            id: uuid::Uuid::now_v7().to_string(),
            name: name.to_owned(),
            kind: kind.as_str().to_owned(),
            parent_id: parent_id.map(str::to_owned),
            created_at: self.clock.now(),
        };
        self.db.insert_hall(&row).await?;
        let detail = serde_json::json!({ "name": row.name, "kind": row.kind, "parent_id": row.parent_id });
        self.audit
            .record(
                actor,
                Event { action: "hall.create", subject_type: "hall", subject_id: Some(row.id.clone()), detail },
            )
            .await?;
        Ok(to_hall(row))
    }

    pub async fn list(&self) -> Result<Vec<Hall>, StoreError> {
        Ok(self.db.list_halls().await?.into_iter().map(to_hall).collect())
    }

    pub async fn find(&self, id: &str) -> Result<Option<Hall>, StoreError> {
        Ok(self.list().await?.into_iter().find(|hall| hall.id == id))
    }

    /// A hall and every hall below it.
    pub async fn subtree(&self, id: &str) -> Result<Vec<Hall>, StoreError> {
        let all = self.list().await?;
        let mut ids = vec![id.to_owned()];
        let mut index = 0;
        while index < ids.len() {
            let parent = ids[index].clone();
            ids.extend(all.iter().filter(|h| h.parent_id.as_deref() == Some(parent.as_str())).map(|h| h.id.clone()));
            index += 1;
        }
        Ok(all.into_iter().filter(|hall| ids.contains(&hall.id)).collect())
    }
}

fn to_hall(row: HallRow) -> Hall {
    Hall {
        id: row.id,
        name: row.name,
        kind: HallKind::parse(&row.kind).unwrap_or(HallKind::Village),
        parent_id: row.parent_id,
    }
}
