//! The composed profile: each property's value by source precedence, with provenance.
//!
//! # Rules (graph-api.md §6.4)
//!
//! * **Single-valued** data (work position, names, account) is decided per property, at leaf
//!   path granularity (`positions/detail/jobTitle`, `positions/detail/company/department`): the
//!   highest-ranked source that has a value wins. An empty string *is* a value and wins; `null`
//!   or an absent property is not.
//! * **Multi-valued** data (emails, phones, addresses, skills, ...) is concatenated in source
//!   rank order, duplicates kept, each item tagged with its source.
//! * The profile API's `user` source ([`USER_SOURCE_ID`]) never overrides connector or Entra ID
//!   values (seed 003): what a user writes is an instance of its own beside the composed one, so
//!   it never supplies a single-valued property, and its multi-valued items come last.
//! * Entra ID ranks after the listed sources when the list lacks it (the service appends it,
//!   graph-api.md §6.3); any other source the list does not name counts for nothing (its data
//!   lands in Graph but reaches no profile). Entries naming the same source twice count at their
//!   first position.
//!
//! # Two entry points
//!
//! * [`compose_entities`] works on JSON profile entities (the shape of
//!   `GET /beta/users/{id}/profile`): per collection, the merged single-valued entity in Graph's
//!   shape, the slash paths each source supplied, and multi-valued items tagged with their source.
//! * The typed core ([`Composer`] over [`UserSources`]) is for explaining one user and for
//!   re-composing 100k users when previewing a reorder; [`Composer::compose_into`] allocates
//!   nothing once its output buffer has grown.
//!
//! ```
//! use peoplectl::people::compose::{compose_entities, SourceEntities};
//! use peoplectl::people::ids::SourceId;
//! use peoplectl::people::precedence::PrecedenceList;
//! use serde_json::json;
//!
//! let hr = SourceId::new("contosohr").unwrap();
//! let list = PrecedenceList::from_urls([
//!     "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='contosohr')",
//!     "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='4ce763dd-9214-4eff-af7c-da491cc3782d')",
//! ]);
//! let entra = SourceEntities::new(SourceId::entra())
//!     .with("positions", json!({"detail": {"jobTitle": "Software Engineer",
//!                                          "company": {"department": "Engineering"}}}))
//!     .with("emails", json!({"address": "alexw@contoso.com", "type": "work"}));
//! let connector = SourceEntities::new(hr.clone())
//!     .with("positions", json!({"detail": {"jobTitle": "Senior Software Engineer",
//!                                          "company": {"department": null}}}))
//!     .with("emails", json!({"address": "alex@home.example", "type": "personal"}));
//!
//! let profile = compose_entities(&list, &[entra, connector]);
//!
//! let positions = &profile.collections["positions"];
//! let merged = positions.merged.as_ref().unwrap();
//! // The connector ranks first and wins jobTitle; its null department does not override Entra.
//! assert_eq!(merged.entity, json!({"detail": {"jobTitle": "Senior Software Engineer",
//!                                             "company": {"department": "Engineering"}}}));
//! assert_eq!(merged.sources[0].source_id, hr);
//! assert_eq!(merged.sources[0].properties, ["detail/jobTitle"]);
//! assert_eq!(merged.sources[1].properties, ["detail/company/department"]);
//! // Graph's `sources` annotation and `source.type` tokens, ready to serialise.
//! assert_eq!(serde_json::to_value(merged.annotations()).unwrap(), json!([
//!     {"sourceId": "contosohr", "isDefaultSource": true},
//!     {"sourceId": "4ce763dd-9214-4eff-af7c-da491cc3782d",
//!      "properties": ["detail/company/department"]}]));
//! assert_eq!(merged.source_types(), ["ConnectorSource", "AAD"]);
//!
//! // Multi-valued: every item, in source rank order, tagged with its source.
//! let emails = &profile.collections["emails"].items;
//! assert_eq!(emails[0].source_id, hr);
//! assert_eq!(emails[1].item["address"], "alexw@contoso.com");
//! ```
//!
//! [`USER_SOURCE_ID`]: crate::people::source_url::USER_SOURCE_ID

mod catalog;
mod composer;
mod entities;
mod ranking;
mod value;

pub use catalog::{
    PropertyCatalog, PropertyId, PropertyKind, SINGLE_VALUED_COLLECTIONS, SourceKey, SourceTable,
    collection_kind,
};
pub use composer::{
    Composer, Composition, Contribution, Pick, Provenance, Rule, SourceValues, UserSources,
};
pub use entities::{
    ComposedCollection, ComposedEntities, MergedEntity, SourceAnnotation, SourceContribution,
    SourceEntities, SourcedItem, compose_entities, explain_entities, user_sources,
};
pub use ranking::Ranking;
pub use value::Value;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;
