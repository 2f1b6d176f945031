//! Certificate sign-in: a client assertion (RS256 JWT) signed in Rust with aws-lc-rs, so no
//! OpenSSL system library is needed. The certificate file is PEM (the certificate and its
//! private key, PKCS#8 or PKCS#1) or PKCS#12 (`.pfx`/`.p12`, password from
//! `AZURE_CLIENT_CERTIFICATE_PASSWORD`).

use std::path::Path;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use azure_core::credentials::TokenCredential;
use azure_core::http::ClientMethodOptions;
use azure_identity::{
    ClientAssertion, ClientAssertionCredential, ClientAssertionCredentialOptions,
};
use base64::Engine;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::AuthError;

/// How long an assertion is valid; Entra accepts up to 10 minutes.
const ASSERTION_LIFETIME_S: i64 = 600;

/// A signer of client assertions for one app and token endpoint.
pub struct CertificateAssertion {
    key: RsaKeyPair,
    /// base64url SHA-1 thumbprint of the certificate (the `x5t` header Entra looks keys up by).
    x5t: String,
    client_id: String,
    audience: String,
}

impl std::fmt::Debug for CertificateAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAssertion")
            .field("x5t", &self.x5t)
            .finish_non_exhaustive()
    }
}

impl CertificateAssertion {
    /// Reads a PEM file holding the certificate and its RSA private key.
    pub fn from_pem(pem: &[u8], client_id: &str, audience: &str) -> Result<Self, AuthError> {
        let cert = CertificateDer::pem_slice_iter(pem)
            .next()
            .ok_or_else(|| {
                AuthError::Config("the certificate file holds no CERTIFICATE block".into())
            })?
            .map_err(|e| AuthError::Config(format!("the certificate is not valid PEM: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
            AuthError::Config(format!(
                "the certificate file holds no usable private key: {e}"
            ))
        })?;
        Self::from_parts(cert.as_ref(), &key, client_id, audience)
    }

    /// Reads a PKCS#12 (`.pfx`) archive holding a private key and its certificate.
    pub fn from_pkcs12(
        data: &[u8],
        password: &str,
        client_id: &str,
        audience: &str,
    ) -> Result<Self, AuthError> {
        use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
        let store = KeyStore::from_pkcs12(data, password, Pkcs12ImportPolicy::Relaxed).map_err(|_| {
            AuthError::Config(
                "the PKCS#12 file could not be opened: wrong password (AZURE_CLIENT_CERTIFICATE_PASSWORD) or not a PKCS#12 file".into(),
            )
        })?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| AuthError::Config("the PKCS#12 file holds no private key".into()))?;
        let cert = chain.certs().first().ok_or_else(|| {
            AuthError::Config("the PKCS#12 file holds no certificate for its key".into())
        })?;
        let key = PrivateKeyDer::Pkcs8(chain.key().as_der().to_vec().into());
        Self::from_parts(cert.as_der(), &key, client_id, audience)
    }

    fn from_parts(
        cert: &[u8],
        key: &PrivateKeyDer<'_>,
        client_id: &str,
        audience: &str,
    ) -> Result<Self, AuthError> {
        let key = match key {
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => {
                return Err(AuthError::Config(
                    "the private key must be RSA (PKCS#8 or PKCS#1): Entra signs client assertions with RS256".into(),
                ));
            }
        }
        .map_err(|e| AuthError::Config(format!("the private key is not a usable RSA key: {e}")))?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, cert);
        Ok(Self {
            key,
            x5t: b64(digest.as_ref()),
            client_id: client_id.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// A fresh signed assertion.
    pub fn sign(&self) -> Result<String, AuthError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.x5t});
        let claims = serde_json::json!({
            "aud": self.audience,
            "iss": self.client_id,
            "sub": self.client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_S,
        });
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| AuthError::Config("signing the client assertion failed".into()))?;
        Ok(format!("{signing_input}.{}", b64(&signature)))
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[async_trait::async_trait]
impl ClientAssertion for CertificateAssertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        self.sign().map_err(|e| {
            azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e.to_string())
        })
    }
}

/// A certificate credential: azure_identity's client-assertion flow with our signer.
pub fn certificate_credential(
    tenant_id: &str,
    client_id: &str,
    path: &Path,
    authority_url: &str,
    http: reqwest::Client,
) -> Result<Arc<dyn TokenCredential>, AuthError> {
    super::validate_tenant_id(tenant_id)?;
    // A certificate with its key is a few KiB; a PFX chain a few dozen.
    let pem = crate::files::read_regular(path, 1024 * 1024)
        .map_err(|e| AuthError::Config(format!("certificate: {e}")))?;
    let audience = format!(
        "{}/{tenant_id}/oauth2/v2.0/token",
        authority_url.trim_end_matches('/')
    );
    let pkcs12 = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("pfx") || e.eq_ignore_ascii_case("p12"));
    let assertion = if pkcs12 {
        let password = std::env::var("AZURE_CLIENT_CERTIFICATE_PASSWORD").unwrap_or_default();
        CertificateAssertion::from_pkcs12(&pem, &password, client_id, &audience)
    } else {
        CertificateAssertion::from_pem(&pem, client_id, &audience)
    }
    .map_err(|e| AuthError::Config(format!("certificate {}: {e}", path.display())))?;
    let credential = ClientAssertionCredential::new(
        tenant_id.to_owned(),
        client_id.to_owned(),
        assertion,
        Some(ClientAssertionCredentialOptions {
            client_options: super::client_options(authority_url, http)?,
        }),
    )
    .map_err(|e| {
        AuthError::Config(format!(
            "certificate sign-in: {}",
            super::describe_auth_error(&e)
        ))
    })?;
    Ok(credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa_pem() -> String {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["peoplectl".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        format!("{}{}", cert.pem(), key.serialize_pem())
    }

    #[test]
    fn signs_a_verifiable_rs256_assertion_with_the_thumbprint() {
        let pem = rsa_pem();
        let a = CertificateAssertion::from_pem(
            pem.as_bytes(),
            "app-id",
            "https://login/t/oauth2/v2.0/token",
        )
        .unwrap();
        let jwt = a.sign().unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let decode = |p: &str| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .unwrap()
        };
        let header: serde_json::Value = serde_json::from_slice(&decode(parts[0])).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(
            header["x5t"].as_str().unwrap().len(),
            27,
            "base64url of 20 bytes"
        );
        let claims: serde_json::Value = serde_json::from_slice(&decode(parts[1])).unwrap();
        assert_eq!(claims["iss"], "app-id");
        assert_eq!(claims["sub"], "app-id");
        assert_eq!(claims["aud"], "https://login/t/oauth2/v2.0/token");
        // The signature verifies with the key's public half.
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            aws_lc_rs::signature::KeyPair::public_key(&a.key)
                .as_ref()
                .to_vec(),
        );
        public
            .verify(
                format!("{}.{}", parts[0], parts[1]).as_bytes(),
                &decode(parts[2]),
            )
            .unwrap();
    }

    #[test]
    fn pkcs12_archives_give_the_same_assertion_key() {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["peoplectl".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let mut store = KeyStore::new();
        let chain = PrivateKeyChain::new(
            vec![1u8; 20],
            PrivateKey::from_der(&key.serialize_der()).unwrap(),
            [Certificate::from_der(cert.der()).unwrap()],
        );
        store.add_entry("app", KeyStoreEntry::PrivateKeyChain(chain));
        let pfx = store.writer("s3cret").write().unwrap();

        let from_pfx = CertificateAssertion::from_pkcs12(&pfx, "s3cret", "a", "b").unwrap();
        let pem = format!("{}{}", cert.pem(), key.serialize_pem());
        let from_pem = CertificateAssertion::from_pem(pem.as_bytes(), "a", "b").unwrap();
        assert_eq!(from_pfx.x5t, from_pem.x5t);
        let err = CertificateAssertion::from_pkcs12(&pfx, "Nz7-guess", "a", "b")
            .unwrap_err()
            .to_string();
        assert!(err.contains("password"), "{err}");
        assert!(
            !err.contains("Nz7-guess"),
            "the password is not echoed: {err}"
        );
    }

    #[test]
    fn ec_keys_and_missing_blocks_are_clear_errors() {
        let key = rcgen::KeyPair::generate().unwrap(); // ECDSA P-256
        let cert = rcgen::CertificateParams::new(vec!["x".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let pem = format!("{}{}", cert.pem(), key.serialize_pem());
        let err = CertificateAssertion::from_pem(pem.as_bytes(), "a", "b")
            .unwrap_err()
            .to_string();
        assert!(err.contains("RSA"), "{err}");
        let err = CertificateAssertion::from_pem(b"nothing here", "a", "b")
            .unwrap_err()
            .to_string();
        assert!(err.contains("CERTIFICATE"), "{err}");
    }
}
