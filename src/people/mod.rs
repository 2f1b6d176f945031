//! Pure rules of people data: source references, precedence, composition, connector contracts.
