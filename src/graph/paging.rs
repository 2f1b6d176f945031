//! OData collections: one page at a time as a stream, or all of them, following `@odata.nextLink`.

use futures::Stream;
use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::client::{Call, GraphClient};
use super::error::GraphError;

/// One page of an OData collection.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
}

/// Most pages we follow for one listing: a loop guard against a service that keeps linking.
const MAX_PAGES: usize = 100_000;

impl GraphClient {
    /// The pages of a collection, fetched lazily as the stream is polled.
    pub fn pages<T: DeserializeOwned + Send + 'static>(
        &self,
        first: Call,
    ) -> impl Stream<Item = Result<Vec<T>, GraphError>> + Send + 'static {
        let client = self.clone();
        futures::stream::try_unfold((Some(first), 0usize), move |(call, n)| {
            let client = client.clone();
            async move {
                let Some(call) = call else {
                    return Ok(None);
                };
                if n >= MAX_PAGES {
                    return Err(GraphError::Decode {
                        what: call.what,
                        reason: format!("more than {MAX_PAGES} pages; stopped following nextLink"),
                    });
                }
                let page: Page<T> = client.send_json(&call).await?;
                let next = page.next_link.map(|link| Call {
                    path: link,
                    query: Vec::new(),
                    method: Method::GET,
                    ..call
                });
                Ok(Some((page.value, (next, n + 1))))
            }
        })
    }

    /// Every item of a collection.
    pub async fn list_all<T: DeserializeOwned + Send + 'static>(
        &self,
        first: Call,
    ) -> Result<Vec<T>, GraphError> {
        use futures::TryStreamExt;
        let mut all = Vec::new();
        let pages = self.pages::<T>(first);
        futures::pin_mut!(pages);
        while let Some(page) = pages.try_next().await? {
            all.extend(page);
        }
        Ok(all)
    }
}
