//! One-time codes sent by SMS: six digits, single-use, short-lived, with a limited number of wrong
//! entries. Only a keyed hash of each code is kept.
//!
//! Sending is limited per number and purpose (one per interval), per client address, and per number and
//! day from separate allowances, so that nobody can spend a person's codes for them: the second factor
//! and a phone change (asked for by a signed-in person) have an allowance of their own; codes that anyone
//! who knows the number can ask for (SMS sign-in; registration and password reset) count per number and
//! requesting network, under a higher cap per number against SMS bombing. The message is handed to a
//! background delivery, so that the answer takes the same time whether or not the number has an account
//! (for an unknown number nothing is sent at all).

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

    /// The daily allowance a code draws on: anonymous requests never spend the owner's.
    fn allowance(self) -> Allowance {
        match self {
            Self::SecondFactor | Self::ChangePhone => Allowance::Owner,
            Self::Login => Allowance::SignIn,
            Self::Register | Self::ResetPassword => Allowance::Anonymous,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allowance {
    /// Asked for by a signed-in person (or one who has shown their password).
    Owner,
    /// SMS sign-in codes, asked for by anyone who knows the number.
    SignIn,
    /// Registration and password-reset codes, asked for by anyone who knows the number.
    Anonymous,
}

impl Allowance {
    fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::SignIn => "signin",
            Self::Anonymous => "anonymous",
        }
    }
}

/// Codes one number may receive per day from one allowance across all networks, as a multiple of the
/// per-network allowance: the cap against SMS bombing from many networks.
const NETWORKS_PER_NUMBER: i64 = 3;

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
        if !self.within_daily_allowance(purpose.allowance(), phone, ip).await? {
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
        // Delivered in the background: waiting for the gateway would make registered numbers slower to
        // answer than unknown ones. A failed delivery forgets the code, so the person may ask again at once.
        let (sms, ephemeral) = (self.sms.clone(), self.ephemeral.clone());
        tokio::spawn(async move {
            if let Err(error) = sms.send(&message).await {
                tracing::warn!(%error, purpose = purpose.as_str(), "a one-time code could not be delivered");
                let _ = ephemeral.delete(&format!("otp:{context}")).await;
                let _ = ephemeral.delete(&format!("otp-sent:{context}")).await;
            }
        });
        Ok(())
    }

    /// Counts a code against its allowance for the day; false when the allowance is spent. The owner's
    /// allowance is per number; the others are per number and requesting network, under a cap per number.
    async fn within_daily_allowance(
        &self,
        allowance: Allowance,
        phone: &PhoneNumber,
        ip: Option<&str>,
    ) -> Result<bool, OtpError> {
        const DAY_MS: i64 = 86_400_000;
        let limit = self.config.max_per_phone_per_day;
        let number = self.keyring.blind_index(FIELD_PHONE, phone.as_str());
        let per_number = format!("otp-day:{}:{number}", allowance.as_str());
        if allowance == Allowance::Owner {
            return Ok(self.ephemeral.incr(&per_number, DAY_MS).await? <= limit);
        }
        let network = ip.and_then(super::login_history::network_prefix).unwrap_or_else(|| "unknown".to_owned());
        let per_network = format!("{per_number}:{network}");
        if self.ephemeral.incr(&per_network, DAY_MS).await? > limit {
            return Ok(false);
        }
        Ok(self.ephemeral.incr(&per_number, DAY_MS).await? <= limit * NETWORKS_PER_NUMBER)
    }

    /// How long until another code may be sent for this purpose to this number (0: now). Reads only.
    pub async fn resend_wait_secs(&self, purpose: OtpPurpose, phone: &PhoneNumber) -> Result<i64, OtpError> {
        let context = self.context(purpose, phone);
        let Some(sent_at) = self
            .ephemeral
            .get(&format!("otp-sent:{context}"))
            .await?
            .and_then(|b| String::from_utf8(b).ok()?.parse::<i64>().ok())
        else {
            return Ok(0);
        };
        let wait_ms = sent_at + self.config.resend_interval_secs * 1000 - self.clock.now_millis();
        Ok(if wait_ms <= 0 { 0 } else { (wait_ms + 999) / 1000 })
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

    /// Lets the background deliveries run (the test runtime has one thread).
    async fn delivered() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_code_works_once_and_only_for_its_purpose() {
        let (otp, sent, _) = service();
        otp.send(OtpPurpose::Login, &phone(), None, true).await.unwrap();
        delivered().await;
        let code = sent.0.lock().unwrap()[0].clone();
        assert!(matches!(otp.verify(OtpPurpose::Register, &phone(), &code).await, Err(OtpError::Expired)));
        otp.verify(OtpPurpose::Login, &phone(), &code).await.unwrap();
        assert!(matches!(otp.verify(OtpPurpose::Login, &phone(), &code).await, Err(OtpError::Expired)));
    }

    #[tokio::test]
    async fn the_wait_before_another_code_counts_down() {
        let (otp, _, clock) = service();
        assert_eq!(otp.resend_wait_secs(OtpPurpose::Login, &phone()).await.unwrap(), 0, "nothing sent yet");
        otp.send(OtpPurpose::Login, &phone(), None, true).await.unwrap();
        assert_eq!(otp.resend_wait_secs(OtpPurpose::Login, &phone()).await.unwrap(), 60);
        assert_eq!(otp.resend_wait_secs(OtpPurpose::Register, &phone()).await.unwrap(), 0, "per purpose");
        clock.advance_secs(45);
        assert_eq!(otp.resend_wait_secs(OtpPurpose::Login, &phone()).await.unwrap(), 15);
        clock.advance_secs(15);
        assert_eq!(otp.resend_wait_secs(OtpPurpose::Login, &phone()).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn wrong_entries_are_limited_and_codes_expire() {
        let (otp, sent, clock) = service();
        otp.send(OtpPurpose::Login, &phone(), None, true).await.unwrap();
        delivered().await;
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
        delivered().await;
        let code = sent.0.lock().unwrap()[1].clone();
        clock.advance_secs(301);
        assert!(matches!(otp.verify(OtpPurpose::Login, &phone(), &code).await, Err(OtpError::Expired)));
    }

    #[tokio::test]
    async fn sending_is_rate_limited_even_when_nothing_is_delivered() {
        let (otp, sent, clock) = service();
        otp.send(OtpPurpose::Login, &phone(), Some("10.0.0.1"), false).await.unwrap();
        delivered().await;
        assert!(sent.0.lock().unwrap().is_empty());
        assert!(matches!(
            otp.send(OtpPurpose::Login, &phone(), Some("10.0.0.1"), true).await,
            Err(OtpError::TooSoon { .. })
        ));
        for _ in 0..2 {
            clock.advance_secs(61);
            otp.send(OtpPurpose::Login, &phone(), Some("10.0.0.1"), true).await.unwrap();
        }
        clock.advance_secs(61);
        assert!(matches!(
            otp.send(OtpPurpose::Login, &phone(), Some("10.0.0.1"), true).await,
            Err(OtpError::DailyLimit)
        ));
    }

    #[tokio::test]
    async fn anonymous_requests_never_spend_the_owners_codes() {
        let (otp, sent, clock) = service();
        // Registration and reset codes, and sign-in codes from one network, until their allowances end.
        for purpose in [OtpPurpose::Register, OtpPurpose::ResetPassword, OtpPurpose::Login] {
            let mut refused = false;
            for _ in 0..10 {
                clock.advance_secs(61);
                refused |=
                    matches!(otp.send(purpose, &phone(), Some("203.0.113.9"), true).await, Err(OtpError::DailyLimit));
            }
            assert!(refused, "{purpose:?} codes from one network are limited");
        }
        clock.advance_secs(61);
        otp.send(OtpPurpose::SecondFactor, &phone(), Some("203.0.113.9"), true).await.expect("the owner's allowance");
        clock.advance_secs(61);
        otp.send(OtpPurpose::Login, &phone(), Some("198.51.100.4"), true).await.expect("sign-in from another network");
        // Across networks the number has a cap too.
        let mut refused = false;
        for n in 0..20 {
            clock.advance_secs(61);
            let address = format!("192.0.{n}.1");
            refused |=
                matches!(otp.send(OtpPurpose::Login, &phone(), Some(&address), true).await, Err(OtpError::DailyLimit));
        }
        assert!(refused, "no SMS bombing from many networks");
        delivered().await;
        assert!(!sent.0.lock().unwrap().is_empty());
    }

    #[derive(Debug)]
    struct Held(tokio::sync::Notify);

    #[async_trait::async_trait]
    impl crate::sms::SmsSender for Held {
        async fn send(&self, _: &Message) -> Result<(), SmsError> {
            self.0.notified().await;
            Err(SmsError::Timeout)
        }
        fn name(&self) -> &'static str {
            "held"
        }
    }

    #[tokio::test]
    async fn sending_does_not_wait_for_the_gateway_and_a_failed_delivery_can_be_asked_again() {
        let clock = Arc::new(OffsetClock::default());
        let gateway = Arc::new(Held(tokio::sync::Notify::new()));
        let config = OtpConfig { resend_interval_secs: 60, ..OtpConfig::default() };
        let ephemeral = Arc::new(MemoryEphemeral::new(clock.clone()));
        let otp = OtpService::new(ephemeral, gateway.clone(), Keyring::from_data_key(&[1; 32]), clock, config);
        // The gateway holds every message until told; the send answers anyway.
        otp.send(OtpPurpose::Login, &phone(), None, true).await.expect("answered before delivery");
        delivered().await;
        gateway.0.notify_waiters();
        delivered().await;
        otp.send(OtpPurpose::Login, &phone(), None, true).await.expect("after a failed delivery, at once");
    }
}
