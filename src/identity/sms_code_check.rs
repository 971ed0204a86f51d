//! Checking a code sent by SMS, throttled as a password is (per account and per address), whichever flow
//! the code is for: signing in, the second factor, a password reset. The flows' pages only say what the
//! answer means.

use super::accounts::{Accounts, LoginError};
use super::otp::{OtpError, OtpPurpose, OtpService};
use super::phone::PhoneNumber;

/// What a code check found.
#[derive(Debug)]
pub enum CodeCheck {
    Passed,
    /// Too many wrong codes or passwords for this account or address: wait, or the account is locked.
    Throttled {
        retry_after_secs: i64,
        locked: bool,
    },
    /// The code is wrong or expired; counted against the account and the address.
    Refused(OtpError),
}

impl Accounts {
    pub async fn check_sms_code(
        &self,
        otp: &OtpService,
        purpose: OtpPurpose,
        phone: &PhoneNumber,
        code: &str,
        ip: Option<&str>,
    ) -> Result<CodeCheck, LoginError> {
        let keys = self.throttle_keys("sms", phone.as_str(), ip);
        match self.check_throttle(&keys).await {
            Ok(()) => {}
            Err(LoginError::Throttled { retry_after_secs, locked }) => {
                return Ok(CodeCheck::Throttled { retry_after_secs, locked });
            }
            Err(error) => return Err(error),
        }
        match otp.verify(purpose, phone, code).await {
            Ok(()) => {
                self.clear_failures(&keys).await?;
                Ok(CodeCheck::Passed)
            }
            Err(OtpError::Store(error)) => Err(LoginError::Internal(error.into())),
            Err(refused) => {
                self.count_failure(&keys).await?;
                Ok(CodeCheck::Refused(refused))
            }
        }
    }
}
