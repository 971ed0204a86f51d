//! The most common passwords, refused at registration and password change. The list is Django's 20,000
//! most common passwords (itself from Royce Williams' analysis of breach corpora) plus passwords common
//! among Chinese users, keeping only entries long enough to pass the length rule.

use std::collections::HashSet;
use std::sync::LazyLock;

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().filter(|line| !line.is_empty()).collect());

pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.trim().to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    #[test]
    fn knows_western_and_chinese_favourites() {
        for password in ["password123", "Password123", "woaini1314", "1qaz2wsx", "88888888"] {
            assert!(super::is_common(password), "{password}");
        }
        assert!(!super::is_common("lantern-quilt-9-harbour"));
    }
}
