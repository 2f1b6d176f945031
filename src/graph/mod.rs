//! Microsoft Graph over HTTPS: client, errors, retries, paging, batching, resources.
