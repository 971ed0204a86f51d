//! The `redis_url` setting's two forms: one Redis (`redis://…`, or `rediss://…` with TLS), or the master
//! that Redis Sentinel names, `redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]/MASTER`, whose user
//! and password are the master's (the sentinels are asked without). Only the syntax is here, so that
//! `config check` can refuse a malformed URL; `store` connects.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisUrl {
    Direct(String),
    Sentinel {
        sentinels: Vec<String>,
        master: String,
        /// `user:password@`, or empty.
        credentials: String,
    },
}

pub const SENTINEL_SCHEME: &str = "redis+sentinel://";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedisUrlError {
    #[error("redis_url must start with redis://, rediss:// or redis+sentinel://")]
    Scheme,
    #[error("a redis+sentinel:// URL ends with /MASTER, the name the sentinels monitor")]
    NoMaster,
    #[error("list the sentinels of a redis+sentinel:// URL as HOST:PORT, separated by commas")]
    Sentinels,
}

pub fn parse(url: &str) -> Result<RedisUrl, RedisUrlError> {
    let Some(rest) = url.strip_prefix(SENTINEL_SCHEME) else {
        return match url.split_once("://") {
            Some(("redis" | "rediss", _)) => Ok(RedisUrl::Direct(url.to_owned())),
            _ => Err(RedisUrlError::Scheme),
        };
    };
    let (credentials, rest) = match rest.rsplit_once('@') {
        Some((credentials, rest)) => (format!("{credentials}@"), rest),
        None => (String::new(), rest),
    };
    let (hosts, master) = rest.split_once('/').ok_or(RedisUrlError::NoMaster)?;
    let master = master.trim_end_matches('/');
    if master.is_empty() || master.contains('/') {
        return Err(RedisUrlError::NoMaster);
    }
    let sentinels: Vec<String> = hosts.split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned).collect();
    let well_formed = |host: &String| {
        host.rsplit_once(':').is_some_and(|(name, port)| !name.is_empty() && port.parse::<u16>().is_ok())
    };
    if sentinels.is_empty() || !sentinels.iter().all(well_formed) {
        return Err(RedisUrlError::Sentinels);
    }
    Ok(RedisUrl::Sentinel { sentinels, master: master.to_owned(), credentials })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_urls_name_the_sentinels_the_master_and_its_credentials() {
        assert_eq!(
            parse("redis+sentinel://:s3cret@10.0.0.1:26379, 10.0.0.2:26379/yimen"),
            Ok(RedisUrl::Sentinel {
                sentinels: vec!["10.0.0.1:26379".into(), "10.0.0.2:26379".into()],
                master: "yimen".into(),
                credentials: ":s3cret@".into(),
            })
        );
        assert_eq!(parse("redis://127.0.0.1:6379"), Ok(RedisUrl::Direct("redis://127.0.0.1:6379".into())));
        assert_eq!(parse("http://127.0.0.1:6379"), Err(RedisUrlError::Scheme));
        assert_eq!(parse("redis+sentinel://10.0.0.1:26379"), Err(RedisUrlError::NoMaster));
        assert_eq!(parse("redis+sentinel://10.0.0.1/yimen"), Err(RedisUrlError::Sentinels));
        assert_eq!(parse("redis+sentinel:///yimen"), Err(RedisUrlError::Sentinels));
        assert_eq!(parse("redis+sentinel://:26379/yimen"), Err(RedisUrlError::Sentinels));
    }
}
