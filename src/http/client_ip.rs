//! The client's address. Behind a reverse proxy every connection comes from the proxy, so the address the
//! proxy saw is taken from `Forwarded` (RFC 7239) or `X-Forwarded-For` — but only when the connection comes
//! from a proxy listed in `http.trusted_proxies`, and walking the list from the right past trusted proxies
//! only, so that a client cannot name an address of its choosing.

use super::state::AppState;
use crate::cidr::{Cidr, canonical};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use std::net::{IpAddr, SocketAddr};

/// The client's address as far as it can be trusted.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |address: IpAddr| trusted.iter().any(|block| block.contains(address));
    let peer = canonical(peer);
    if !is_trusted(peer) {
        return peer;
    }
    let Some(chain) = forwarded_for(headers) else { return peer };
    let mut client = peer;
    for hop in chain.iter().rev() {
        match hop {
            Some(address) => {
                client = canonical(*address);
                if !is_trusted(client) {
                    return client;
                }
            }
            // An obfuscated or unknown hop: nothing to its left can be trusted.
            None => return client,
        }
    }
    client
}

/// The addresses a trusted proxy reports, oldest first: `Forwarded` if present, else `X-Forwarded-For`.
/// None when neither header is there; a hop that is not an address is None.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let values = |name| headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    let forwarded = values("forwarded");
    if !forwarded.trim().is_empty() {
        let hops = forwarded
            .split(',')
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_node(value))
            })
            .collect();
        return Some(hops);
    }
    let x_forwarded = values("x-forwarded-for");
    if x_forwarded.trim().is_empty() {
        return None;
    }
    Some(x_forwarded.split(',').map(parse_node).collect())
}

/// `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(value: &str) -> Option<IpAddr> {
    let value = value.trim().trim_matches('"');
    if let Ok(address) = value.parse::<IpAddr>() {
        return Some(address);
    }
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    value.parse::<SocketAddr>().ok().map(|socket| socket.ip())
}

/// The client's address, for throttling, login history and the audit log.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or((StatusCode::INTERNAL_SERVER_ERROR, "the connection has no peer address"))?;
        Ok(ClientIp(client_address(peer.ip(), &parts.headers, &state.trusted_proxies)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted = [Cidr::parse("10.0.0.0/8").unwrap()];
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(client_address(ip("203.0.113.9"), &spoofed, &trusted), ip("203.0.113.9"), "not via a proxy");
        assert_eq!(client_address(ip("10.0.0.2"), &spoofed, &trusted), ip("1.2.3.4"));
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.3")]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &chain, &trusted),
            ip("198.51.100.7"),
            "the first untrusted hop from the right; what the client wrote to its left is ignored"
        );
        let forwarded = headers(&[("forwarded", "for=6.6.6.6, for=\"[2001:db8::9]:4711\";proto=https")]);
        assert_eq!(client_address(ip("10.0.0.2"), &forwarded, &trusted), ip("2001:db8::9"));
        let hidden = headers(&[("forwarded", "for=198.51.100.7, for=_hidden")]);
        assert_eq!(client_address(ip("10.0.0.2"), &hidden, &trusted), ip("10.0.0.2"));
        assert_eq!(client_address(ip("10.0.0.2"), &HeaderMap::new(), &trusted), ip("10.0.0.2"));
        assert_eq!(client_address(ip("10.0.0.2"), &spoofed, &[]), ip("10.0.0.2"), "no proxies trusted by default");
    }
}
