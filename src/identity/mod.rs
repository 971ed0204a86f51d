//! People and how they prove who they are: accounts, identity numbers (GB 11643 resident IDs, GB 32100
//! credit codes), phone numbers, passwords and SSO login sessions. Protocol concerns live in `oidc`.

pub mod account_changes;
pub mod accounts;
pub mod amr;
mod common_passwords;
pub mod document;
pub mod hashing_threads;
pub mod login;
pub mod login_history;
pub mod login_session;
pub mod organisation;
pub mod otp;
pub mod passkeys;
pub mod password;
mod password_check;
pub mod password_context;
pub mod person;
pub mod phone;
pub mod resident_id;
pub mod roles;
pub mod sign_out;
pub mod sms_code_check;
pub mod throttle;
pub mod uscc;

pub use accounts::{AccountError, Accounts, LoginError, NewCitizen};
pub use login_session::{LoginOrigin, LoginSession, LoginSessions};
pub use person::Person;
