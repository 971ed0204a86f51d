//! What an upstream asserts about a person, read from its claims through the configured paths: its
//! identifier for them, the real name, the resident ID number (checked, GB 11643), and the evidence its
//! level counts as here.

use super::FederationError;
use crate::config::UpstreamConfig;
use crate::identity::document::IdDocument;
use crate::identity::organisation::MemberRole;
use crate::identity::resident_id::ResidentId;
use crate::identity::uscc::Uscc;
use serde_json::{Map, Value};

/// The level mapping's entry for any value it does not name, and for no value.
pub const ANY_LEVEL: &str = "*";

#[derive(Debug, Clone)]
pub struct Asserted {
    pub upstream: String,
    pub subject: String,
    pub name: String,
    pub document: IdDocument,
    /// The upstream's own level, as it said it (for the audit trail).
    pub level: Option<String>,
    /// The evidence methods that level counts as here.
    pub methods: Vec<String>,
    /// The upstream says it saw two factors (its `amr` has `mfa`, RFC 8176).
    pub two_factors: bool,
    /// The organisation the upstream says the person acts for, and in which role.
    pub organisation: Option<AssertedOrganisation>,
}

#[derive(Debug, Clone)]
pub struct AssertedOrganisation {
    pub uscc: Uscc,
    pub name: String,
    pub role: MemberRole,
}

impl Asserted {
    pub fn read(config: &UpstreamConfig, claims: &Map<String, Value>, today: u32) -> Result<Self, FederationError> {
        let paths = &config.claims;
        let text = |path: &str| lookup(claims, path).filter(|value| !value.trim().is_empty());
        let subject = text(&paths.subject).ok_or(FederationError::MissingClaim("subject"))?;
        let name = text(&paths.name).ok_or(FederationError::MissingClaim("name"))?;
        let name = crate::identity::person::parse_name(&name).map_err(|_| FederationError::MissingClaim("name"))?;
        let number = text(&paths.id_number).ok_or(FederationError::MissingClaim("id_number"))?;
        let id = ResidentId::parse(&number, today).map_err(|_| FederationError::InvalidIdNumber)?;
        let level = (!paths.level.is_empty()).then(|| text(&paths.level)).flatten();
        let methods = level
            .as_deref()
            .and_then(|level| config.levels.get(level))
            .or_else(|| config.levels.get(ANY_LEVEL))
            .cloned()
            .unwrap_or_default();
        Ok(Self {
            upstream: config.id.clone(),
            subject,
            name,
            document: IdDocument::from_resident_id(id),
            level,
            methods,
            two_factors: claims
                .get("amr")
                .and_then(Value::as_array)
                .is_some_and(|methods| methods.iter().any(|m| m.as_str() == Some("mfa"))),
            organisation: organisation(config, claims),
        })
    }
}

/// The organisation in the claims, if the upstream is configured to release one and released a valid one;
/// one that cannot be used is logged and left out (the person still signs in as themselves).
fn organisation(config: &UpstreamConfig, claims: &Map<String, Value>) -> Option<AssertedOrganisation> {
    let paths = config.organisation.as_ref()?;
    let code = lookup(claims, &paths.uscc)?;
    let Ok(uscc) = Uscc::parse(&code) else {
        tracing::warn!(upstream = %config.id, "the upstream released an organisation whose credit code is not valid; ignored");
        return None;
    };
    let said = lookup(claims, &paths.role).unwrap_or_default();
    let Some(role) = paths.roles.get(&said).and_then(|role| MemberRole::parse(role)) else {
        tracing::warn!(upstream = %config.id, role = %said, "the upstream released an organisation role that is not mapped; ignored");
        return None;
    };
    let name = lookup(claims, &paths.name).filter(|n| !n.trim().is_empty()).unwrap_or_else(|| uscc.as_str().to_owned());
    Some(AssertedOrganisation { uscc, name, role })
}

/// The value at a dotted path (`userobj.idcardno`) as text; numbers are written out.
fn lookup(claims: &Map<String, Value>, path: &str) -> Option<String> {
    let mut parts = path.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn legacy() -> UpstreamConfig {
        toml::from_str(
            r#"
            id = "gd"
            name = "省平台"
            name_en = "Province"
            protocol = "oauth2-userinfo"
            authorization_endpoint = "https://tyrz.example/oauth2/authorize"
            token_endpoint = "https://tyrz.example/oauth2/access_token"
            userinfo_endpoint = "https://tyrz.example/oauth2/tokeninfo"
            client_id = "city"
            max_acr = "urn:yimen:loa:3"
            [claims]
            subject = "userobj.uid"
            name = "userobj.name"
            id_number = "userobj.idcardno"
            level = "userobj.authlevel"
            [levels]
            "2" = ["register_match"]
            "*" = []
            "#,
        )
        .unwrap()
    }

    #[test]
    fn nested_claims_and_numeric_levels_are_read_through_their_paths() {
        let claims =
            json!({ "userobj": { "uid": 88123, "name": "张三", "idcardno": "11010519491231002x", "authlevel": 2 } });
        let asserted = Asserted::read(&legacy(), claims.as_object().unwrap(), 20261201).unwrap();
        assert_eq!(asserted.subject, "88123");
        assert_eq!(asserted.document.number(), "11010519491231002X");
        assert_eq!(asserted.methods, vec!["register_match".to_owned()]);

        let unknown_level =
            json!({ "userobj": { "uid": "u", "name": "张三", "idcardno": "11010519491231002X", "authlevel": "9" } });
        assert!(Asserted::read(&legacy(), unknown_level.as_object().unwrap(), 20261201).unwrap().methods.is_empty());
    }

    #[test]
    fn a_missing_or_invalid_id_number_is_refused() {
        let missing = json!({ "userobj": { "uid": "u", "name": "张三" } });
        let error = Asserted::read(&legacy(), missing.as_object().unwrap(), 20261201).unwrap_err();
        assert!(matches!(error, FederationError::MissingClaim("id_number")), "{error}");
        let wrong_check_digit = json!({ "userobj": { "uid": "u", "name": "张三", "idcardno": "110105194912310021" } });
        let error = Asserted::read(&legacy(), wrong_check_digit.as_object().unwrap(), 20261201).unwrap_err();
        assert!(matches!(error, FederationError::InvalidIdNumber), "{error}");
    }
}
