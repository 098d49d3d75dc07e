//! One module per page.

pub mod catalog;
pub mod problems;
pub mod service;
pub mod system;
pub mod team;
