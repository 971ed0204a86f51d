//! Sending text messages. The sender is an interface with two implementations: an HTTP gateway adapter
//! for production (URL, credentials, timeout and retries from config) and a development sender that
//! appends each message to a file in the data directory and to the log. Phone numbers are masked in the
//! log; the file is the developer's outbox and holds them in full.

mod file;
mod http;

pub use file::FileSender;
pub use http::HttpGateway;

use crate::identity::phone::PhoneNumber;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Message {
    pub to: PhoneNumber,
    /// A template name the gateway may map to an approved template (Chinese carriers require them).
    pub template: &'static str,
    pub params: Vec<(&'static str, String)>,
    /// The full text, for gateways that take free text and for the development outbox.
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("the SMS gateway did not answer in time")]
    Timeout,
    #[error("the SMS gateway refused the message: {0}")]
    Refused(String),
    #[error("the SMS gateway is unreachable: {0}")]
    Unreachable(String),
    #[error("the development outbox could not be written: {0}")]
    Outbox(String),
}

#[async_trait::async_trait]
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    async fn send(&self, message: &Message) -> Result<(), SmsError>;
    /// Which adapter this is, for logs and health output.
    fn name(&self) -> &'static str;
}

pub type SharedSms = Arc<dyn SmsSender>;

/// Tells a person about a change to their account (`account_notice`). A notice that cannot be sent is
/// logged, not fatal: the change itself has happened and is in the audit log.
pub async fn send_account_notice(sms: &dyn SmsSender, to: &PhoneNumber, text: &str) {
    let message = Message {
        to: to.clone(),
        template: "account_notice",
        params: vec![("text", text.to_owned())],
        text: format!("【统一身份认证平台】{text}"),
    };
    if let Err(error) = sms.send(&message).await {
        tracing::warn!(%error, "could not send an account notice");
    }
}
