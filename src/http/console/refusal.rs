//! What a console form says when the catalog, the halls or the roles refuse it, in the page's language.
//! A store failure is not a refusal: it stays an error and becomes the error page.

use crate::catalog::service::{CatalogError, Named};
use crate::counter::halls::HallError;
use crate::http::i18n::Tr;
use crate::identity::roles::RoleError;

/// The form message for a refused catalog change, or None when the error is not the person's to fix.
pub fn catalog_message(tr: Tr, error: &CatalogError) -> Option<String> {
    let key = match error {
        CatalogError::BadName(Named::Department) => "console.error.department_name",
        CatalogError::BadName(Named::System) => "console.error.system_name",
        CatalogError::BadLevel => "console.error.level",
        CatalogError::UnknownParent => "console.error.unknown_parent",
        CatalogError::DuplicateDepartment(name) => {
            return Some(tr.t("console.error.duplicate_department").replace("%{name}", name));
        }
        CatalogError::BadVertical => "console.error.vertical",
        CatalogError::BadPortal => "console.error.portal",
        CatalogError::DuplicateSystem(name) => {
            return Some(tr.t("console.error.duplicate_system").replace("%{name}", name));
        }
        CatalogError::PlatformOnly => "console.error.platform_only",
        CatalogError::NotFound => "console.error.not_found",
        CatalogError::Role(error) => return role_message(tr, error),
        CatalogError::Import(_) | CatalogError::Client(_) | CatalogError::Store(_) => return None,
    };
    Some(tr.t(key))
}

/// The form message for a refused hall, or None for a store failure.
pub fn hall_message(tr: Tr, error: &HallError) -> Option<String> {
    let key = match error {
        HallError::MissingName => "console.error.hall_name",
        HallError::NeedsParent => "console.error.needs_parent",
        HallError::UnknownParent => "console.error.unknown_hall",
        HallError::BadNesting { .. } => "console.error.nesting",
        HallError::Store(_) => return None,
    };
    Some(tr.t(key))
}

/// The form message for a refused role change, or None for a store failure.
pub fn role_message(tr: Tr, error: &RoleError) -> Option<String> {
    let key = match error {
        RoleError::MissingScope(_) => "console.error.role_scope",
        RoleError::NotAdministrator => "console.error.not_administrator",
        RoleError::Store(_) => return None,
    };
    Some(tr.t(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::i18n::Locale;
    use crate::store::StoreError;

    fn store() -> StoreError {
        StoreError::Corrupt("x".into())
    }

    /// Every message in Chinese holds Chinese text and no catalog key; in English it differs from Chinese.
    fn reads_in_both(what: &str, message: impl Fn(Tr) -> Option<String>) {
        let zh = message(Tr(Locale::ZhCn)).unwrap_or_else(|| panic!("{what}: no message"));
        assert!(!zh.is_ascii() && !zh.contains("console.error."), "{what} in Chinese: {zh}");
        let en = message(Tr(Locale::En)).unwrap();
        assert!(!en.contains("console.error.") && en != zh, "{what} in English: {en}");
    }

    #[test]
    fn every_catalog_refusal_reads_in_the_pages_language_and_a_store_failure_is_no_refusal() {
        let refusals = [
            CatalogError::BadName(Named::Department),
            CatalogError::BadName(Named::System),
            CatalogError::BadLevel,
            CatalogError::UnknownParent,
            CatalogError::DuplicateDepartment("市民政局".into()),
            CatalogError::BadVertical,
            CatalogError::BadPortal,
            CatalogError::DuplicateSystem("婚姻登记系统".into()),
            CatalogError::PlatformOnly,
            CatalogError::NotFound,
            CatalogError::Role(RoleError::NotAdministrator),
        ];
        for error in &refusals {
            reads_in_both(&format!("{error:?}"), |tr| catalog_message(tr, error));
        }
        let named = catalog_message(Tr(Locale::ZhCn), &CatalogError::DuplicateSystem("婚姻登记系统".into())).unwrap();
        assert!(named.contains("婚姻登记系统"), "the message names the system: {named}");
        assert!(catalog_message(Tr(Locale::ZhCn), &CatalogError::Store(store())).is_none());
        assert!(catalog_message(Tr(Locale::ZhCn), &CatalogError::Role(RoleError::Store(store()))).is_none());
    }

    #[test]
    fn every_hall_and_role_refusal_reads_in_the_pages_language() {
        let halls = [
            HallError::MissingName,
            HallError::NeedsParent,
            HallError::UnknownParent,
            HallError::BadNesting { child: "town", parent: "city" },
        ];
        for error in &halls {
            reads_in_both(&format!("{error:?}"), |tr| hall_message(tr, error));
        }
        assert!(hall_message(Tr(Locale::En), &HallError::Store(store())).is_none());
        for error in [RoleError::MissingScope("hall_staff"), RoleError::NotAdministrator] {
            reads_in_both(&format!("{error:?}"), |tr| role_message(tr, &error));
        }
        assert!(role_message(Tr(Locale::En), &RoleError::Store(store())).is_none());
    }
}
