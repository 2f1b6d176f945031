//! What a change of the tenant does to a set of users: who sees a different value of which
//! property, from which value and source to which. One diff serves a reorder (two lists),
//! a registration (a source starts to count) and a removal (a source stops counting).

use std::borrow::Cow;

use serde::Serialize;

use super::compose::{
    Composer, Composition, PropertyCatalog, PropertyId, PropertyKind, Ranking, SourceKey,
    SourceTable, UserSources,
};
use super::ids::SourceId;
use super::precedence::PrecedenceList;

/// One side of a change: a precedence list, and the sources whose data does not count (not
/// registered, or about to be removed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scenario {
    pub list: PrecedenceList,
    pub excluded: Vec<SourceId>,
}

impl Scenario {
    /// `list`, with every source counting.
    pub fn new(list: PrecedenceList) -> Self {
        Self {
            list,
            excluded: Vec::new(),
        }
    }

    /// The same, without `excluded`'s data.
    #[must_use]
    pub fn excluding(mut self, excluded: impl IntoIterator<Item = SourceId>) -> Self {
        self.excluded.extend(excluded);
        self
    }
}

/// How many users' composed value of one property a change alters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyImpact {
    /// The property's path.
    pub property: String,
    /// Users whose composed value of it changes.
    pub changed: usize,
}

/// One changed value: a user (index into the input) and a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangedValue {
    pub user: usize,
    pub property: PropertyId,
}

/// What a change does to a set of users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impact {
    /// Users examined.
    pub users: usize,
    /// Indices (into the input) of users with at least one changed property.
    pub changed_users: Vec<usize>,
    /// Properties with at least one change, in catalog order.
    pub per_property: Vec<PropertyImpact>,
    /// Every changed value, by user, then in catalog order (compact: the values themselves
    /// are recomposed on demand with [`ImpactModel::detail`]).
    pub changes: Vec<ChangedValue>,
}

/// A value and where it came from (multi-valued: every item, and the sources in order).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    pub value: serde_json::Value,
    pub sources: Vec<SourceId>,
}

/// One change with its values.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeDetail {
    pub property: String,
    pub before: Side,
    pub after: Side,
}

/// The users, properties and sources a diff runs over.
#[derive(Debug, Clone, Copy)]
pub struct ImpactModel<'a> {
    pub catalog: &'a PropertyCatalog,
    pub table: &'a SourceTable,
    pub users: &'a [UserSources],
}

/// A scenario made ready to compose: the ranking and the excluded keys.
struct Prepared {
    composer: Composer,
    excluded: Vec<SourceKey>,
}

impl ImpactModel<'_> {
    fn prepare(&self, s: &Scenario) -> Prepared {
        Prepared {
            composer: Composer::new(self.catalog, Ranking::new(self.table, &s.list)),
            excluded: s
                .excluded
                .iter()
                .filter_map(|id| self.table.get(id))
                .collect(),
        }
    }

    /// The user's sources without the excluded ones (borrowed when nothing is excluded).
    fn without<'u>(user: &'u UserSources, excluded: &[SourceKey]) -> Cow<'u, UserSources> {
        if !user.sources.iter().any(|s| excluded.contains(&s.source)) {
            return Cow::Borrowed(user);
        }
        let mut out = UserSources::new();
        out.sources.extend(
            user.sources
                .iter()
                .filter(|s| !excluded.contains(&s.source))
                .cloned(),
        );
        Cow::Owned(out)
    }

    /// Which users' composed values change between `before` and `after`, per property ("this
    /// reorder changes jobTitle for 37 of 312 users"), and each changed value. A value that
    /// stays the same but now comes from another source is not a change; a multi-valued
    /// property whose items change order is.
    pub fn diff(&self, before: &Scenario, after: &Scenario) -> Impact {
        let old = self.prepare(before);
        let new = self.prepare(after);
        let props: Vec<_> = self
            .catalog
            .iter()
            .map(|(id, _, kind)| (id, kind))
            .collect();
        let mut counts = vec![0usize; props.len()];
        let mut changed_users = Vec::new();
        let mut changes = Vec::new();
        let mut a = Composition::new();
        let mut b = Composition::new();
        for (u, user) in self.users.iter().enumerate() {
            let user_a = Self::without(user, &old.excluded);
            let user_b = Self::without(user, &new.excluded);
            let mut any = false;
            let mut compare = |a: &Composition<'_>, b: &Composition<'_>| {
                for (count, (id, kind)) in counts.iter_mut().zip(&props) {
                    if !a.same_value(b, *id, *kind) {
                        *count += 1;
                        any = true;
                        changes.push(ChangedValue {
                            user: u,
                            property: *id,
                        });
                    }
                }
            };
            match (&user_a, &user_b) {
                // The hot path: nothing excluded for this user, the buffers are reused.
                (Cow::Borrowed(x), Cow::Borrowed(y)) => {
                    old.composer.compose_into(x, &mut a);
                    new.composer.compose_into(y, &mut b);
                    compare(&a, &b);
                }
                _ => compare(
                    &old.composer.compose(&user_a),
                    &new.composer.compose(&user_b),
                ),
            }
            if any {
                changed_users.push(u);
            }
        }
        Impact {
            users: self.users.len(),
            changed_users,
            per_property: props
                .iter()
                .zip(counts)
                .filter(|(_, c)| *c > 0)
                .map(|((id, _), changed)| PropertyImpact {
                    property: self.catalog.path(*id).to_owned(),
                    changed,
                })
                .collect(),
            changes,
        }
    }

    /// The values of one change, before and after, each with its source(s).
    pub fn detail(
        &self,
        before: &Scenario,
        after: &Scenario,
        change: ChangedValue,
    ) -> ChangeDetail {
        let side = |s: &Scenario| {
            let prepared = self.prepare(s);
            let user = Self::without(&self.users[change.user], &prepared.excluded);
            let composed = prepared.composer.compose(&user);
            let id_of = |k: SourceKey| self.table.id(k).cloned().unwrap_or_else(SourceId::entra);
            match self.catalog.kind(change.property) {
                PropertyKind::Single => match composed.get(change.property) {
                    Some(pick) => Side {
                        value: pick.value.to_json(),
                        sources: vec![id_of(pick.source)],
                    },
                    None => Side {
                        value: serde_json::Value::Null,
                        sources: Vec::new(),
                    },
                },
                PropertyKind::Multi => {
                    let mut sources: Vec<SourceId> = Vec::new();
                    let mut items = Vec::new();
                    for pick in composed.items(change.property) {
                        items.push(pick.value.to_json());
                        let id = id_of(pick.source);
                        if !sources.contains(&id) {
                            sources.push(id);
                        }
                    }
                    Side {
                        value: serde_json::Value::Array(items),
                        sources,
                    }
                }
            }
        };
        ChangeDetail {
            property: self.catalog.path(change.property).to_owned(),
            before: side(before),
            after: side(after),
        }
    }
}

/// Which users' composed values change between two precedence lists, every source counting.
pub fn impact(
    before: &PrecedenceList,
    after: &PrecedenceList,
    catalog: &PropertyCatalog,
    table: &SourceTable,
    users: &[UserSources],
) -> Impact {
    ImpactModel {
        catalog,
        table,
        users,
    }
    .diff(
        &Scenario::new(before.clone()),
        &Scenario::new(after.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::compose::{SourceEntities, user_sources};
    use serde_json::json;

    fn hr() -> SourceId {
        SourceId::new("contosohr").unwrap()
    }

    struct Tenant {
        catalog: PropertyCatalog,
        table: SourceTable,
        users: Vec<UserSources>,
    }

    impl Tenant {
        fn model(&self) -> ImpactModel<'_> {
            ImpactModel {
                catalog: &self.catalog,
                table: &self.table,
                users: &self.users,
            }
        }
    }

    fn users() -> Tenant {
        let mut u = Tenant {
            catalog: PropertyCatalog::new(),
            table: SourceTable::new(),
            users: Vec::new(),
        };
        for sources in [
            // Alex: HR says Senior, Entra says plain; both agree on the department.
            vec![
                SourceEntities::new(SourceId::entra()).with(
                    "positions",
                    json!({"detail": {"jobTitle": "Software Engineer", "company": {"department": "Eng"}}}),
                ),
                SourceEntities::new(hr()).with(
                    "positions",
                    json!({"detail": {"jobTitle": "Senior Software Engineer", "company": {"department": "Eng"}}}),
                ),
            ],
            // Bo: only Entra.
            vec![SourceEntities::new(SourceId::entra())
                .with("positions", json!({"detail": {"jobTitle": "Designer"}}))],
        ] {
            let user = user_sources(&mut u.catalog, &mut u.table, &sources);
            u.users.push(user);
        }
        u
    }

    #[test]
    fn a_reorder_lists_who_changes_from_what_to_what() {
        let u = users();
        let hr_first = Scenario::new(PrecedenceList::from_sources([&hr(), &SourceId::entra()]));
        let entra_first = Scenario::new(PrecedenceList::from_sources([&SourceId::entra(), &hr()]));
        let impact = u.model().diff(&hr_first, &entra_first);
        assert_eq!(impact.changed_users, [0]);
        assert_eq!(impact.changes.len(), 1, "the department agrees: no change");
        let d = u.model().detail(&hr_first, &entra_first, impact.changes[0]);
        assert_eq!(d.property, "positions/detail/jobTitle");
        assert_eq!(d.before.value, "Senior Software Engineer");
        assert_eq!(d.before.sources, [hr()]);
        assert_eq!(d.after.value, "Software Engineer");
        assert_eq!(d.after.sources, [SourceId::entra()]);
    }

    #[test]
    fn registering_and_removing_are_the_same_diff_with_a_source_excluded_on_one_side() {
        let u = users();
        let list = PrecedenceList::from_sources([&hr(), &SourceId::entra()]);
        let with = Scenario::new(list.clone());
        let without = Scenario::new(list.clone()).excluding([hr()]);
        let removal = u.model().diff(&with, &without);
        let register = u.model().diff(&without, &with);
        assert_eq!(removal.changes, register.changes);
        assert_eq!(removal.per_property[0].changed, 1);
        let d = u.model().detail(&without, &with, register.changes[0]);
        assert_eq!(d.before.value, "Software Engineer");
        assert_eq!(d.after.value, "Senior Software Engineer");

        // Ranked below Entra, HR decides nothing Entra has: removing it changes nothing.
        let low = PrecedenceList::from_sources([&SourceId::entra(), &hr()]);
        let none = u.model().diff(
            &Scenario::new(low.clone()),
            &Scenario::new(low).excluding([hr()]),
        );
        assert!(none.changes.is_empty());
        assert!(none.changed_users.is_empty());
    }
}
