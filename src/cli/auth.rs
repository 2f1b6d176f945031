//! `peoplectl auth login | status | logout`: who is signed in, how, until when, with which
//! permissions, and what that allows. The token itself is never shown.

use std::sync::Arc;

use clap::Subcommand;
use serde::Serialize;

use super::connect::{AuthKind, ConnectionArgs, Interaction};
use super::output::say;
use super::table::Table;
use super::{CliError, Exit, Printer};
use crate::auth::claims::{Feature, TokenKind, decode, features, who_and_how};
use crate::auth::device_code::{DeviceCodeCredential, DeviceCodePrompt, TokenCache};
use crate::config::Dirs;
use crate::graph::client::GRAPH_SCOPE;
use crate::text::shown;

#[derive(Debug, Subcommand)]
pub enum AuthCmd {
    /// Sign in as yourself with a device code (works over SSH) and keep the sign-in.
    Login,
    /// Show who is signed in, until when, and what the permissions allow.
    Status,
    /// Forget the kept sign-in.
    Logout,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    context: Option<String>,
    auth: String,
    signed_in: bool,
    kind: Option<TokenKind>,
    identity: Option<String>,
    tenant_id: Option<String>,
    expires_at: Option<i64>,
    permissions: Vec<String>,
    features: Vec<Feature>,
    error: Option<String>,
}

pub(super) async fn run(
    args: &ConnectionArgs,
    dirs: &Dirs,
    printer: Printer,
    cmd: AuthCmd,
) -> Result<Exit, CliError> {
    let mut resolved = args
        .resolve(dirs)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    match cmd {
        AuthCmd::Login => {
            resolved.auth = AuthKind::DeviceCode;
            let http = resolved
                .http()
                .map_err(|e| CliError::Failed(e.to_string()))?;
            let sink: crate::auth::device_code::PromptSink = Arc::new(|p: &DeviceCodePrompt| {
                say!("{}", p.message);
            });
            let credential = DeviceCodeCredential::new(
                http,
                &resolved.authority_url,
                &resolved.tenant_id,
                &resolved.client_id,
                Some(sink),
                Some(TokenCache {
                    path: resolved.token_cache.clone(),
                }),
            );
            let token = credential
                .sign_in()
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?;
            let info = decode(token.token.secret());
            let who = info
                .as_ref()
                .map_or("you", |i| i.identity.as_str())
                .to_owned();
            printer.result(&serde_json::json!({"signedIn": true, "identity": who, "tokenCache": resolved.token_cache}), || {
                format!(
                    "Signed in as {}. The sign-in is kept in {} (readable by you only); use --auth device-code to act as yourself.\n",
                    shown(&who),
                    shown(&resolved.token_cache.display().to_string())
                )
            })?;
            Ok(Exit::Ok)
        }
        AuthCmd::Logout => {
            let removed = TokenCache {
                path: resolved.token_cache.clone(),
            }
            .clear()
            .map_err(|e| CliError::Failed(format!("{}: {e}", resolved.token_cache.display())))?;
            printer.result(&serde_json::json!({"signedOut": removed}), || {
                if removed {
                    "Signed out: the kept sign-in was deleted.\n".into()
                } else {
                    "No kept sign-in to delete.\n".into()
                }
            })?;
            Ok(Exit::Ok)
        }
        AuthCmd::Status => status(&resolved, printer).await,
    }
}

async fn status(resolved: &super::connect::Resolved, printer: Printer) -> Result<Exit, CliError> {
    let auth = clap::ValueEnum::to_possible_value(&resolved.auth)
        .map_or_else(String::new, |v| v.get_name().to_owned());
    let http = resolved
        .http()
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let credential = resolved
        .credential(&http, Interaction::Never)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    show_status(credential.as_ref(), resolved.context.clone(), auth, printer).await
}

/// `auth status` for the in-process demo tenant.
pub(super) async fn demo_status(printer: Printer) -> Result<Exit, CliError> {
    let (client, _emulator) = super::connect::demo_client(crate::graph::Timeouts::default())
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    show_status(
        client.credential().as_ref(),
        None,
        "secret (demo)".into(),
        printer,
    )
    .await
}

async fn show_status(
    credential: &dyn azure_core::credentials::TokenCredential,
    context: Option<String>,
    auth: String,
    printer: Printer,
) -> Result<Exit, CliError> {
    let token = credential.get_token(&[GRAPH_SCOPE], None).await;
    let doc = match token {
        Ok(token) => signed_in(
            context,
            auth,
            token.token.secret(),
            token.expires_on.unix_timestamp(),
        ),
        Err(e) => Status {
            context,
            auth,
            signed_in: false,
            kind: None,
            identity: None,
            tenant_id: None,
            expires_at: None,
            permissions: Vec::new(),
            features: Vec::new(),
            error: Some(crate::auth::describe_auth_error(&e)),
        },
    };
    printer.result(&doc, || render(&doc))?;
    Ok(if doc.signed_in { Exit::Ok } else { Exit::Error })
}

/// The status of a sign-in that produced `token`.
fn signed_in(context: Option<String>, auth: String, token: &str, expires_at: i64) -> Status {
    let info = decode(token);
    Status {
        context,
        auth,
        signed_in: true,
        kind: info.as_ref().map(|i| i.kind),
        identity: info.as_ref().map(|i| i.identity.clone()),
        tenant_id: info.as_ref().and_then(|i| i.tenant_id.clone()),
        expires_at: Some(expires_at),
        permissions: info
            .as_ref()
            .map(|i| i.permissions.clone())
            .unwrap_or_default(),
        features: info.as_ref().map(features).unwrap_or_default(),
        error: None,
    }
}

fn render(s: &Status) -> String {
    if !s.signed_in {
        return format!(
            "Not signed in ({}): {}\n",
            s.auth,
            shown(s.error.as_deref().unwrap_or("unknown reason"))
        );
    }
    let (who, kind) = match (&s.identity, s.kind) {
        (Some(who), Some(kind)) => (who.as_str(), kind.label()),
        _ => who_and_how(None),
    };
    let expires = s.expires_at.map_or(String::from("-"), |t| {
        let left = t - time::OffsetDateTime::now_utc().unix_timestamp();
        format!("in {} min", left.max(0) / 60)
    });
    let mut out = format!(
        "Signed in as {} ({kind}, {}){}\nTenant {}; token expires {expires}.\nPermissions: {}\n\n",
        shown(who),
        s.auth,
        s.context
            .as_ref()
            .map_or(String::new(), |c| format!(", context {}", shown(c))),
        shown(s.tenant_id.as_deref().unwrap_or("?")),
        if s.permissions.is_empty() {
            "none".into()
        } else {
            shown(&s.permissions.join(", ")).into_owned()
        },
    );
    let mut t = Table::new(["FEATURE", "OK", "NEEDS"]);
    for f in &s.features {
        t.row([
            f.name.to_owned(),
            if f.available { "yes" } else { "NO" }.to_owned(),
            f.needs
                .as_deref()
                .map(|n| n.trim_start_matches("needs ").to_owned())
                .unwrap_or_default(),
        ]);
    }
    out.push_str(&Printer::table(&t));
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::{render, signed_in};
    use crate::auth::claims::{decode, unsigned_jwt};
    use crate::tui::action::Action;
    use crate::tui::keymap::Keymap;
    use crate::tui::state::{AppState, SessionInfo};
    use crate::tui::theme::Theme;
    use crate::tui::{ui, update};

    /// The console's header line once the token's identity is loaded, as the effect runner
    /// loads it.
    fn console_header(token: &str) -> String {
        let mut state = AppState::new(
            SessionInfo {
                tenant: "contoso.com".into(),
                ..SessionInfo::default()
            },
            Arc::new(Keymap::default()),
            Theme::default(),
            (120, 24),
        );
        update::update(&mut state, Action::IdentityLoaded(Ok(decode(token))));
        let mut term = Terminal::new(TestBackend::new(120, 24)).expect("terminal");
        term.draw(|f| ui::draw(f, &state)).expect("draw");
        let buf = term.backend().buffer();
        (0..120).map(|x| buf[(x, 0)].symbol()).collect()
    }

    #[test]
    fn auth_status_and_the_console_header_name_the_same_identity() {
        let cases = [
            (
                serde_json::json!({"idtyp": "app", "app_displayname": "peoplectl demo",
                    "appid": "11111111-2222", "roles": ["User.Read.All"], "tid": "t1"}),
                "peoplectl demo (app-only",
            ),
            // No idtyp and no upn: the person is named by preferred_username, not `name`.
            (
                serde_json::json!({"preferred_username": "megan@contoso.com",
                    "name": "Megan Bowen", "scp": "User.Read", "tid": "t1"}),
                "megan@contoso.com (delegated",
            ),
            (
                serde_json::json!({"idtyp": "user", "upn": "priya.raman@contoso.com",
                    "unique_name": "priya@contoso.onmicrosoft.com", "scp": "User.Read"}),
                "priya.raman@contoso.com (delegated",
            ),
        ];
        for (claims, who) in cases {
            let token = unsigned_jwt(&claims);
            let cli = render(&signed_in(None, "secret".into(), &token, 0));
            assert!(
                cli.starts_with(&format!("Signed in as {who}, secret)")),
                "{cli}"
            );
            let header = console_header(&token);
            assert!(header.contains(&format!("{who})")), "{header}");
        }
        // An opaque token: both say they cannot tell who it is.
        let cli = render(&signed_in(None, "secret".into(), "opaque", 0));
        assert!(cli.starts_with("Signed in as ? (unknown, secret)"), "{cli}");
        assert!(console_header("opaque").contains("? (unknown)"));
    }
}
