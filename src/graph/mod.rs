//! Microsoft Graph over HTTPS: client, errors, retries, paging, batching, one file per resource.

pub mod batch;
pub mod client;
pub mod connections;
pub mod error;
pub mod items;
pub mod paging;
pub mod profile;
pub mod retry;
mod serde_util;
pub mod settings;
pub mod sources;
pub mod timeouts;
pub mod users;

pub use client::{ApiVersion, Call, GraphClient, TransportOptions, build_http_client};
pub use error::GraphError;
pub use timeouts::Timeouts;
