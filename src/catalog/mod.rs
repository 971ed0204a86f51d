//! The department catalog: departments, their business systems and the OIDC clients those integrate
//! through, the service items (事项) each system handles, and the connection-rate reports built on them.

pub mod demo;
pub mod dimension;
pub mod import;
pub mod integration;
pub mod report;
pub mod report_query;
pub mod sandbox_link;
pub mod service;
pub mod themes;
pub mod usage;

pub use service::{Catalog, CatalogError, Scope};

use serde::Serialize;

/// Generates the string conversions of a catalog enumeration: its stored name, its parse, and ALL.
macro_rules! named {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == value)
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum DepartmentLevel {
    City,
    District,
    Town,
}
named!(DepartmentLevel { City => "city", District => "district", Town => "town" });

/// 行政许可 (administrative licence) or 公共服务 (public service).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ItemKind {
    Licence,
    PublicService,
}
named!(ItemKind { Licence => "licence", PublicService => "public_service" });

/// Who a service item serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Audience {
    Person,
    Legal,
    Both,
}
named!(Audience { Person => "person", Legal => "legal", Both => "both" });

/// Whether a business system is the city's own or a national or provincial vertical system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Vertical {
    Local,
    Provincial,
    National,
}
named!(Vertical { Local => "local", Provincial => "provincial", National => "national" });

/// The designated pages whose use the source document measures: the enterprise page and the citizen page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Portal {
    None,
    Enterprise,
    Citizen,
}
named!(Portal { None => "none", Enterprise => "enterprise", Citizen => "citizen" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ItemStatus {
    Active,
    Withdrawn,
}
named!(ItemStatus { Active => "active", Withdrawn => "withdrawn" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub level: DepartmentLevel,
    pub parent_id: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

impl Department {
    /// Whom to call at the department: the contact's name and phone, as far as they are known.
    pub fn contact(&self) -> String {
        [self.contact_name.as_deref(), self.contact_phone.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BusinessSystem {
    pub id: String,
    pub department_id: String,
    pub name: String,
    pub vertical: Vertical,
    pub portal: Portal,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceItem {
    pub code: String,
    pub name: String,
    pub kind: ItemKind,
    pub audience: Audience,
    pub themes: Vec<String>,
    pub department_id: String,
    pub system_id: Option<String>,
    pub status: ItemStatus,
}
