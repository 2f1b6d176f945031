//! Certificate credentials of the emulator's app: registered certificates (by SHA-1 thumbprint)
//! and the verification of RS256 client assertions signed with their keys.

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;
use x509_parser::public_key::PublicKey;

/// One registered certificate: its thumbprint and its RSA public key (PKCS#1 DER).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppCertificate {
    pub x5t: String,
    public_key: Vec<u8>,
}

impl AppCertificate {
    /// Reads the first certificate of a PEM text.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let der = CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .ok_or("no CERTIFICATE block")?
            .map_err(|e| format!("not valid PEM: {e}"))?;
        Self::from_der(der.as_ref())
    }

    fn from_der(der: &[u8]) -> Result<Self, String> {
        let public_key = rsa_public_key(der).ok_or("no RSA public key in the certificate")?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
        Ok(Self {
            x5t: URL_SAFE_NO_PAD.encode(digest.as_ref()),
            public_key,
        })
    }
}

/// Why an assertion was refused (Entra's AADSTS codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AssertionProblem {
    /// 700027: malformed, unknown thumbprint or bad signature.
    Signature(&'static str),
    /// 700024: outside its validity window.
    Time,
    /// 700021/700023-like: wrong issuer, subject or audience.
    Claims(&'static str),
}

/// Verifies a client assertion: RS256 by a registered certificate, issued by and for
/// `client_id`, aimed at `audience` (the token endpoint), valid now.
pub(crate) fn verify_assertion(
    certs: &[AppCertificate],
    assertion: &str,
    client_id: &str,
    audiences: &[String],
    now: i64,
) -> Result<(), AssertionProblem> {
    let mut parts = assertion.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AssertionProblem::Signature("the assertion is not a JWT"));
    };
    let json = |part: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    let header = json(h).ok_or(AssertionProblem::Signature("unreadable JWT header"))?;
    let claims = json(p).ok_or(AssertionProblem::Signature("unreadable JWT claims"))?;
    if header["alg"] != "RS256" {
        return Err(AssertionProblem::Signature(
            "the assertion must be signed with RS256",
        ));
    }
    let x5t = header["x5t"].as_str().ok_or(AssertionProblem::Signature(
        "the assertion has no x5t thumbprint",
    ))?;
    let cert = certs
        .iter()
        .find(|c| c.x5t == x5t)
        .ok_or(AssertionProblem::Signature(
            "no certificate with this thumbprint is registered for the app",
        ))?;
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| AssertionProblem::Signature("unreadable signature"))?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &cert.public_key)
        .verify(format!("{h}.{p}").as_bytes(), &signature)
        .map_err(|_| AssertionProblem::Signature("the signature does not match the certificate"))?;
    let text = |k: &str| claims[k].as_str().unwrap_or_default().to_owned();
    if !text("iss").eq_ignore_ascii_case(client_id) || !text("sub").eq_ignore_ascii_case(client_id)
    {
        return Err(AssertionProblem::Claims(
            "iss and sub must be the app's client id",
        ));
    }
    if !audiences
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&text("aud")))
    {
        return Err(AssertionProblem::Claims("aud must be the token endpoint"));
    }
    // Five minutes of clock skew, as Entra allows.
    let exp = claims["exp"].as_i64().unwrap_or(0);
    let nbf = claims["nbf"].as_i64().unwrap_or(i64::MIN);
    if exp + 300 < now || nbf - 300 > now {
        return Err(AssertionProblem::Time);
    }
    Ok(())
}

/// The RSA public key of an X.509 certificate (PKCS#1 DER, as aws-lc-rs verifies with).
fn rsa_public_key(cert: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert).ok()?;
    let spki = cert.public_key();
    match spki.parsed().ok()? {
        PublicKey::RSA(_) => Some(spki.subject_public_key.data.to_vec()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_the_rsa_key_and_refuses_other_keys() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["app".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let parsed = AppCertificate::from_pem(&cert.pem()).unwrap();
        assert_eq!(parsed.public_key, key.public_key_raw());
        assert_eq!(parsed.x5t.len(), 27);

        let ec = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["app".into()])
            .unwrap()
            .self_signed(&ec)
            .unwrap();
        assert!(AppCertificate::from_pem(&cert.pem()).is_err());
        assert!(AppCertificate::from_pem("nothing").is_err());
        assert!(
            rsa_public_key(&[0x30, 0x85, 1, 2, 3, 4, 5]).is_none(),
            "hostile lengths"
        );
    }
}
