//! The login history a person sees (time, system, method, approximate origin). Addresses are kept only
//! as a network prefix: enough to recognise "that was not me", not enough to locate anyone.

use crate::clock::SharedClock;
use crate::store::login_events::LoginEventRow;
use crate::store::{Database, StoreError};
use std::net::IpAddr;

pub struct LoginRecord<'a> {
    pub person_id: &'a str,
    pub client_id: Option<&'a str>,
    pub methods: &'a [super::amr::Amr],
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct LoginHistory {
    db: Database,
    clock: SharedClock,
}

impl LoginHistory {
    pub fn new(db: Database, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    pub async fn record(&self, record: LoginRecord<'_>) -> Result<(), StoreError> {
        let row = LoginEventRow {
            id: uuid::Uuid::now_v7().to_string(),
            person_id: record.person_id.to_owned(),
            client_id: record.client_id.map(str::to_owned),
            methods: super::amr::join(record.methods),
            ip_prefix: record.ip.and_then(network_prefix),
            user_agent: record.user_agent.map(|ua| ua.chars().take(160).collect()),
            created_at: self.clock.now(),
        };
        self.db.insert_login_event(&row).await
    }

    pub async fn recent(&self, person_id: &str, limit: i64) -> Result<Vec<LoginEventRow>, StoreError> {
        self.db.login_events_of(person_id, limit).await
    }
}

/// The /24 of an IPv4 address or the /48 of an IPv6 address.
pub fn network_prefix(ip: &str) -> Option<String> {
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}.0/24"))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_only_the_network() {
        assert_eq!(super::network_prefix("203.0.113.77").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(super::network_prefix("2001:db8:abcd:12::1").as_deref(), Some("2001:db8:abcd::/48"));
        assert_eq!(super::network_prefix("not an ip"), None);
    }
}
