//! A fresh CA and a loopback server certificate per start, and writing them out for clients.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use super::EmulatorError;

/// The certificates of one emulator run.
pub(crate) struct TlsMaterial {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    pub server_cert_der: Vec<u8>,
    pub ca_der: Vec<u8>,
    pub server_key_der: Vec<u8>,
}

fn cert_error(err: &rcgen::Error) -> EmulatorError {
    EmulatorError::Certificate(err.to_string())
}

/// A CA and a server certificate for localhost, 127.0.0.1, ::1 and `extra_ip` (a non-loopback bind).
pub(crate) fn generate(extra_ip: Option<IpAddr>) -> Result<TlsMaterial, EmulatorError> {
    let now = OffsetDateTime::now_utc();
    let not_before = now - Duration::days(1);
    let not_after = now + Duration::days(365);

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(|e| cert_error(&e))?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "peoplectl Graph emulator CA");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "peoplectl");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_key = KeyPair::generate().map_err(|e| cert_error(&e))?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(|e| cert_error(&e))?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if let Some(ip) = extra_ip.filter(|ip| !ip.is_loopback() && !ip.is_unspecified()) {
        names.push(ip.to_string());
    }
    let mut params = CertificateParams::new(names).map_err(|e| cert_error(&e))?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = not_before;
    params.not_after = not_after;
    let key = KeyPair::generate().map_err(|e| cert_error(&e))?;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| cert_error(&e))?;

    Ok(TlsMaterial {
        ca_pem: ca_cert.pem(),
        server_cert_pem: cert.pem(),
        server_key_pem: key.serialize_pem(),
        server_cert_der: cert.der().to_vec(),
        ca_der: ca_cert.der().to_vec(),
        server_key_der: key.serialize_der(),
    })
}

/// Writes ca.pem, server.pem and server-key.pem (owner-only) into `dir`; returns the ca.pem path.
pub(crate) fn write_files(material: &TlsMaterial, dir: &Path) -> Result<PathBuf, EmulatorError> {
    let write_error = |path: &Path, source| EmulatorError::Write {
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &material.ca_pem).map_err(|e| write_error(&ca, e))?;
    let cert = dir.join("server.pem");
    std::fs::write(&cert, &material.server_cert_pem).map_err(|e| write_error(&cert, e))?;
    let key = dir.join("server-key.pem");
    write_private(&key, material.server_key_pem.as_bytes()).map_err(|e| write_error(&key, e))?;
    Ok(ca)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// A private temp directory removed when dropped (holds ca.pem when no `--cert-dir` was given).
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Result<Self, EmulatorError> {
        let path =
            std::env::temp_dir().join(format!("peoplectl-emulator-{}", uuid::Uuid::new_v4()));
        let write_error = |source| EmulatorError::Write {
            path: path.clone(),
            source,
        };
        // `--demo` keeps its sync state and HR export in here: owner only, whatever the umask.
        std::fs::create_dir(&path).map_err(write_error)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))
                .map_err(write_error)?;
        }
        Ok(Self(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover temp dir holds only public certificates and a throwaway key.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
