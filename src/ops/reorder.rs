//! Precedence edits: plan a new list from an edit (pure), then apply it with read-compare-write.

use serde::Serialize;

use super::OpsError;
use super::lock::precedence_lock;
use super::snapshot::{PrecedenceSetting, read_precedence};
use crate::graph::GraphClient;
use crate::people::ids::SourceId;
use crate::people::precedence::{Change, PrecedenceList, Problem};
use crate::people::source_url::SourceUrl;

/// An edit of the precedence list, as the admin asks for it. Ranks are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    MoveUp(SourceId),
    MoveDown(SourceId),
    /// Move a source so it ends up at this rank.
    MoveTo(SourceId, usize),
    /// Replace the list with these sources, in this order.
    Set(Vec<SourceId>),
    /// Remove every entry naming the source.
    Remove(SourceId),
    /// Remove the entry at this rank (for entries that name no source we recognise).
    RemoveRank(usize),
}

/// A new list, ready to preview and apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReorderPlan {
    pub setting_id: String,
    pub before: PrecedenceList,
    pub after: PrecedenceList,
    pub changes: Vec<Change>,
    /// Problems the new list would have (reported, never fixed behind the admin's back).
    #[serde(skip)]
    pub problems: Vec<Problem>,
}

impl ReorderPlan {
    /// True when the edit changes nothing.
    pub fn is_noop(&self) -> bool {
        self.before == self.after
    }
}

/// Computes the list an edit produces. Pure: no Graph call.
pub fn plan_edit(setting: &PrecedenceSetting, edit: &Edit) -> Result<ReorderPlan, OpsError> {
    let before = &setting.list;
    let index = |id: &SourceId| {
        before.index_of(id).ok_or_else(|| {
            OpsError::NotFound(format!("source '{id}' is not in the precedence list"))
        })
    };
    let rank = |rank: usize| {
        if rank == 0 || rank > before.len() {
            Err(OpsError::Invalid(format!(
                "rank {rank} is outside the list (1..{})",
                before.len()
            )))
        } else {
            Ok(rank - 1)
        }
    };
    let edited = match edit {
        Edit::MoveUp(id) => before.move_up(index(id)?),
        Edit::MoveDown(id) => before.move_down(index(id)?),
        Edit::MoveTo(id, to) => before.move_to(index(id)?, rank(*to)?),
        Edit::Remove(id) => before.remove_source(index(id).map(|_| id)?),
        Edit::RemoveRank(r) => before.remove(rank(*r)?),
        Edit::Set(ids) => Ok(set_list(before, ids)?),
    }
    .map_err(|e| OpsError::Invalid(e.to_string()))?;
    let after = edited;
    Ok(ReorderPlan {
        setting_id: setting.id.clone(),
        changes: before.diff(&after),
        problems: after.validate(&[]),
        before: before.clone(),
        after,
    })
}

/// The list `set` asks for. Entries already present keep their exact text; Entra ID must be
/// named (Microsoft would append it anyway, which would not be the order asked for).
fn set_list(before: &PrecedenceList, ids: &[SourceId]) -> Result<PrecedenceList, OpsError> {
    let mut entries: Vec<SourceUrl> = Vec::with_capacity(ids.len());
    for id in ids {
        if entries.iter().any(|e| e.source_id() == Some(id)) {
            return Err(OpsError::Invalid(format!("source '{id}' is named twice")));
        }
        let entry = before.index_of(id).map_or_else(
            || SourceUrl::for_source(id),
            |i| before.entries()[i].clone(),
        );
        entries.push(entry);
    }
    if !ids.iter().any(SourceId::is_entra) {
        return Err(OpsError::Invalid(format!(
            "the list must name Microsoft Entra ID ({}) where it should rank",
            SourceId::entra()
        )));
    }
    Ok(PrecedenceList::new(entries))
}

/// Applies a plan: reads the setting again and writes only if it still holds the list the
/// plan was made from; otherwise nothing is written and both lists are returned.
pub async fn apply(
    client: &GraphClient,
    plan: &ReorderPlan,
) -> Result<PrecedenceSetting, OpsError> {
    let _lock = precedence_lock(client).await?;
    let current = read_precedence(client)
        .await?
        .ok_or_else(|| OpsError::Refused("the precedence setting no longer exists".into()))?;
    if current.id != plan.setting_id || current.list != plan.before {
        return Err(OpsError::Conflict {
            expected: plan.before.clone(),
            actual: current.list,
        });
    }
    if plan.is_noop() {
        return Ok(current);
    }
    let written = client
        .update_precedence(&current.id, &plan.after.to_strings())
        .await?;
    Ok(PrecedenceSetting {
        id: written.id,
        list: PrecedenceList::from_urls(written.prioritized_source_urls),
    })
}

/// Writes a list to the nameless setting, creating the setting when there is none. A list that
/// would be empty becomes Entra ID alone: the setting is patched, never deleted. The caller
/// holds the precedence lock across its read and this write.
pub(crate) async fn write_list(
    client: &GraphClient,
    setting_id: Option<&str>,
    list: &PrecedenceList,
) -> Result<PrecedenceSetting, OpsError> {
    let list = if list.is_empty() {
        PrecedenceList::from_sources([&SourceId::entra()])
    } else {
        list.clone()
    };
    let written = match setting_id {
        Some(id) => client.update_precedence(id, &list.to_strings()).await?,
        None => client.create_precedence_setting(&list.to_strings()).await?,
    };
    Ok(PrecedenceSetting {
        id: written.id,
        list: PrecedenceList::from_urls(written.prioritized_source_urls),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::source_url::ENTRA_SOURCE_ID;

    fn id(s: &str) -> SourceId {
        SourceId::new(s).unwrap()
    }

    fn setting() -> PrecedenceSetting {
        PrecedenceSetting {
            id: "s1".into(),
            list: PrecedenceList::from_urls([
                "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='hr')"
                    .to_owned(),
                format!(
                    "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='{ENTRA_SOURCE_ID}')"
                ),
                "https://graph.microsoft.com/beta/admin/people/profileSources(sourceId='talent')"
                    .to_owned(),
                "https://example.com/something-else".to_owned(),
            ]),
        }
    }

    fn ids(list: &PrecedenceList) -> Vec<String> {
        list.entries()
            .iter()
            .map(|e| {
                e.source_id()
                    .map_or_else(|| e.as_str().to_owned(), |s| s.as_str().to_owned())
            })
            .collect()
    }

    #[test]
    fn moves_by_id_and_rank() {
        let plan = plan_edit(&setting(), &Edit::MoveTo(id("talent"), 1)).unwrap();
        assert_eq!(ids(&plan.after)[0], "talent");
        assert_eq!(plan.after.len(), 4);
        // The beta-form entry travels with its exact text.
        assert!(plan.after.entries()[0].as_str().contains("/beta/"));
        assert!(!plan.changes.is_empty());
        let plan = plan_edit(&setting(), &Edit::MoveDown(id("hr"))).unwrap();
        assert_eq!(ids(&plan.after)[1], "hr");
        assert!(plan_edit(&setting(), &Edit::MoveUp(id("hr"))).is_err());
        assert!(plan_edit(&setting(), &Edit::MoveTo(id("hr"), 9)).is_err());
        assert!(plan_edit(&setting(), &Edit::MoveTo(id("nope"), 1)).is_err());
    }

    #[test]
    fn set_keeps_known_text_requires_entra_and_refuses_duplicates() {
        let plan = plan_edit(
            &setting(),
            &Edit::Set(vec![id(ENTRA_SOURCE_ID), id("talent"), id("newone")]),
        )
        .unwrap();
        assert_eq!(ids(&plan.after), [ENTRA_SOURCE_ID, "talent", "newone"]);
        assert!(plan.after.entries()[1].as_str().contains("/beta/"));
        assert!(plan.after.entries()[2].is_canonical());
        // The unrecognised entry and hr are dropped on an explicit set, and the diff says so.
        assert!(
            plan.changes
                .iter()
                .filter(|c| matches!(c, Change::Removed { .. }))
                .count()
                >= 2
        );
        assert!(plan_edit(&setting(), &Edit::Set(vec![id("hr")])).is_err());
        assert!(
            plan_edit(
                &setting(),
                &Edit::Set(vec![id("hr"), id("hr"), id(ENTRA_SOURCE_ID)])
            )
            .is_err()
        );
    }

    #[test]
    fn removes_by_id_or_rank() {
        let plan = plan_edit(&setting(), &Edit::RemoveRank(4)).unwrap();
        assert_eq!(plan.after.len(), 3);
        let plan = plan_edit(&setting(), &Edit::Remove(id("talent"))).unwrap();
        assert_eq!(
            ids(&plan.after),
            ["hr", ENTRA_SOURCE_ID, "https://example.com/something-else"]
        );
        assert!(plan_edit(&setting(), &Edit::RemoveRank(0)).is_err());
    }
}
