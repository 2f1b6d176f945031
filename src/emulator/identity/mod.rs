//! The identity side of the emulator: the OAuth token and device-code endpoints, the
//! device-login page, the tokens it mints and the bearer-token check on Graph calls.

mod bearer;
mod certs;
mod grants;
mod jwt;
mod login_page;
mod mint;
mod oauth;
mod scopes;

pub(crate) use bearer::{Principal, authenticate};
pub(crate) use certs::AppCertificate;
pub(crate) use grants::{AuthState, new_client_secret};
pub(crate) use login_page::{device_login_page, device_login_submit};
pub(crate) use oauth::{devicecode_endpoint, token_endpoint};

/// Graph's application id (also accepted as the audience / scope resource).
pub(crate) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";
