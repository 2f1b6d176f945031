//! What replacing one precedence list with another does to a set of users: which composed
//! values change, per property.

use serde::Serialize;

use super::compose::{Composer, Composition, PropertyCatalog, Ranking, SourceTable, UserSources};
use super::precedence::PrecedenceList;

/// How many users' composed value of one property a reorder changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyImpact {
    /// The property's path.
    pub property: String,
    /// Users whose composed value of it changes.
    pub changed: usize,
}

/// What replacing one precedence list with another does to a set of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Impact {
    /// Users examined.
    pub users: usize,
    /// Indices (into the input) of users with at least one changed property.
    pub changed_users: Vec<usize>,
    /// Properties with at least one change, in catalog order.
    pub per_property: Vec<PropertyImpact>,
}

/// Which users' composed values change between `before` and `after`, per property ("this
/// reorder changes jobTitle for 37 of 312 users"). A value that stays the same but now comes
/// from another source is not a change; a multi-valued property whose items change order is.
pub fn impact(
    before: &PrecedenceList,
    after: &PrecedenceList,
    catalog: &PropertyCatalog,
    table: &SourceTable,
    users: &[UserSources],
) -> Impact {
    let old = Composer::new(catalog, Ranking::new(table, before));
    let new = Composer::new(catalog, Ranking::new(table, after));
    let props: Vec<_> = catalog.iter().map(|(id, _, kind)| (id, kind)).collect();
    let mut counts = vec![0usize; props.len()];
    let mut changed_users = Vec::new();
    let mut a = Composition::new();
    let mut b = Composition::new();
    for (u, user) in users.iter().enumerate() {
        old.compose_into(user, &mut a);
        new.compose_into(user, &mut b);
        let mut any = false;
        for (count, (id, kind)) in counts.iter_mut().zip(&props) {
            if !a.same_value(&b, *id, *kind) {
                *count += 1;
                any = true;
            }
        }
        if any {
            changed_users.push(u);
        }
    }
    Impact {
        users: users.len(),
        changed_users,
        per_property: props
            .iter()
            .zip(counts)
            .filter(|(_, c)| *c > 0)
            .map(|((id, _), changed)| PropertyImpact {
                property: catalog.path(*id).to_owned(),
                changed,
            })
            .collect(),
    }
}
