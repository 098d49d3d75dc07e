//! The service catalog: Backstage descriptors read from files, indexed, searched and kept fresh.

pub mod descriptor;
pub mod index;
pub mod query;
pub mod refs;
pub mod source;

pub use index::Catalog;
pub use source::CatalogStore;
