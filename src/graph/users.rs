//! Entra ID users (`/users`): paged listing, lookups by id or UPN, managers.

use futures::Stream;
use reqwest::Method;
use serde::Deserialize;

use super::client::{ApiVersion, Call, GraphClient, odata_string, segment};
use super::error::GraphError;
use super::serde_util::null_as_empty;

const READ: &str = "User.Read.All";

/// The user properties peoplectl reads: the default set plus the HR ones, and `assignedPlans`,
/// which tells whether the account has an Exchange Online mailbox (`people::reach::Mailbox`).
pub const USER_SELECT: &str = "id,userPrincipalName,displayName,givenName,surname,mail,jobTitle,\
department,companyName,officeLocation,employeeId,employeeType,businessPhones,mobilePhone,\
employeeHireDate,city,state,country,usageLocation,preferredLanguage,accountEnabled,assignedPlans";

/// Largest page Graph serves for `/users`.
pub const MAX_PAGE: u32 = 999;

/// A user, with the properties of [`USER_SELECT`]; absent ones are `None`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub user_principal_name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub office_location: Option<String>,
    #[serde(default)]
    pub employee_id: Option<String>,
    #[serde(default)]
    pub employee_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub business_phones: Vec<String>,
    #[serde(default)]
    pub mobile_phone: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub usage_location: Option<String>,
    #[serde(default)]
    pub preferred_language: Option<String>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
}

/// Just enough of a user to match HR rows to accounts.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserKey {
    pub id: String,
    #[serde(default)]
    pub user_principal_name: String,
}

/// `/users/{key}`, with the `('$x')` form Graph needs for UPNs starting with `$`.
pub fn user_path(id_or_upn: &str) -> String {
    if id_or_upn.starts_with('$') {
        format!("/users({})", segment(&odata_string(id_or_upn)))
    } else {
        format!("/users/{}", segment(id_or_upn))
    }
}

impl GraphClient {
    /// Pages of users with the given `$select`, `page_size` per page (at most 999).
    pub fn user_pages<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        select: &str,
        page_size: u32,
    ) -> impl Stream<Item = Result<Vec<T>, GraphError>> + Send + 'static {
        let call = Call::new("list users", Method::GET, ApiVersion::V1, "/users")
            .query("$select", select)
            .query("$top", page_size.clamp(1, MAX_PAGE).to_string())
            .permission(READ);
        self.pages(call)
    }

    /// Every user in the tenant with [`USER_SELECT`].
    pub async fn list_users(&self) -> Result<Vec<User>, GraphError> {
        use futures::TryStreamExt;
        let pages = self.user_pages::<User>(USER_SELECT, MAX_PAGE);
        futures::pin_mut!(pages);
        let mut all = Vec::new();
        while let Some(page) = pages.try_next().await? {
            all.extend(page);
        }
        Ok(all)
    }

    /// One user by object id or UPN; `None` when there is no such user.
    pub async fn find_user(&self, id_or_upn: &str) -> Result<Option<User>, GraphError> {
        let call = Call::new(
            format!("get user '{id_or_upn}'"),
            Method::GET,
            ApiVersion::V1,
            user_path(id_or_upn),
        )
        .query("$select", USER_SELECT)
        .permission(READ);
        match self.send_json(&call).await {
            Ok(u) => Ok(Some(u)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One user as raw JSON (for the rules engine, which maps Entra's properties itself).
    pub async fn find_user_json(
        &self,
        id_or_upn: &str,
    ) -> Result<Option<serde_json::Value>, GraphError> {
        let call = Call::new(
            format!("get user '{id_or_upn}'"),
            Method::GET,
            ApiVersion::V1,
            user_path(id_or_upn),
        )
        .query("$select", USER_SELECT)
        .permission(READ);
        match self.send_json(&call).await {
            Ok(u) => Ok(Some(u)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The call that finds a user by UPN with `$filter` (used alone or inside a `$batch`).
    pub fn user_by_upn_call(upn: &str) -> Call {
        Call::new(
            format!("find user '{upn}'"),
            Method::GET,
            ApiVersion::V1,
            "/users",
        )
        .query(
            "$filter",
            format!("userPrincipalName eq {}", odata_string(upn)),
        )
        .query("$select", "id,userPrincipalName")
        .permission(READ)
    }

    /// A user's manager; `None` when the user has none.
    pub async fn find_manager(&self, id_or_upn: &str) -> Result<Option<User>, GraphError> {
        let call = Call::new(
            format!("get manager of '{id_or_upn}'"),
            Method::GET,
            ApiVersion::V1,
            format!("{}/manager", user_path(id_or_upn)),
        )
        .query("$select", "id,userPrincipalName,displayName")
        .permission(READ);
        match self.send_json(&call).await {
            Ok(u) => Ok(Some(u)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_paths() {
        assert_eq!(user_path("alex@contoso.com"), "/users/alex%40contoso.com");
        assert_eq!(
            user_path("$adm@contoso.com"),
            "/users('%24adm%40contoso.com')"
        );
        assert_eq!(
            user_path("a#ext#@contoso.com"),
            "/users/a%23ext%23%40contoso.com"
        );
    }
}
