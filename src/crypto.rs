//! Cryptographic helpers the rest of the program shares: the data key and the subkeys derived from it,
//! personal-data encryption (AES-256-GCM) with keyed blind indexes (HMAC-SHA256), random tokens, and
//! keyed hashes of client secrets.
//!
//! One 32-byte data key feeds everything through HMAC-based derivation with a purpose label, so a
//! ciphertext or index made for one purpose is useless for another.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

const CIPHERTEXT_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TOKEN_SALT_LEN: usize = 16;
pub const DATA_KEY_FILE: &str = "yimen.key";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the data key must be base64 of exactly 32 bytes")]
    BadDataKey,
    #[error("ciphertext is malformed or was made with another key")]
    Undecryptable,
    #[error("data key file {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
}

/// Where the data key came from, so the operator can be warned about a generated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKeySource {
    Configured,
    GeneratedFile,
    ExistingFile,
}

/// The subkeys, each derived from the data key for a single purpose.
#[derive(Clone)]
pub struct Keyring {
    pii: Aes256Gcm,
    at_rest: Aes256Gcm,
    blind_index: Zeroizing<[u8; 32]>,
    pairwise: Zeroizing<[u8; 32]>,
    client_secret: Zeroizing<[u8; 32]>,
    audit: Zeroizing<[u8; 32]>,
    otp: Zeroizing<[u8; 32]>,
    token: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring([redacted])")
    }
}

impl Keyring {
    pub fn from_data_key(data_key: &[u8; 32]) -> Self {
        let derive = |purpose: &str| -> Zeroizing<[u8; 32]> {
            let mut mac = <HmacSha256 as Mac>::new_from_slice(data_key).expect("HMAC takes any key length");
            mac.update(b"yimen/v1/");
            mac.update(purpose.as_bytes());
            Zeroizing::new(mac.finalize().into_bytes().into())
        };
        let aes = |purpose: &str| Aes256Gcm::new_from_slice(derive(purpose).as_slice()).expect("32-byte key");
        Self {
            pii: aes("pii-encryption"),
            at_rest: aes("secret-at-rest"),
            blind_index: derive("blind-index"),
            pairwise: derive("pairwise-subject"),
            client_secret: derive("client-secret"),
            audit: derive("audit-chain"),
            otp: derive("one-time-code"),
            token: derive("self-contained-token"),
        }
    }

    /// Encrypts personal data; `field` binds the ciphertext to its column so values cannot be swapped.
    pub fn encrypt_pii(&self, field: &str, plaintext: &str) -> Vec<u8> {
        seal(&self.pii, field, plaintext.as_bytes())
    }

    pub fn decrypt_pii(&self, field: &str, ciphertext: &[u8]) -> Result<String, CryptoError> {
        let bytes = open(&self.pii, field, ciphertext)?;
        String::from_utf8(bytes).map_err(|_| CryptoError::Undecryptable)
    }

    /// Encrypts secret material kept in the database (signing keys).
    pub fn encrypt_secret(&self, label: &str, plaintext: &[u8]) -> Vec<u8> {
        seal(&self.at_rest, label, plaintext)
    }

    pub fn decrypt_secret(&self, label: &str, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open(&self.at_rest, label, ciphertext).map(Zeroizing::new)
    }

    /// A keyed, deterministic index for exact lookup of an encrypted value.
    pub fn blind_index(&self, field: &str, normalized: &str) -> String {
        keyed_digest(&self.blind_index[..], &[field.as_bytes(), b"\0", normalized.as_bytes()])
    }

    /// The pairwise subject of one account within one sector (OpenID Connect Core §8.1).
    pub fn pairwise_subject(&self, sector: &str, account_id: &str) -> String {
        keyed_digest(&self.pairwise[..], &[sector.as_bytes(), b"\0", account_id.as_bytes()])
    }

    /// Client secrets are 256-bit random values, so a keyed hash suffices; argon2 here would only slow
    /// every token request.
    pub fn hash_client_secret(&self, secret: &str) -> String {
        keyed_digest(&self.client_secret[..], &[secret.as_bytes()])
    }

    /// The keyed hash of an audit entry: without the data key the chain cannot be rewritten.
    pub fn audit_mac(&self, content: &[u8]) -> String {
        keyed_digest(&self.audit[..], &[content])
    }

    /// The keyed hash under which a one-time code is kept, so the store never holds the code itself.
    pub fn otp_digest(&self, context: &str, code: &str) -> String {
        keyed_digest(&self.otp[..], &[context.as_bytes(), b"\0", code.as_bytes()])
    }

    /// Seals a self-contained token's content, readable and checkable only with the data key. Each token
    /// gets its own AES key, derived from a random 128-bit salt, so one key never meets two nonces: random
    /// 96-bit nonces under one key would wear out after about 2^32 tokens, a few days of a busy city.
    pub fn seal_token(&self, purpose: &str, content: &[u8]) -> Vec<u8> {
        let mut salt = [0u8; TOKEN_SALT_LEN];
        rand::thread_rng().fill_bytes(&mut salt);
        let sealed = self
            .token_cipher(&salt)
            .encrypt(&Nonce::default(), Payload { msg: content, aad: purpose.as_bytes() })
            .expect("AES-GCM encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(1 + TOKEN_SALT_LEN + sealed.len());
        out.push(CIPHERTEXT_VERSION);
        out.extend_from_slice(&salt);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open_token(&self, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < 1 + TOKEN_SALT_LEN + 16 || sealed[0] != CIPHERTEXT_VERSION {
            return Err(CryptoError::Undecryptable);
        }
        let (salt, body) = sealed[1..].split_at(TOKEN_SALT_LEN);
        self.token_cipher(salt)
            .decrypt(&Nonce::default(), Payload { msg: body, aad: purpose.as_bytes() })
            .map_err(|_| CryptoError::Undecryptable)
    }

    fn token_cipher(&self, salt: &[u8]) -> Aes256Gcm {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.token[..]).expect("HMAC takes any key length");
        mac.update(salt);
        let key = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
        Aes256Gcm::new_from_slice(key.as_slice()).expect("32-byte key")
    }

    pub fn verify_client_secret(&self, secret: &str, stored_hash: &str) -> bool {
        let computed = self.hash_client_secret(secret);
        computed.as_bytes().ct_eq(stored_hash.as_bytes()).into()
    }
}

fn seal(cipher: &Aes256Gcm, aad: &str, plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::thread_rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: aad.as_bytes() })
        .expect("AES-GCM encryption cannot fail for in-memory buffers");
    let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    out.push(CIPHERTEXT_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

fn open(cipher: &Aes256Gcm, aad: &str, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if ciphertext.len() < 1 + NONCE_LEN + 16 || ciphertext[0] != CIPHERTEXT_VERSION {
        return Err(CryptoError::Undecryptable);
    }
    let (nonce, sealed) = ciphertext[1..].split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Undecryptable)?;
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: sealed, aad: aad.as_bytes() })
        .map_err(|_| CryptoError::Undecryptable)
}

fn keyed_digest(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// A random, URL-safe token of `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of a high-entropy token, for storing and finding it without keeping the token itself.
pub fn token_digest(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

pub fn parse_data_key(encoded: &str) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let bytes = Zeroizing::new(STANDARD.decode(encoded.trim()).map_err(|_| CryptoError::BadDataKey)?);
    let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| CryptoError::BadDataKey)?;
    Ok(Zeroizing::new(key))
}

/// Reads the data key file in `data_dir`, creating it (mode 0600) with a fresh random key if absent.
pub fn load_or_create_key_file(data_dir: &Path) -> Result<(Zeroizing<[u8; 32]>, DataKeySource), CryptoError> {
    let path = data_dir.join(DATA_KEY_FILE);
    let io_error = |source| CryptoError::KeyFile { path: path.display().to_string(), source };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((parse_data_key(&text)?, DataKeySource::ExistingFile)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            crate::private_files::private_dir(data_dir).map_err(io_error)?;
            let mut key = Zeroizing::new([0u8; 32]);
            rand::thread_rng().fill_bytes(key.as_mut_slice());
            write_private_file(&path, &STANDARD.encode(key.as_slice())).map_err(io_error)?;
            Ok((key, DataKeySource::GeneratedFile))
        }
        Err(error) => Err(io_error(error)),
    }
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring() -> Keyring {
        Keyring::from_data_key(&[7u8; 32])
    }

    #[test]
    fn pii_round_trips_and_is_bound_to_its_field() {
        let ring = keyring();
        let sealed = ring.encrypt_pii("person.phone", "13800138000");
        assert!(!sealed.windows(11).any(|w| w == b"13800138000"));
        assert_eq!(ring.decrypt_pii("person.phone", &sealed).unwrap(), "13800138000");
        assert!(ring.decrypt_pii("person.id_number", &sealed).is_err());
        let other = Keyring::from_data_key(&[8u8; 32]);
        assert!(other.decrypt_pii("person.phone", &sealed).is_err());
    }

    #[test]
    fn sealed_tokens_open_only_with_their_key_and_purpose_and_untouched() {
        let ring = keyring();
        let sealed = ring.seal_token("access-token", b"{\"c\":\"crm\"}");
        assert_ne!(sealed, ring.seal_token("access-token", b"{\"c\":\"crm\"}"), "every seal is fresh");
        assert!(!sealed.windows(3).any(|w| w == b"crm"));
        assert_eq!(ring.open_token("access-token", &sealed).unwrap(), b"{\"c\":\"crm\"}");
        assert!(ring.open_token("refresh-token", &sealed).is_err());
        assert!(Keyring::from_data_key(&[8u8; 32]).open_token("access-token", &sealed).is_err());
        for at in [0, 1, sealed.len() / 2, sealed.len() - 1] {
            let mut flipped = sealed.clone();
            flipped[at] ^= 1;
            assert!(ring.open_token("access-token", &flipped).is_err(), "byte {at} changed");
        }
        assert!(ring.open_token("access-token", &sealed[..20]).is_err());
    }

    #[test]
    fn blind_indexes_are_deterministic_keyed_and_field_bound() {
        let ring = keyring();
        assert_eq!(ring.blind_index("phone", "1"), ring.blind_index("phone", "1"));
        assert_ne!(ring.blind_index("phone", "1"), ring.blind_index("id", "1"));
        assert_ne!(ring.blind_index("phone", "1"), Keyring::from_data_key(&[9u8; 32]).blind_index("phone", "1"));
    }

    #[test]
    fn client_secrets_verify_only_when_equal() {
        let ring = keyring();
        let hash = ring.hash_client_secret("s3cret");
        assert!(ring.verify_client_secret("s3cret", &hash));
        assert!(!ring.verify_client_secret("s3cret!", &hash));
    }

    #[test]
    fn key_file_is_created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (first, source) = load_or_create_key_file(dir.path()).unwrap();
        assert_eq!(source, DataKeySource::GeneratedFile);
        let (second, source) = load_or_create_key_file(dir.path()).unwrap();
        assert_eq!(source, DataKeySource::ExistingFile);
        assert_eq!(*first, *second);
    }

    #[test]
    fn random_tokens_carry_their_entropy() {
        assert_eq!(random_token(32).len(), 43);
        assert_ne!(random_token(16), random_token(16));
    }
}
