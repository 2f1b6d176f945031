//! The device-login page at the verification URL, where a demo user approves or declines a
//! code.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query as AxumQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::oauth::parse_form;
use crate::emulator::errors::Reply;
use crate::emulator::service::Emulator;

pub(super) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub(super) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}label{{display:block;margin:.8rem 0 .2rem}}\
         input,select{{width:100%;padding:.4rem}}button{{margin:1rem .5rem 0 0;padding:.5rem 1rem}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>\n",
        title = escape_html(title)
    )
}

/// `GET /devicelogin`: the code and user form.
pub(crate) async fn device_login_page(
    State(app): State<Arc<Emulator>>,
    AxumQuery(query): AxumQuery<HashMap<String, String>>,
) -> Response {
    let code = query
        .get("user_code")
        .or_else(|| query.get("code"))
        .map(String::as_str)
        .unwrap_or_default();
    let mut options = String::new();
    for user in app.directory.seeded().iter().filter(|u| u.account_enabled) {
        let selected = if user
            .user_principal_name
            .eq_ignore_ascii_case(&app.tenant.admin_upn)
        {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            options,
            "<option value=\"{upn}\"{selected}>{name} &lt;{upn}&gt;</option>",
            upn = escape_html(&user.user_principal_name),
            name = escape_html(user.display_name.as_deref().unwrap_or("")),
        );
    }
    let body = format!(
        "<p>Enter the code displayed on your device to sign in to <b>{app_name}</b> ({tenant}).</p>\
         <form method=\"post\" action=\"/devicelogin\">\
         <label for=\"user_code\">Code</label><input id=\"user_code\" name=\"user_code\" value=\"{code}\" autofocus>\
         <label for=\"upn\">Sign in as</label><select id=\"upn\" name=\"upn\">{options}</select>\
         <button type=\"submit\" name=\"action\" value=\"approve\">Continue</button>\
         <button type=\"submit\" name=\"action\" value=\"decline\">Cancel sign-in</button></form>",
        app_name = escape_html(&app.tenant.app_display_name),
        tenant = escape_html(&app.tenant.display_name),
        code = escape_html(code),
    );
    Reply::html(StatusCode::OK, page("Enter code", &body)).into_response()
}

/// `POST /devicelogin`: approve or decline as the chosen user.
pub(crate) async fn device_login_submit(State(app): State<Arc<Emulator>>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let code = form
        .get("user_code")
        .map(String::as_str)
        .unwrap_or_default();
    let approve = form.get("action").map(String::as_str) != Some("decline");
    let user = form
        .get("upn")
        .and_then(|upn| app.directory.find(upn))
        .filter(|u| u.account_enabled)
        .map(std::borrow::Cow::into_owned);
    if approve && user.is_none() {
        let body =
            "<p>That account was not found in this tenant. Go back and pick another one.</p>";
        return Reply::html(StatusCode::BAD_REQUEST, page("Sign-in failed", body)).into_response();
    }
    let decided = app.auth_state().decide(
        code,
        user.as_ref().filter(|_| approve).map(|u| u.id.clone()),
        app.clock.instant(),
    );
    if !decided {
        let body = "<p>That code didn't work. Check the code and try again; codes expire after a while.</p>\
                    <p><a href=\"/devicelogin\">Try again</a></p>";
        return Reply::html(StatusCode::BAD_REQUEST, page("Sign-in failed", body)).into_response();
    }
    let body = match (approve, &user) {
        (true, Some(user)) => format!(
            "<p>You have signed in to the <b>{}</b> application on your device as {}. You may now close this window.</p>",
            escape_html(&app.tenant.app_display_name),
            escape_html(&user.user_principal_name)
        ),
        _ => "<p>Sign-in was cancelled. You may now close this window.</p>".to_owned(),
    };
    Reply::html(StatusCode::OK, page("Done", &body)).into_response()
}
