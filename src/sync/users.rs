//! Matching input keys to the tenant's users: `$batch`ed filtered lookups or one paged listing.
//!
//! Only the people who need it are looked up (new, changed, or whose recorded match is unknown
//! or stale; see `sync::engine`), so an unchanged re-sync asks nothing and a 1% churn asks about
//! 1%. Which way, for `k` keys in a tenant of `n` users:
//!
//! - When items will be sent, lookups ([`lookup_stream`]) run beside the sending: a row is sent
//!   as soon as its answer is in, so matching costs no time before the first item goes, while a
//!   listing would hold every send for ⌈n/999⌉ round trips. The sending paces them (a bounded
//!   channel: a few hundred keys ahead, at about the ingest rate, far under the directory's
//!   throttling limits). So lookups are used up to [`MAX_BATCH_KEYS`] keys.
//! - A dry run sends nothing, so it takes whichever is fewer calls ([`choose_mode`]): a batch
//!   call answers 20 keys, a listing page 999 users, so lookups cost ⌈k/20⌉ calls and the
//!   listing ⌈n/999⌉ (from one `$count` call); lookups win while k is below about n/50. When
//!   the tenant size cannot be had, lookups are used up to [`FALLBACK_BATCH_KEYS`] keys.
//! - Beyond [`MAX_BATCH_KEYS`] keys the listing is used either way; the keys are not kept.

use futures::{Stream, StreamExt, TryStreamExt};
use reqwest::Method;
use reqwest::header::HeaderName;

use crate::graph::batch::{BatchRequest, MAX_BATCH};
use crate::graph::users::{MAX_PAGE, UserKey, user_path};
use crate::graph::{ApiVersion, Call, GraphClient, GraphError};

use super::report::LookupMode;

/// Lookups used without knowing the tenant's size, at most.
pub const FALLBACK_BATCH_KEYS: usize = 2_000;
/// Keys kept in memory for lookups; beyond this the listing is always used.
pub const MAX_BATCH_KEYS: usize = 50_000;
/// `$batch` calls in flight at once.
const BATCH_CONCURRENCY: usize = 4;

/// How a key names a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Upn,
    ObjectId,
}

/// Picks lookups or the listing for `keys` keys in a tenant of `tenant_users` (if known).
pub fn choose_mode(keys: usize, tenant_users: Option<u64>) -> LookupMode {
    if keys == 0 {
        return LookupMode::Skipped;
    }
    if keys > MAX_BATCH_KEYS {
        return LookupMode::Listing;
    }
    let batch_calls = keys.div_ceil(MAX_BATCH) as u64;
    match tenant_users {
        Some(n) => {
            let pages = n.div_ceil(u64::from(MAX_PAGE)).max(1);
            if batch_calls <= pages {
                LookupMode::Batched
            } else {
                LookupMode::Listing
            }
        }
        None if keys <= FALLBACK_BATCH_KEYS => LookupMode::Batched,
        None => LookupMode::Listing,
    }
}

#[derive(serde::Deserialize)]
struct CountPage {
    #[serde(rename = "@odata.count")]
    count: Option<u64>,
}

/// The number of users in the tenant (`$count` needs `ConsistencyLevel: eventual`); `None`
/// when Graph will not say.
pub async fn count_users(client: &GraphClient) -> Option<u64> {
    let call = Call::new("count users", Method::GET, ApiVersion::V1, "/users")
        .query("$count", "true")
        .query("$top", "1")
        .query("$select", "id")
        .header(HeaderName::from_static("consistencylevel"), "eventual")
        .permission("User.Read.All");
    match client.send_json::<CountPage>(&call).await {
        Ok(page) => page.count,
        Err(e) => {
            tracing::debug!(error = %e, "could not count users; choosing lookups by input size");
            None
        }
    }
}

/// A key's answer: the user, or `None` when the tenant has no such user.
pub type Answer = Option<UserKey>;

fn lookup_call(kind: KeyKind, key: &str) -> Call {
    match kind {
        KeyKind::Upn => GraphClient::user_by_upn_call(key),
        KeyKind::ObjectId => Call::new(
            format!("get user '{key}'"),
            Method::GET,
            ApiVersion::V1,
            user_path(key),
        )
        .query("$select", "id,userPrincipalName")
        .permission("User.Read.All"),
    }
}

#[derive(serde::Deserialize)]
struct UserList {
    #[serde(default)]
    value: Vec<UserKey>,
}

/// Looks keys up, 20 to a `$batch` call, a few calls at a time; answers in the keys' order.
pub async fn lookup_batched(
    client: &GraphClient,
    kind: KeyKind,
    keys: &[String],
) -> Result<Vec<Answer>, GraphError> {
    let answers: Vec<Vec<Answer>> = lookup_stream(client, kind, keys).try_collect().await?;
    Ok(answers.into_iter().flatten().collect())
}

/// Looks keys up as [`lookup_batched`] does, yielding each call's answers (in the keys' order)
/// as they come, a few calls ahead of whoever reads them.
pub fn lookup_stream(
    client: &GraphClient,
    kind: KeyKind,
    keys: &[String],
) -> impl Stream<Item = Result<Vec<Answer>, GraphError>> + Send + 'static {
    // Owned chunks and an async fn per chunk keep the stream `Send` for any caller.
    let chunks: Vec<Vec<String>> = keys.chunks(MAX_BATCH).map(<[String]>::to_vec).collect();
    let client = client.clone();
    futures::stream::iter(chunks)
        .map(move |chunk| lookup_chunk(client.clone(), kind, chunk))
        .buffered(BATCH_CONCURRENCY)
}

async fn lookup_chunk(
    client: GraphClient,
    kind: KeyKind,
    chunk: Vec<String>,
) -> Result<Vec<Answer>, GraphError> {
    let requests: Vec<BatchRequest> = chunk
        .iter()
        .enumerate()
        .map(|(i, key)| BatchRequest::from_call(i.to_string(), &lookup_call(kind, key)))
        .collect();
    let responses = client.batch(ApiVersion::V1, requests).await?;
    responses
        .into_iter()
        .zip(&chunk)
        .map(|(r, key)| match (r.status, kind) {
            (200, KeyKind::Upn) => {
                let list: UserList = r
                    .body
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(|e| decode(key, &e))?
                    .unwrap_or(UserList { value: Vec::new() });
                Ok(list.value.into_iter().next())
            }
            (200, KeyKind::ObjectId) => r
                .body
                .map(serde_json::from_value::<UserKey>)
                .transpose()
                .map_err(|e| decode(key, &e)),
            (404, _) => Ok(None),
            (status, _) => Err(inner_error(key, status, r.body.as_ref())),
        })
        .collect()
}

fn decode(key: &str, e: &serde_json::Error) -> GraphError {
    GraphError::Decode {
        what: format!("look up user '{key}'"),
        reason: e.to_string(),
    }
}

fn inner_error(key: &str, status: u16, body: Option<&serde_json::Value>) -> GraphError {
    let message = body
        .and_then(|b| b.pointer("/error/message"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    GraphError::Decode {
        what: format!("look up user '{key}'"),
        reason: format!("Graph answered {status} inside the batch {message}")
            .trim_end()
            .to_owned(),
    }
}

/// Lists every user (`$select=id,userPrincipalName`, 999 a page), handing each to `f`;
/// returns how many there were. Only the current page is held.
pub async fn for_each_user(
    client: &GraphClient,
    mut f: impl FnMut(UserKey),
) -> Result<u64, GraphError> {
    let pages = client.user_pages::<UserKey>("id,userPrincipalName", MAX_PAGE);
    futures::pin_mut!(pages);
    let mut n = 0u64;
    while let Some(page) = pages.try_next().await? {
        n += page.len() as u64;
        page.into_iter().for_each(&mut f);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_for_small_inputs_listing_for_large_ones() {
        assert_eq!(choose_mode(0, Some(100)), LookupMode::Skipped);
        // 300 keys = 15 batch calls; a 100k tenant is 101 pages.
        assert_eq!(choose_mode(300, Some(100_000)), LookupMode::Batched);
        // 2,020 keys = 101 calls = the listing's 101 pages: a tie goes to lookups.
        assert_eq!(choose_mode(2_020, Some(100_000)), LookupMode::Batched);
        assert_eq!(choose_mode(2_021, Some(100_000)), LookupMode::Listing);
        // A small tenant lists in one page.
        assert_eq!(choose_mode(21, Some(318)), LookupMode::Listing);
        assert_eq!(choose_mode(20, Some(318)), LookupMode::Batched);
        // Unknown tenant size: by input size.
        assert_eq!(choose_mode(FALLBACK_BATCH_KEYS, None), LookupMode::Batched);
        assert_eq!(
            choose_mode(FALLBACK_BATCH_KEYS + 1, None),
            LookupMode::Listing
        );
        assert_eq!(
            choose_mode(MAX_BATCH_KEYS + 1, Some(100_000_000)),
            LookupMode::Listing
        );
    }
}
