//! Passwords and tokens. Passwords are kept as argon2id hashes; tokens are 256 random bits
//! handed out once and kept only as their SHA-256, so a copy of the database holds no secret
//! that opens the server. A token is looked up by its hash: what a lookup's timing could
//! reveal is a prefix of a hash, never of the token.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the system's random source failed: {0}")]
    Random(String),
    #[error("hashing the password failed: {0}")]
    Hash(String),
}

fn random<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(bytes)
}

/// The argon2id hash of a password (PHC string, with its own salt and parameters).
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt =
        SaltString::encode_b64(&random::<16>()?).map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether a password matches a stored hash. Without a stored hash (no such user) the same
/// work is done against a fixed one, so the answer takes as long either way.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    // A hash of a password nobody has, made once, for names that do not exist.
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let decoy =
        DECOY.get_or_init(|| hash_password("not a password anyone has").unwrap_or_default());
    let hash = stored.unwrap_or(decoy);
    let ok = PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    });
    ok && stored.is_some()
}

/// A new token: what the caller is given (once) and what is stored.
pub fn new_token() -> Result<(String, String), AuthError> {
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::<32>()?);
    let hash = token_hash(&token);
    Ok((token, hash))
}

pub fn token_hash(token: &str) -> String {
    crate::store::hex(&Sha256::digest(token.as_bytes()))
}
