//! A register kept in `register.json` in the data directory, for development and tests:
//! `{"people": [{"id_number": "…", "name": "…", "photo_sha256": "…"}]}`. A face matches when the SHA-256 of
//! the submitted image equals the person's `photo_sha256`. The file is read on every check, so tests and
//! developers can change it while yimen runs.

use super::{Register, RegisterAnswer, RegisterError};
use serde::Deserialize;
use std::path::PathBuf;

pub const REGISTER_FILE: &str = "register.json";

#[derive(Debug)]
pub struct FileRegister {
    path: PathBuf,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    people: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    id_number: String,
    name: String,
    #[serde(default)]
    photo_sha256: Option<String>,
}

impl FileRegister {
    pub fn new(data_dir: &std::path::Path) -> Self {
        Self { path: data_dir.join(REGISTER_FILE) }
    }

    async fn find(&self, id_number: &str) -> Result<Option<Entry>, RegisterError> {
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(RegisterError::Unavailable(error.to_string())),
        };
        let file: File =
            serde_json::from_str(&text).map_err(|e| RegisterError::Unavailable(format!("{REGISTER_FILE}: {e}")))?;
        Ok(file.people.into_iter().find(|entry| entry.id_number.eq_ignore_ascii_case(id_number)))
    }
}

#[async_trait::async_trait]
impl Register for FileRegister {
    async fn check_identity(&self, name: &str, id_number: &str) -> Result<RegisterAnswer, RegisterError> {
        Ok(match self.find(id_number).await? {
            None => RegisterAnswer::NotFound,
            Some(entry) if entry.name == name => RegisterAnswer::Match,
            Some(_) => RegisterAnswer::Mismatch,
        })
    }

    async fn check_face(&self, id_number: &str, image: &[u8]) -> Result<RegisterAnswer, RegisterError> {
        let digest: String = crate::crypto::sha256(image).iter().map(|b| format!("{b:02x}")).collect();
        Ok(match self.find(id_number).await? {
            None => RegisterAnswer::NotFound,
            Some(entry) if entry.photo_sha256.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(&digest)) => {
                RegisterAnswer::Match
            }
            Some(_) => RegisterAnswer::Mismatch,
        })
    }

    fn name(&self) -> &'static str {
        "file"
    }
}
