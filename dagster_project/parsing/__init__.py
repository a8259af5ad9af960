"""Pure functions that turn raw news bytes into clean articles and extracted facts."""
