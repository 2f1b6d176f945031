//! Resolve: matching the valid rows' keys to the tenant's users, by `$batch`ed lookups or one
//! paged listing (see `sync::users`).

use super::{Extras, LookupChoice, Scan, SyncError};
use crate::graph::GraphClient;
use crate::people::item::item_id_for_upn;
use crate::sync::index::digest;
use crate::sync::mapping::KeyKind;
use crate::sync::report::LookupMode;
use crate::sync::users;

/// Matches the valid keys to users; fills `extras` (object ids for UPN keys, UPNs for
/// object-id keys) when asked to.
pub(super) async fn resolve(
    client: &GraphClient,
    choice: LookupChoice,
    key_kind: KeyKind,
    scan: &mut Scan,
    mut extras: Option<&mut Extras>,
) -> Result<LookupMode, SyncError> {
    let kind = match key_kind {
        KeyKind::UserPrincipalName => users::KeyKind::Upn,
        KeyKind::ObjectId => users::KeyKind::ObjectId,
    };
    let index = match key_kind {
        KeyKind::UserPrincipalName => &mut scan.index,
        KeyKind::ObjectId => &mut scan.oid_index,
    };
    let keys = usize::try_from(scan.valid_keys).unwrap_or(usize::MAX);
    let mode = match (choice, &scan.lookup_keys) {
        (_, _) if keys == 0 => LookupMode::Skipped,
        (LookupChoice::Listing, _) | (_, None) => LookupMode::Listing,
        (LookupChoice::Batched, Some(_)) => LookupMode::Batched,
        (LookupChoice::Auto, Some(_)) => users::choose_mode(keys, users::count_users(client).await),
    };
    match mode {
        LookupMode::Skipped => {}
        LookupMode::Batched => {
            let keys = scan.lookup_keys.take().unwrap_or_default();
            let answers = users::lookup_batched(client, kind, &keys).await?;
            for (key, answer) in keys.iter().zip(answers) {
                let d = match kind {
                    users::KeyKind::Upn => digest(&item_id_for_upn(key)),
                    users::KeyKind::ObjectId => digest(key),
                };
                index.set_matched(&d, answer.is_some());
                if let (Some(extras), Some(user)) = (extras.as_deref_mut(), answer) {
                    let value = match kind {
                        users::KeyKind::Upn => user.id,
                        users::KeyKind::ObjectId => user.user_principal_name,
                    };
                    extras.insert(d, value.into_boxed_str());
                }
            }
        }
        LookupMode::Listing => {
            scan.lookup_keys = None;
            users::for_each_user(client, |user| {
                let d = match kind {
                    users::KeyKind::Upn => digest(&item_id_for_upn(&user.user_principal_name)),
                    users::KeyKind::ObjectId => digest(&user.id.to_ascii_lowercase()),
                };
                if index.get(&d).is_some_and(|e| e.in_input() && e.is_valid()) {
                    index.set_matched(&d, true);
                    if let Some(extras) = extras.as_deref_mut() {
                        let value = match kind {
                            users::KeyKind::Upn => user.id,
                            users::KeyKind::ObjectId => user.user_principal_name,
                        };
                        extras.insert(d, value.into_boxed_str());
                    }
                }
            })
            .await?;
        }
    }
    Ok(mode)
}
