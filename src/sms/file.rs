//! The development sender: one JSON line per message in `sms-outbox.jsonl`, and a log line with the
//! number masked.

use super::{Message, SmsError, SmsSender};
use crate::clock::SharedClock;
use std::io::Write;
use std::path::PathBuf;
use tokio::sync::Mutex;

pub const OUTBOX_FILE: &str = "sms-outbox.jsonl";

#[derive(Debug)]
pub struct FileSender {
    path: PathBuf,
    clock: SharedClock,
    lock: Mutex<()>,
}

impl FileSender {
    pub fn new(data_dir: &std::path::Path, clock: SharedClock) -> Self {
        Self { path: data_dir.join(OUTBOX_FILE), clock, lock: Mutex::new(()) }
    }
}

#[async_trait::async_trait]
impl SmsSender for FileSender {
    async fn send(&self, message: &Message) -> Result<(), SmsError> {
        let line = serde_json::json!({
            "at": self.clock.now(),
            "to": message.to.as_str(),
            "template": message.template,
            "params": message.params.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(v.clone()))).collect::<serde_json::Map<_, _>>(),
            "text": message.text,
        });
        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            crate::private_files::private_file(&path)?;
            let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
            writeln!(file, "{line}")
        })
        .await
        .map_err(|e| SmsError::Outbox(e.to_string()))?
        .map_err(|e| SmsError::Outbox(e.to_string()))?;
        tracing::info!(to = %message.to.masked(), template = message.template, text = %message.text, "SMS written to the development outbox");
        Ok(())
    }

    fn name(&self) -> &'static str {
        "file"
    }
}
