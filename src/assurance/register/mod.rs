//! The authoritative register that online verification asks: does this name match this identity
//! number, and does this face match the register's photo? An interface with an HTTP adapter for the real
//! service and a file-backed one for development and tests; the adapter that answered is recorded.

mod file;
mod http;

pub use file::FileRegister;
pub use http::HttpRegister;

use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterAnswer {
    Match,
    Mismatch,
    /// The register holds no one with this identity number.
    NotFound,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("the register did not answer in time")]
    Timeout,
    #[error("the register is unavailable: {0}")]
    Unavailable(String),
    #[error("the register refused the request: {0}")]
    Refused(String),
}

#[async_trait::async_trait]
pub trait Register: Send + Sync + std::fmt::Debug {
    async fn check_identity(&self, name: &str, id_number: &str) -> Result<RegisterAnswer, RegisterError>;
    async fn check_face(&self, id_number: &str, image: &[u8]) -> Result<RegisterAnswer, RegisterError>;
    fn name(&self) -> &'static str;
}

pub type SharedRegister = Arc<dyn Register>;
