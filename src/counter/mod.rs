//! The counter: service halls and their staff, and the in-person work done at a desk — checking a person's
//! document and face, registering someone without an account, resetting lost credentials, verifying an
//! organisation (confirmed by a second staff member), and revoking a verification. Every action is
//! audited with the staff member and hall.

pub mod codes;
pub mod desk;
pub mod enrolment;
pub mod halls;
pub mod reclaim;
pub mod reset;

pub use codes::{CodePurpose, CounterCodes};
pub use desk::{Desk, DeskError, InPersonCheck, StaffSeat};
pub use enrolment::{EnrolmentCodes, EnrolmentError, Issuer};
pub use halls::{Hall, HallKind, Halls};
pub use reset::PendingReset;
