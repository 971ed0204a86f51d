//! Connection status as logins happen, without a database write per login: a client's first redeemed
//! code is written at once, its last-login time at most every `last_seen_refresh_secs`; a designated
//! page's user (an organisation on the enterprise page, a person on the citizen page) at most once a day.
//! Every write is an idempotent upsert, so several processes may each write once.

use super::Portal;
use crate::clock::SharedClock;
use crate::oidc::client::Client;
use crate::oidc::login_recorder::LoginRecorder;
use crate::store::Database;
use std::time::Duration;

const DAY_SECS: i64 = 86_400;

pub struct ConnectionTracker {
    db: Database,
    clock: SharedClock,
    refresh_secs: i64,
    /// When each client's login was last written.
    written: moka::sync::Cache<String, i64>,
    /// The designated page of each business system, briefly.
    portals: moka::sync::Cache<String, Portal>,
    /// (page, subject, day) already written.
    seen: moka::sync::Cache<(Portal, String, i64), ()>,
}

impl ConnectionTracker {
    pub fn new(db: Database, clock: SharedClock, refresh_secs: i64) -> Self {
        Self {
            db,
            clock,
            refresh_secs,
            written: moka::sync::Cache::builder().max_capacity(100_000).build(),
            portals: moka::sync::Cache::builder().max_capacity(100_000).time_to_live(Duration::from_secs(60)).build(),
            seen: moka::sync::Cache::builder()
                .max_capacity(1_000_000)
                .time_to_live(Duration::from_secs(DAY_SECS as u64))
                .build(),
        }
    }

    async fn record_client(&self, client_id: &str, now: i64) {
        if self.written.get(client_id).is_some_and(|at| now - at < self.refresh_secs) {
            return;
        }
        match self.db.touch_client_connection(client_id, now).await {
            Ok(()) => self.written.insert(client_id.to_owned(), now),
            Err(error) => tracing::warn!(%error, client_id, "could not record a client's login"),
        }
    }

    async fn portal_of(&self, system_id: &str) -> Portal {
        if let Some(portal) = self.portals.get(system_id) {
            return portal;
        }
        let portal = match self.db.system_portal(system_id).await {
            Ok(found) => found.as_deref().and_then(Portal::parse).unwrap_or(Portal::None),
            Err(error) => {
                tracing::warn!(%error, "could not read a system's designated page");
                return Portal::None;
            }
        };
        self.portals.insert(system_id.to_owned(), portal);
        portal
    }

    async fn record_portal_user(&self, portal: Portal, subject: &str, now: i64) {
        let key = (portal, subject.to_owned(), now.div_euclid(DAY_SECS));
        if self.seen.contains_key(&key) {
            return;
        }
        match self.db.touch_portal_user(portal.as_str(), subject, now).await {
            Ok(()) => self.seen.insert(key, ()),
            Err(error) => tracing::warn!(%error, "could not record a designated page's user"),
        }
    }
}

#[async_trait::async_trait]
impl LoginRecorder for ConnectionTracker {
    async fn code_redeemed(&self, client: &Client, person_id: &str, acting_org_id: Option<&str>) {
        let now = self.clock.now();
        self.record_client(&client.id, now).await;
        let Some(system_id) = client.system_id.as_deref() else { return };
        match (self.portal_of(system_id).await, acting_org_id) {
            (Portal::Enterprise, Some(org)) => self.record_portal_user(Portal::Enterprise, org, now).await,
            (Portal::Citizen, None) => self.record_portal_user(Portal::Citizen, person_id, now).await,
            _ => {}
        }
    }
}
