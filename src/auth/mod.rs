//! Credentials for Microsoft Graph, as azure_core token credentials.
