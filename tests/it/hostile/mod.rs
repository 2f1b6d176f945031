//! Hostile answers and hostile data on the way in and out.

mod bounds;
mod exports;
mod graph;
mod terminal;
