//! One-time codes sent by SMS: six digits, single-use, short-lived, with a limited number of wrong
//! entries. Sending is limited per number (one per interval, a daily cap) and per client address. Only a
//! keyed hash of each code is kept.

use super::person::FIELD_PHONE;
use super::phone::PhoneNumber;
use crate::clock::SharedClock;
use crate::config::OtpConfig;
use crate::crypto::Keyring;
use crate::sms::{Message, SharedSms, SmsError};
use crate::store::{EphemeralExt, SharedEphemeral, StoreError};
use rand::Rng;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpPurpose {
    Register,
    Login,
    ResetPassword,
    ChangePhone,
    SecondFactor,
}

impl OtpPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
            Self::ResetPassword => "reset_password",
            Self::ChangePhone => "change_phone",
            Self::SecondFactor => "second_factor",
        }
    }

    fn action_text(self) -> &'static str {
        match self {
            Self::Register => "注册账号",
            Self::Login | Self::SecondFactor => "登录",
            Self::ResetPassword => "重设密码",
            Self::ChangePhone => "更换手机号",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    #[error("a code was sent moments ago; wait {secs} seconds before asking for another")]
    TooSoon { secs: i64 },
    #[error("too many codes were sent to this number today; try again tomorrow or visit a service hall")]
    DailyLimit,
    #[error("too many codes were requested from this network; try again later")]
    AddressLimit,
    #[error("the code is wrong; {remaining} attempts left")]
    Wrong { remaining: i64 },
    #[error("the code has expired or was used too many times; ask for a new one")]
    Expired,
    #[error("the message could not be sent: {0}")]
    Send(#[from] SmsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    digest: String,
    attempts: i64,
    expires_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct OtpService {
    ephemeral: SharedEphemeral,
    sms: SharedSms,
    keyring: Keyring,
    clock: SharedClock,
    config: OtpConfig,
}

impl OtpService {
    pub fn new(
        ephemeral: SharedEphemeral,
        sms: SharedSms,
        keyring: Keyring,
        clock: SharedClock,
        config: OtpConfig,
    ) -> Self {
        Self { ephemeral, sms, keyring, clock, config }
    }

    /// How long a code lives, in whole minutes, for the messages that say so.
    pub fn code_minutes(&self) -> i64 {
        (self.config.code_ttl_secs + 59) / 60
    }

    pub fn sender_name(&self) -> &'static str {
        self.sms.name()
    }

    fn context(&self, purpose: OtpPurpose, phone: &PhoneNumber) -> String {
        format!("{}:{}", purpose.as_str(), self.keyring.blind_index(FIELD_PHONE, phone.as_str()))
    }

    /// Issues a code. With `deliver` false (no account behind the number, where saying so would reveal
    /// it) every limit is still applied and counted, but nothing is sent.
    pub async fn send(
        &self,
        purpose: OtpPurpose,
        phone: &PhoneNumber,
        ip: Option<&str>,
        deliver: bool,
    ) -> Result<(), OtpError> {
        let context = self.context(purpose, phone);
        let now_ms = self.clock.now_millis();
        let interval_ms = self.config.resend_interval_secs * 1000;
        if !self.ephemeral.put_new(&format!("otp-sent:{context}"), now_ms.to_string().as_bytes(), interval_ms).await? {
            let sent_at: i64 = self
                .ephemeral
                .get(&format!("otp-sent:{context}"))
                .await?
                .and_then(|b| String::from_utf8(b).ok()?.parse().ok())
                .unwrap_or(now_ms);
            return Err(OtpError::TooSoon { secs: ((sent_at + interval_ms - now_ms) / 1000).max(1) });
        }
        let phone_key = format!("otp-day:{}", self.keyring.blind_index(FIELD_PHONE, phone.as_str()));
        if self.ephemeral.incr(&phone_key, 86_400_000).await? > self.config.max_per_phone_per_day {
            return Err(OtpError::DailyLimit);
        }
        if let Some(ip) = ip
            && self.ephemeral.incr(&format!("otp-ip:{ip}"), 3_600_000).await? > self.config.max_per_ip_per_hour
        {
            return Err(OtpError::AddressLimit);
        }
        let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
        let ttl_ms = self.config.code_ttl_secs * 1000;
        let pending =
            Pending { digest: self.keyring.otp_digest(&context, &code), attempts: 0, expires_at_ms: now_ms + ttl_ms };
        self.ephemeral.put_json(&format!("otp:{context}"), &pending, ttl_ms).await?;
        if !deliver {
            return Ok(());
        }
        let minutes = (self.config.code_ttl_secs + 59) / 60;
        let message = Message {
            to: phone.clone(),
            template: "one_time_code",
            params: vec![
                ("code", code.clone()),
                ("action", purpose.action_text().to_owned()),
                ("minutes", minutes.to_string()),
            ],
            text: format!(
                "【统一身份认证平台】您正在{}，验证码 {code}，{minutes}分钟内有效。请勿将验证码告诉任何人。",
                purpose.action_text()
            ),
        };
        if let Err(error) = self.sms.send(&message).await {
            self.ephemeral.delete(&format!("otp:{context}")).await?;
            self.ephemeral.delete(&format!("otp-sent:{context}")).await?;
            return Err(error.into());
        }
        Ok(())
    }

    /// Checks a code; a correct one is consumed, a wrong one counts against the attempts.
    pub async fn verify(&self, purpose: OtpPurpose, phone: &PhoneNumber, code: &str) -> Result<(), OtpError> {
        let context = self.context(purpose, phone);
        let key = format!("otp:{context}");
        let Some(mut pending) = self.ephemeral.get_json::<Pending>(&key).await? else {
            return Err(OtpError::Expired);
        };
        let now_ms = self.clock.now_millis();
        if pending.expires_at_ms <= now_ms || pending.attempts >= self.config.max_attempts {
            self.ephemeral.delete(&key).await?;
            return Err(OtpError::Expired);
        }
        let digest = self.keyring.otp_digest(&context, code.trim());
        if bool::from(digest.as_bytes().ct_eq(pending.digest.as_bytes())) {
            // Taking it makes the code single-use even against two simultaneous correct entries.
            return match self.ephemeral.take(&key).await? {
                Some(_) => Ok(()),
                None => Err(OtpError::Expired),
            };
        }
        pending.attempts += 1;
        let remaining = self.config.max_attempts - pending.attempts;
        if remaining <= 0 {
            self.ephemeral.delete(&key).await?;
            return Err(OtpError::Expired);
        }
        self.ephemeral.put_json(&key, &pending, pending.expires_at_ms - now_ms).await?;
        Err(OtpError::Wrong { remaining })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OffsetClock;
    use crate::store::ephemeral::MemoryEphemeral;
    use std::sync::{Arc, Mutex};

    #[derive(Debug, Default)]
    struct Recorder(Mutex<Vec<String>>);

    #[async_trait::async_trait]
    impl crate::sms::SmsSender for Recorder {
        async fn send(&self, message: &Message) -> Result<(), SmsError> {
            self.0.lock().unwrap().push(message.params[0].1.clone());
            Ok(())
        }
        fn name(&self) -> &'static str {
            "recorder"
        }
    }

    fn service() -> (OtpService, Arc<Recorder>, Arc<OffsetClock>) {
        let clock = Arc::new(OffsetClock::default());
        let recorder = Arc::new(Recorder::default());
        let config = OtpConfig {
            code_ttl_secs: 300,
            max_attempts: 3,
            resend_interval_secs: 60,
            max_per_phone_per_day: 3,
            max_per_ip_per_hour: 10,
        };
        let service = OtpService::new(
            Arc::new(MemoryEphemeral::new(clock.clone())),
            recorder.clone(),
            Keyring::from_data_key(&[1; 32]),
            clock.clone(),
            config,
        );
        (service, recorder, clock)
    }

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("13800138000").unwrap()
    }

    #[tokio::test]
    async fn a_code_works_once_and_only_for_its_purpose() {
        let (otp, sent, _) = service();
        otp.send(OtpPurpose::Login, &phone(), None, true).await.unwrap();
        let code = sent.0.lock().unwrap()[0].clone();
        assert!(matches!(otp.verify(OtpPurpose::Register, &phone(), &code).await, Err(OtpError::Expired)));
        otp.verify(OtpPurpose::Login, &phone(), &code).await.unwrap();
        assert!(matches!(otp.verify(OtpPurpose::Login, &phone(), &code).await, Err(OtpError::Expired)));
    }

    #[tokio::test]
    async fn wrong_entries_are_limited_and_codes_expire() {
        let (otp, sent, clock) = service();
        otp.send(OtpPurpose::Login, &phone(), None, true).await.unwrap();
        let code = sent.0.lock().unwrap()[0].clone();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert!(matches!(otp.verify(OtpPurpose::Login, &phone(), wrong).await, Err(OtpError::Wrong { remaining: 2 })));
        assert!(matches!(otp.verify(OtpPurpose::Login, &phone(), wrong).await, Err(OtpError::Wrong { remaining: 1 })));
        assert!(matches!(otp.verify(OtpPurpose::Login, &phone(), wrong).await, Err(OtpError::Expired)));
        assert!(
            matches!(otp.verify(OtpPurpose::Login, &phone(), &code).await, Err(OtpError::Expired)),
            "void after the attempts"
        );
        clock.advance_secs(61);
        otp.send(OtpPurpose::Login, &phone(), None, true).await.unwrap();
        let code = sent.0.lock().unwrap()[1].clone();
        clock.advance_secs(301);
        assert!(matches!(otp.verify(OtpPurpose::Login, &phone(), &code).await, Err(OtpError::Expired)));
    }

    #[tokio::test]
    async fn sending_is_rate_limited_even_when_nothing_is_delivered() {
        let (otp, sent, clock) = service();
        otp.send(OtpPurpose::Login, &phone(), Some("10.0.0.1"), false).await.unwrap();
        assert!(sent.0.lock().unwrap().is_empty());
        assert!(matches!(otp.send(OtpPurpose::Login, &phone(), None, true).await, Err(OtpError::TooSoon { .. })));
        for _ in 0..2 {
            clock.advance_secs(61);
            otp.send(OtpPurpose::Login, &phone(), None, true).await.unwrap();
        }
        clock.advance_secs(61);
        assert!(matches!(otp.send(OtpPurpose::Login, &phone(), None, true).await, Err(OtpError::DailyLimit)));
    }
}
