//! Pending device codes and issued refresh tokens, and the random codes, tokens and secrets
//! they are made of.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::scopes::Scopes;

/// User codes avoid vowels and look-alike characters, as Entra's do.
pub(super) const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ23456789";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DeviceStatus {
    Pending,
    Approved { user_id: String },
    Declined,
}

#[derive(Debug, Clone)]
pub(super) struct DeviceCode {
    pub(super) user_code: String,
    pub(super) scopes: Scopes,
    pub(super) expires_at: Instant,
    pub(super) interval: Duration,
    pub(super) last_poll: Option<Instant>,
    pub(super) status: DeviceStatus,
}

#[derive(Debug, Clone)]
pub(super) struct RefreshGrant {
    pub(super) user_id: String,
    pub(super) scopes: Scopes,
}

/// Pending device codes and issued refresh tokens.
#[derive(Debug, Default)]
pub(crate) struct AuthState {
    pub(super) device_codes: HashMap<String, DeviceCode>,
    pub(super) user_codes: HashMap<String, String>,
    pub(super) refresh_tokens: HashMap<String, RefreshGrant>,
}

impl AuthState {
    /// Approves (`Some(user_id)`) or declines (`None`) a pending code; false if unknown/expired.
    pub(crate) fn decide(
        &mut self,
        user_code: &str,
        approve_as: Option<String>,
        now: Instant,
    ) -> bool {
        let key = normalize_user_code(user_code);
        let Some(device_code) = self.user_codes.get(&key) else {
            return false;
        };
        let Some(entry) = self.device_codes.get_mut(device_code) else {
            return false;
        };
        if entry.expires_at <= now || entry.status != DeviceStatus::Pending {
            return false;
        }
        entry.status = match approve_as {
            Some(user_id) => DeviceStatus::Approved { user_id },
            None => DeviceStatus::Declined,
        };
        true
    }

    pub(crate) fn pending_device_codes(&self, now: Instant) -> usize {
        self.device_codes
            .values()
            .filter(|d| d.status == DeviceStatus::Pending && d.expires_at > now)
            .count()
    }
}

pub(super) fn normalize_user_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase()
}

pub(super) fn random_string(alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rand::random_range(0..alphabet.len())]))
        .collect()
}

pub(super) fn random_token(bytes: usize) -> String {
    let data: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(data)
}

/// A client secret shaped like Entra's (`xxx8Q~` + 34 characters), fresh per start.
pub(crate) fn new_client_secret() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~";
    const LEAD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    format!(
        "{}8Q~{}",
        random_string(LEAD, 3),
        random_string(ALPHABET, 34)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn secrets_look_like_entra_secrets() {
        let secret = new_client_secret();
        assert_eq!(secret.len(), 40);
        assert_eq!(&secret[3..6], "8Q~");
        assert_ne!(secret, new_client_secret());
    }
}
