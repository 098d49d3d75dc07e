//! How data crosses from the server to the browser: one JSON reader for everything.
//!
//! Server functions answer JSON that the browser reads with `serde_json::from_slice`, while Leptos's
//! default resource codec reads the copy embedded in the page with `serde_json::from_str`. Each
//! reader makes the compiler emit every view type's whole deserializer once more, so the bundle
//! carried most of them twice. [`Json`] (for resources) and [`from_json`] (for live updates) read
//! with the same reader the server functions use.

use leptos::server::codee::{Decoder, Encoder};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The resource codec: JSON written with `serde_json`, read back as bytes.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(val)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(val: &str) -> Result<T, serde_json::Error> {
        from_json(val)
    }
}

/// Reads JSON text the one way the bundle does.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_slice(text.as_bytes())
}

/// A resource read with [`Json`]; created like `Resource::new`.
pub type Resource<T> = leptos::prelude::Resource<T, Json>;

/// `Resource::new` with the [`Json`] codec.
pub fn resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
