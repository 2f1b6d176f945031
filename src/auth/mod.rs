//! Credentials for Microsoft Graph, as azure_core token credentials.

pub mod certificate;
pub mod claims;
pub mod device_code;

use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, Transport};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};

/// The default Microsoft identity platform.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// Why a credential could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{0}")]
    Config(String),
}

/// A client-secret credential against `authority_url`, sending its token requests through
/// `http` (the same transport as Graph calls, so an extra trusted CA applies to both).
pub fn client_secret_credential(
    tenant_id: &str,
    client_id: &str,
    secret: String,
    authority_url: &str,
    http: reqwest::Client,
) -> Result<Arc<dyn TokenCredential>, AuthError> {
    validate_tenant_id(tenant_id)?;
    let options = ClientSecretCredentialOptions {
        client_options: client_options(authority_url, http)?,
    };
    let credential = ClientSecretCredential::new(
        tenant_id,
        client_id.to_owned(),
        Secret::new(secret),
        Some(options),
    )
    .map_err(|e| {
        AuthError::Config(format!(
            "client secret sign-in: {}",
            describe_auth_error(&e)
        ))
    })?;
    Ok(credential)
}

/// azure_core client options pointing at a custom authority with our transport.
pub(crate) fn client_options(
    authority_url: &str,
    http: reqwest::Client,
) -> Result<ClientOptions, AuthError> {
    let authority = authority_url.trim_end_matches('/');
    if !authority.starts_with("https://") {
        return Err(AuthError::Config(format!(
            "authority URL '{authority}' must use https"
        )));
    }
    let mut cloud = azure_core::cloud::CustomConfiguration::default();
    authority.clone_into(&mut cloud.authority_host);
    // A few quick retries: the SDK's default (8 tries over a minute) would leave an admin with a
    // TLS or proxy mistake staring at a silent terminal.
    let retry =
        azure_core::http::RetryOptions::exponential(azure_core::http::ExponentialRetryOptions {
            initial_delay: time::Duration::milliseconds(200),
            max_retries: 3,
            max_total_elapsed: time::Duration::seconds(15),
            max_delay: time::Duration::seconds(2),
        });
    Ok(ClientOptions {
        cloud: Some(Arc::new(azure_core::cloud::CloudConfiguration::from(cloud))),
        transport: Some(Transport::new(Arc::new(http))),
        retry,
        ..ClientOptions::default()
    })
}

/// Tenant ids reach a URL path; azure_identity accepts letters, digits, `.` and `-`.
pub(crate) fn validate_tenant_id(tenant_id: &str) -> Result<(), AuthError> {
    if tenant_id.is_empty()
        || !tenant_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(AuthError::Config(format!(
            "tenant id '{tenant_id}' is not a tenant GUID or domain name"
        )));
    }
    Ok(())
}

/// The Azure CLI's signed-in account (`az login`), for this tenant.
pub fn azure_cli_credential(tenant_id: &str) -> Result<Arc<dyn TokenCredential>, AuthError> {
    validate_tenant_id(tenant_id)?;
    let options = azure_identity::AzureCliCredentialOptions {
        tenant_id: Some(tenant_id.to_owned()),
        ..Default::default()
    };
    let credential = azure_identity::AzureCliCredential::new(Some(options)).map_err(|e| {
        AuthError::Config(format!("Azure CLI sign-in: {}", describe_auth_error(&e)))
    })?;
    Ok(credential)
}

/// The managed identity of the machine or service this runs on; a client id picks a
/// user-assigned identity.
pub fn managed_identity_credential(
    client_id: Option<&str>,
) -> Result<Arc<dyn TokenCredential>, AuthError> {
    let options = azure_identity::ManagedIdentityCredentialOptions {
        user_assigned_id: client_id
            .map(|id| azure_identity::UserAssignedId::ClientId(id.to_owned())),
        ..Default::default()
    };
    let credential =
        azure_identity::ManagedIdentityCredential::new(Some(options)).map_err(|e| {
            AuthError::Config(format!(
                "managed identity sign-in: {}",
                describe_auth_error(&e)
            ))
        })?;
    Ok(credential)
}

/// A sign-in error as one line. Entra's `error_description` ("AADSTS7000215: Invalid client
/// secret provided ...") is what the admin needs; it never contains the secret itself.
pub fn describe_auth_error(e: &azure_core::Error) -> String {
    let mut text = e.to_string();
    if let Some(tls) = tls_failure(e) {
        return format!("the TLS handshake with the identity platform failed: {tls}");
    }
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    // Entra descriptions run to several lines with trace ids; the first line says it.
    text.lines().next().unwrap_or_default().trim().to_owned()
}

/// The TLS failure behind an error, in words an admin can act on, when TLS is what failed.
/// Used for sign-in and Graph calls alike (both go through the same HTTPS transport).
pub fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut at = Some(e);
    while let Some(e) = at {
        if let Some(tls) = rustls_error(e) {
            return Some(describe_tls_error(tls));
        }
        at = e.source();
    }
    None
}

/// The rustls error in `e`: it hides inside io::Errors, whose `source()` skips over it.
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    rustls_error(inner)
}

/// A TLS failure with what it usually means.
fn describe_tls_error(e: &rustls::Error) -> String {
    use rustls::CertificateError;
    let hint = match e {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            " (the server's certificate is not from a trusted CA; behind a TLS-inspecting \
             proxy, give its CA with --ca-cert)"
        }
        // Signed by a CA that bears a trusted CA's name but is not it.
        rustls::Error::InvalidCertificate(CertificateError::BadSignature) => {
            " (the certificate is not signed by the CA that is trusted under its issuer's name)"
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => " (the certificate is for another host)",
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => " (the certificate has expired)",
        _ => "",
    };
    format!("{e}{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_checked_before_reaching_a_url() {
        assert!(validate_tenant_id("contoso.onmicrosoft.com").is_ok());
        assert!(validate_tenant_id("4ce763dd-9214-4eff-af7c-da491cc3782d").is_ok());
        assert!(validate_tenant_id("").is_err());
        assert!(validate_tenant_id("a/../b").is_err());
    }

    #[test]
    fn tls_failures_are_found_inside_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let wrapped =
            std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
        let found = tls_failure(&wrapped).unwrap();
        assert!(
            found.starts_with("invalid peer certificate: UnknownIssuer"),
            "{found}"
        );
        assert!(found.contains("--ca-cert"), "{found}");
        assert_eq!(tls_failure(&std::io::Error::other("reset")), None);
    }

    #[test]
    fn authority_must_be_https() {
        let http = reqwest::Client::new();
        assert!(client_options("http://127.0.0.1:1", http.clone()).is_err());
        assert!(client_options("https://127.0.0.1:1/", http).is_ok());
    }
}
