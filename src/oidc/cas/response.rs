//! The validation responses of CAS 3.0 (§2.5.2, §2.6.2, Appendix A and the JSON form of §2.5.5): the
//! XML every CAS client parses, or JSON when the service asks for `format=JSON`.

use serde_json::{Value, json};

/// The failure codes of §2.5.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCode {
    InvalidRequest,
    InvalidTicketSpec,
    InvalidTicket,
    InvalidService,
    InternalError,
}

impl FailureCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::InvalidTicketSpec => "INVALID_TICKET_SPEC",
            Self::InvalidTicket => "INVALID_TICKET",
            Self::InvalidService => "INVALID_SERVICE",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: FailureCode,
    pub description: String,
}

impl Failure {
    pub fn new(code: FailureCode, description: impl Into<String>) -> Self {
        Self { code, description: description.into() }
    }
}

/// A validated ticket: the user (the service's subject for the person) and the released attributes, in
/// order, each with one or more values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    pub user: String,
    pub attributes: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

impl Format {
    /// `format` as §2.5.1 defines it (XML by default); None for another value.
    pub fn parse(value: Option<&str>) -> Option<Self> {
        match value {
            None | Some("") => Some(Self::Xml),
            Some(v) if v.eq_ignore_ascii_case("xml") => Some(Self::Xml),
            Some(v) if v.eq_ignore_ascii_case("json") => Some(Self::Json),
            Some(_) => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Xml => "application/xml; charset=utf-8",
            Self::Json => "application/json",
        }
    }
}

pub fn render(outcome: &Result<Success, Failure>, format: Format) -> String {
    match (outcome, format) {
        (Ok(success), Format::Xml) => {
            let mut xml = String::from("<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n");
            xml.push_str("  <cas:authenticationSuccess>\n");
            xml.push_str(&format!("    <cas:user>{}</cas:user>\n", escape(&success.user)));
            xml.push_str("    <cas:attributes>\n");
            for (name, values) in &success.attributes {
                for value in values {
                    xml.push_str(&format!("      <cas:{name}>{}</cas:{name}>\n", escape(value)));
                }
            }
            xml.push_str("    </cas:attributes>\n  </cas:authenticationSuccess>\n</cas:serviceResponse>\n");
            xml
        }
        (Err(failure), Format::Xml) => format!(
            "<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n  <cas:authenticationFailure \
             code=\"{}\">{}</cas:authenticationFailure>\n</cas:serviceResponse>\n",
            failure.code.as_str(),
            escape(&failure.description)
        ),
        (Ok(success), Format::Json) => {
            let attributes: serde_json::Map<String, Value> = success
                .attributes
                .iter()
                .map(|(name, values)| {
                    let value = if values.len() == 1 { json!(values[0]) } else { json!(values) };
                    (name.clone(), value)
                })
                .collect();
            json!({ "serviceResponse": { "authenticationSuccess": {
                "user": success.user, "attributes": attributes } } })
            .to_string()
        }
        (Err(failure), Format::Json) => json!({ "serviceResponse": { "authenticationFailure": {
            "code": failure.code.as_str(), "description": failure.description } } })
        .to_string(),
    }
}

/// The CAS 1.0 answer of `/validate` (§2.4.2): "yes" and the user, or "no".
pub fn render_v1(outcome: &Result<Success, Failure>) -> String {
    match outcome {
        Ok(success) => format!("yes\n{}\n", success.user),
        Err(_) => "no\n\n".to_owned(),
    }
}

/// Text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// An attribute's text: strings as they are, other JSON values as JSON.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A unix time as ISO 8601 in UTC, as CAS clients read `authenticationDate`.
pub fn iso_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_carries_every_value_of_every_attribute_escaped() {
        let success = Success {
            user: "u<1>".into(),
            attributes: vec![("name".into(), vec!["张 & 三".into()]), ("amr".into(), vec!["pwd".into(), "mfa".into()])],
        };
        let xml = render(&Ok(success.clone()), Format::Xml);
        assert!(xml.contains("<cas:user>u&lt;1&gt;</cas:user>"), "{xml}");
        assert!(xml.contains("<cas:name>张 &amp; 三</cas:name>"), "{xml}");
        assert!(xml.contains("<cas:amr>pwd</cas:amr>") && xml.contains("<cas:amr>mfa</cas:amr>"), "{xml}");
        let json: Value = serde_json::from_str(&render(&Ok(success), Format::Json)).unwrap();
        let body = &json["serviceResponse"]["authenticationSuccess"];
        assert_eq!(body["user"], "u<1>");
        assert_eq!(body["attributes"]["amr"], json!(["pwd", "mfa"]));
        assert_eq!(body["attributes"]["name"], "张 & 三");
    }

    #[test]
    fn failure_names_its_code() {
        let failure = Failure::new(FailureCode::InvalidService, "ticket \"x\" <bad>");
        let xml = render(&Err(failure.clone()), Format::Xml);
        assert!(xml.contains("code=\"INVALID_SERVICE\">ticket &quot;x&quot; &lt;bad&gt;<"), "{xml}");
        let json: Value = serde_json::from_str(&render(&Err(failure), Format::Json)).unwrap();
        assert_eq!(json["serviceResponse"]["authenticationFailure"]["code"], "INVALID_SERVICE");
        assert_eq!(render_v1(&Err(Failure::new(FailureCode::InvalidTicket, "x"))), "no\n\n");
        assert_eq!(Format::parse(Some("yaml")), None);
        assert_eq!(Format::parse(Some("json")), Some(Format::Json));
    }
}
