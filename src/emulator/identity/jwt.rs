//! The emulator's access tokens: HS256 JWTs signed with a key fresh at every start.

use aws_lc_rs::{constant_time, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// HMAC-SHA256 of `message` under `key`.
pub(super) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// base64url(header).base64url(claims).base64url(HMAC-SHA256) with the per-start key.
pub(crate) fn sign_jwt(key: &[u8], claims: &Value) -> String {
    let header = json!({"typ": "JWT", "alg": "HS256", "kid": "peoplectl-emulator"});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = hmac_sha256(key, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Why a bearer token was refused (each maps to Graph's 401 message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Missing,
    Malformed,
    BadSignature,
    Expired,
    NotYetValid,
    WrongAudience,
    WrongTenant,
}

impl TokenProblem {
    pub(super) fn message(self) -> &'static str {
        match self {
            Self::Missing => "Access token is empty.",
            Self::Malformed => {
                "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'."
            }
            Self::BadSignature => "Access token validation failure. Invalid signature.",
            Self::Expired => "Lifetime validation failed, the token is expired.",
            Self::NotYetValid => "Lifetime validation failed, the token is not yet valid.",
            Self::WrongAudience => "Access token validation failure. Invalid audience.",
            Self::WrongTenant => "Access token validation failure. Invalid issuer or tenant.",
        }
    }
}

/// Verifies signature and lifetime; returns the claims.
pub(crate) fn verify_jwt(key: &[u8], token: &str, now: i64) -> Result<Value, TokenProblem> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenProblem::Malformed);
    };
    let expected = hmac_sha256(key, format!("{header}.{payload}").as_bytes());
    let given = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenProblem::Malformed)?;
    // Constant-time compare: the signature is a secret-derived value.
    if constant_time::verify_slices_are_equal(&given, &expected).is_err() {
        return Err(TokenProblem::BadSignature);
    }
    let claims: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(TokenProblem::Malformed)?;
    let exp = claims["exp"].as_i64().ok_or(TokenProblem::Malformed)?;
    let nbf = claims["nbf"].as_i64().unwrap_or(0);
    // Five minutes of clock skew, as Entra allows.
    if now >= exp {
        return Err(TokenProblem::Expired);
    }
    if nbf > now + 300 {
        return Err(TokenProblem::NotYetValid);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    pub(super) fn jwt_round_trip_and_rejections() {
        let key = [7u8; 32];
        let token = sign_jwt(&key, &json!({"exp": 200, "nbf": 100, "sub": "x"}));
        assert_eq!(verify_jwt(&key, &token, 150).unwrap()["sub"], "x");
        assert_eq!(verify_jwt(&key, &token, 200), Err(TokenProblem::Expired));
        assert_eq!(
            verify_jwt(&[8u8; 32], &token, 150),
            Err(TokenProblem::BadSignature)
        );
        assert_eq!(verify_jwt(&key, "abc", 150), Err(TokenProblem::Malformed));
    }
}
