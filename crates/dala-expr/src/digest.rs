//! `digest(data, algorithm, encoding)` as ODK defines it.

use crate::diagnostic::Problem;
use base64::Engine;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

pub fn digest(data: &str, algorithm: &str, encoding: &str) -> Result<String, Problem> {
    let bytes = data.as_bytes();
    let hash: Vec<u8> = match algorithm {
        "MD5" => Md5::digest(bytes).to_vec(),
        "SHA-1" => Sha1::digest(bytes).to_vec(),
        "SHA-256" => Sha256::digest(bytes).to_vec(),
        "SHA-384" => Sha384::digest(bytes).to_vec(),
        "SHA-512" => Sha512::digest(bytes).to_vec(),
        other => {
            return Err(Problem::UnknownDigestAlgorithm {
                algorithm: other.to_string(),
            });
        }
    };
    match encoding {
        "base64" => Ok(base64::engine::general_purpose::STANDARD.encode(hash)),
        "hex" => Ok(hash.iter().map(|b| format!("{b:02x}")).collect()),
        other => Err(Problem::UnknownDigestEncoding {
            encoding: other.to_string(),
        }),
    }
}
