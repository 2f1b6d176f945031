//! A faithful local Microsoft Graph for the people-connector endpoints, over TLS.
