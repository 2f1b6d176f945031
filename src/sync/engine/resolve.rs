//! Resolve: matching the rows that need it to the tenant's users (see `sync::users` for which
//! way). Either all at once, before planning the rest (object-id keys, dry runs, the listing),
//! or as a stream of answers in input order that the second pass reads while it sends.

use std::collections::HashMap;

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::scan::Lookup;
use super::{LookupChoice, SyncError};
use crate::graph::users::UserKey;
use crate::graph::{GraphClient, GraphError};
use crate::people::item::item_id_for_upn;
use crate::sync::index::{Digest, KeyIndex, digest};
use crate::sync::mapping::KeyKind;
use crate::sync::report::LookupMode;
use crate::sync::users;

/// What a lookup adds beyond the match: the object id of a person keyed by UPN (for contracts
/// whose items carry it), the UPN of one keyed by object id (their item id comes from it).
pub(super) type Extras = HashMap<Digest, Box<str>>;

/// One lookup's answer, in input order.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) digest: Digest,
    pub(super) user: Option<UserKey>,
}

fn kind(key_kind: KeyKind) -> users::KeyKind {
    match key_kind {
        KeyKind::UserPrincipalName => users::KeyKind::Upn,
        KeyKind::ObjectId => users::KeyKind::ObjectId,
    }
}

/// What a lookup of this kind adds (see [`Extras`]).
fn extra(kind: users::KeyKind, user: UserKey) -> Box<str> {
    match kind {
        users::KeyKind::Upn => user.id,
        users::KeyKind::ObjectId => user.user_principal_name,
    }
    .into_boxed_str()
}

/// How to resolve `needed` keys (`keys`: the ones kept, if all were) when nothing is sent
/// beside it: whichever takes fewer calls, unless the caller chose.
pub(super) async fn choose(
    client: &GraphClient,
    choice: LookupChoice,
    needed: u64,
    keys: Option<&[Lookup]>,
) -> LookupMode {
    match (choice, keys) {
        _ if needed == 0 => LookupMode::Skipped,
        (LookupChoice::Listing, _) | (_, None) => LookupMode::Listing,
        (LookupChoice::Batched, Some(_)) => LookupMode::Batched,
        (LookupChoice::Auto, Some(keys)) => {
            users::choose_mode(keys.len(), users::count_users(client).await)
        }
    }
}

/// Resolves every key that needs it now, recording the answers in `index` (the one the keys
/// live in) and, when asked, what they add in `extras`. `None` when cancelled.
pub(super) async fn all(
    client: &GraphClient,
    mode: LookupMode,
    key_kind: KeyKind,
    index: &mut KeyIndex,
    keys: Option<Vec<Lookup>>,
    mut extras: Option<&mut Extras>,
    cancel: &CancellationToken,
) -> Result<Option<()>, SyncError> {
    let kind = kind(key_kind);
    let work = async {
        match mode {
            LookupMode::Skipped => {}
            LookupMode::Batched => {
                let keys = keys.unwrap_or_default();
                let texts: Vec<String> = keys.iter().map(|k| k.key.to_string()).collect();
                let answers = users::lookup_batched(client, kind, &texts).await?;
                for (key, answer) in keys.iter().zip(answers) {
                    index.set_matched(&key.digest, answer.is_some());
                    if let (Some(extras), Some(user)) = (extras.as_deref_mut(), answer) {
                        extras.insert(key.digest, extra(kind, user));
                    }
                }
            }
            LookupMode::Listing => {
                drop(keys);
                users::for_each_user(client, |user| {
                    let d = match kind {
                        users::KeyKind::Upn => digest(&item_id_for_upn(&user.user_principal_name)),
                        users::KeyKind::ObjectId => digest(&user.id.to_ascii_lowercase()),
                    };
                    let wanted = index
                        .get(&d)
                        .is_some_and(|e| e.in_input() && e.is_valid() && e.needs_lookup());
                    if wanted {
                        index.set_matched(&d, true);
                        if let Some(extras) = extras.as_deref_mut() {
                            extras.insert(d, extra(kind, user));
                        }
                    }
                })
                .await?;
                index.unmatch_unfound();
            }
        }
        Ok::<_, GraphError>(())
    };
    tokio::select! {
        r = work => r.map(Some).map_err(SyncError::from),
        () = cancel.cancelled() => Ok(None),
    }
}

/// Looks `keys` up a few calls ahead of the reader of `answers`, one answer per key in their
/// order; stops when the reader is gone or `cancel` fires.
pub(super) async fn stream(
    client: GraphClient,
    key_kind: KeyKind,
    keys: Vec<Lookup>,
    answers: mpsc::Sender<Answer>,
    cancel: CancellationToken,
) -> Result<(), GraphError> {
    let texts: Vec<String> = keys.iter().map(|k| k.key.to_string()).collect();
    let calls = users::lookup_stream(&client, kind(key_kind), &texts);
    futures::pin_mut!(calls);
    let mut keys = keys.into_iter();
    loop {
        let batch = tokio::select! {
            b = calls.next() => b,
            () = cancel.cancelled() => return Ok(()),
        };
        let Some(batch) = batch else { return Ok(()) };
        for user in batch? {
            let Some(key) = keys.next() else {
                return Ok(());
            };
            let answer = Answer {
                digest: key.digest,
                user,
            };
            if answers.send(answer).await.is_err() {
                return Ok(());
            }
        }
    }
}
