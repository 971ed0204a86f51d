//! Key generation and the conversions between a private key (PKCS#8 PEM), its public JWK and the
//! jsonwebtoken key types.

use super::{SigningAlg, SigningKey};
use crate::crypto::b64url;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::rngs::OsRng;
use serde_json::json;
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum KeyMaterialError {
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("stored key is unusable: {0}")]
    Unusable(String),
}

/// Where new signing key pairs come from. Production always generates fresh ones ([`FreshKeys`]); the
/// test suite, which starts hundreds of servers, hands out pairs it generated once, because an RSA-2048
/// generation per start dominated its run time.
pub trait KeySource: Send + Sync + 'static {
    fn key_pair(&self, alg: SigningAlg, kid: &str) -> Result<(Zeroizing<String>, serde_json::Value), KeyMaterialError>;
}

/// Fresh random key pairs from the operating system's generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct FreshKeys;

impl KeySource for FreshKeys {
    fn key_pair(&self, alg: SigningAlg, kid: &str) -> Result<(Zeroizing<String>, serde_json::Value), KeyMaterialError> {
        generate_key(alg, kid)
    }
}

/// A fresh key pair: its private key as PKCS#8 PEM and its public JWK (with `kid`, `alg`, `use`).
pub fn generate_key(alg: SigningAlg, kid: &str) -> Result<(Zeroizing<String>, serde_json::Value), KeyMaterialError> {
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    use p256::pkcs8::LineEnding;
    let fail = |e: &dyn std::fmt::Display| KeyMaterialError::Generate(e.to_string());
    match alg {
        SigningAlg::Rs256 => {
            use rsa::pkcs8::EncodePrivateKey as _;
            use rsa::traits::PublicKeyParts;
            let key = rsa::RsaPrivateKey::new(&mut OsRng, 2048).map_err(|e| fail(&e))?;
            let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| fail(&e))?;
            let jwk = json!({
                "kty": "RSA", "use": "sig", "alg": alg.as_str(), "kid": kid,
                "n": b64url(&key.n().to_bytes_be()), "e": b64url(&key.e().to_bytes_be()),
            });
            Ok((pem, jwk))
        }
        SigningAlg::Es256 => {
            use p256::elliptic_curve::sec1::ToEncodedPoint;
            let key = p256::SecretKey::random(&mut OsRng);
            let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| fail(&e))?;
            let point = key.public_key().to_encoded_point(false);
            let (Some(x), Some(y)) = (point.x(), point.y()) else {
                return Err(KeyMaterialError::Generate("P-256 point has no coordinates".into()));
            };
            let jwk = json!({
                "kty": "EC", "use": "sig", "alg": alg.as_str(), "kid": kid, "crv": "P-256",
                "x": b64url(x), "y": b64url(y),
            });
            Ok((pem, jwk))
        }
        SigningAlg::EdDsa => {
            let key = ed25519_dalek::SigningKey::generate(&mut OsRng);
            let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| fail(&e))?;
            let jwk = json!({
                "kty": "OKP", "use": "sig", "alg": alg.as_str(), "kid": kid, "crv": "Ed25519",
                "x": b64url(key.verifying_key().as_bytes()),
            });
            Ok((pem, jwk))
        }
    }
}

pub(super) struct Schedule {
    pub activates_at: i64,
    pub retires_at: i64,
    pub expires_at: i64,
}

pub(super) fn signing_key(
    alg: SigningAlg,
    kid: String,
    private_pem: &[u8],
    public_jwk: serde_json::Value,
    schedule: Schedule,
) -> Result<SigningKey, KeyMaterialError> {
    let unusable = |e: &dyn std::fmt::Display| KeyMaterialError::Unusable(format!("{kid}: {e}"));
    let member = |name: &str| -> Result<String, KeyMaterialError> {
        public_jwk
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| KeyMaterialError::Unusable(format!("{kid}: JWK lacks {name}")))
    };
    let (encoding, decoding) = match alg {
        SigningAlg::Rs256 => (
            EncodingKey::from_rsa_pem(private_pem).map_err(|e| unusable(&e))?,
            DecodingKey::from_rsa_components(&member("n")?, &member("e")?).map_err(|e| unusable(&e))?,
        ),
        SigningAlg::Es256 => (
            EncodingKey::from_ec_pem(private_pem).map_err(|e| unusable(&e))?,
            DecodingKey::from_ec_components(&member("x")?, &member("y")?).map_err(|e| unusable(&e))?,
        ),
        SigningAlg::EdDsa => (
            EncodingKey::from_ed_pem(private_pem).map_err(|e| unusable(&e))?,
            DecodingKey::from_ed_components(&member("x")?).map_err(|e| unusable(&e))?,
        ),
    };
    Ok(SigningKey {
        kid,
        alg,
        encoding,
        decoding,
        public_jwk,
        activates_at: schedule.activates_at,
        retires_at: schedule.retires_at,
        expires_at: schedule.expires_at,
    })
}
