//! Minting access and ID tokens for the seeded app and the directory's users.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::GRAPH_RESOURCE;
use super::jwt::sign_jwt;
use crate::emulator::directory::User;
use crate::emulator::service::Emulator;

pub(super) fn app_object_id(client_id: &str) -> String {
    let digest = Sha256::digest(client_id.as_bytes());
    let hex = hex::encode(&digest[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl Emulator {
    /// An app-only access token valid for `lifetime_s` seconds (negative: already expired).
    pub(crate) fn mint_app_token(&self, lifetime_s: i64) -> String {
        let now = self.clock.unix();
        let claims = json!({
            "aud": GRAPH_RESOURCE,
            "iss": format!("https://sts.windows.net/{}/", self.tenant.id),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "appid": self.tenant.app_client_id,
            "app_displayname": self.tenant.app_display_name,
            "appidacr": "1",
            "idp": format!("https://sts.windows.net/{}/", self.tenant.id),
            "idtyp": "app",
            "oid": app_object_id(&self.tenant.app_client_id),
            "sub": app_object_id(&self.tenant.app_client_id),
            "roles": self.tenant.app_roles,
            "tid": self.tenant.id,
            "uti": uuid::Uuid::new_v4().simple().to_string(),
            "ver": "1.0",
        });
        sign_jwt(&self.token_key, &claims)
    }

    /// A delegated access token for `user` with `scopes` in `scp`.
    pub(crate) fn mint_user_token(
        &self,
        user: &User,
        scopes: &[String],
        lifetime_s: i64,
    ) -> String {
        let now = self.clock.unix();
        let claims = json!({
            "aud": GRAPH_RESOURCE,
            "iss": format!("https://sts.windows.net/{}/", self.tenant.id),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "appid": self.tenant.app_client_id,
            "app_displayname": self.tenant.app_display_name,
            "appidacr": "0",
            "idtyp": "user",
            "name": user.display_name,
            "given_name": user.given_name,
            "family_name": user.surname,
            "oid": user.id,
            "sub": user.id,
            "scp": scopes.join(" "),
            "tid": self.tenant.id,
            "upn": user.user_principal_name,
            "unique_name": user.user_principal_name,
            "uti": uuid::Uuid::new_v4().simple().to_string(),
            "ver": "1.0",
        });
        sign_jwt(&self.token_key, &claims)
    }

    pub(super) fn mint_id_token(&self, user: &User) -> String {
        let now = self.clock.unix();
        let claims = json!({
            "aud": self.tenant.app_client_id,
            "iss": format!("{}/{}/v2.0", self.root, self.tenant.id),
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": user.display_name,
            "oid": user.id,
            "preferred_username": user.user_principal_name,
            "sub": user.id,
            "tid": self.tenant.id,
            "ver": "2.0",
        });
        sign_jwt(&self.token_key, &claims)
    }

    pub(super) fn lifetime(&self) -> i64 {
        i64::try_from(self.config.token_lifetime_s).unwrap_or(i64::MAX / 2)
    }
}
