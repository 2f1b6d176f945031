//! Pure rules of people data: source references, precedence, composition, connector contracts.
//!
//! Nothing here does I/O or async work. Conventions used throughout: an *index* is a 0-based
//! position in a precedence list (index 0 = highest priority, as in Graph); a *rank* is the
//! 1-based effective priority shown to people (rank 1 = highest).

pub mod compose;
pub mod entities;
pub mod ids;
pub mod impact;
pub mod item;
pub mod precedence;
pub mod reach;
pub mod schema;
pub mod source_url;
