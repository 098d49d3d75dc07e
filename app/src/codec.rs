//! How data crosses from the server to the browser: one JSON reader for everything.
//!
//! Server functions answer JSON that the browser reads with `serde_json::from_slice`, while Leptos's
//! default resource codec reads the copy embedded in the page with `serde_json::from_str`. Each
//! reader makes the compiler emit every view type's whole deserializer once more, so the bundle
//! carried most of them twice. [`Json`] (for resources), [`from_json`] (for live updates) and
//! [`JsonOut`] (every server function's answer) read with one reader.
//!
//! That reader reads structs from JSON objects only ([`objects_only`]): serde's derived readers
//! also accept a struct written as an array, which JSON from the portal never is, and that second
//! form was a third of the bundle's reading code (BENCHMARKS.md).

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
    from_json_bytes(text.as_bytes())
}

/// [`from_json`] of bytes: `serde_json::from_slice`, structs read from objects only.
pub fn from_json_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(objects_only::De(&mut de))?;
    de.end()?;
    Ok(value)
}

/// Server functions' answers: JSON in a `POST` answer, as Leptos's default `Json`, read with
/// [`from_json_bytes`]. Every `#[server]` function names it as its `output`.
pub type JsonOut = leptos::server_fn::codec::Post<JsonObjects>;

/// The encoding of [`JsonOut`].
pub struct JsonObjects;

impl leptos::server_fn::ContentType for JsonObjects {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl leptos::server_fn::FormatType for JsonObjects {
    const FORMAT_TYPE: leptos::server_fn::Format = leptos::server_fn::Format::Text;
}

impl<T: Serialize> leptos::server_fn::Encodes<T> for JsonObjects {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<leptos::server_fn::Bytes, serde_json::Error> {
        serde_json::to_vec(output).map(Into::into)
    }
}

impl<T: DeserializeOwned> leptos::server_fn::Decodes<T> for JsonObjects {
    type Error = serde_json::Error;

    fn decode(bytes: leptos::server_fn::Bytes) -> Result<T, serde_json::Error> {
        from_json_bytes(&bytes)
    }
}

/// A deserializer that passes everything to the one it wraps, except that a struct is read as a
/// map (`deserialize_map`, not `deserialize_struct`): the derived visitors' `visit_seq` (a struct
/// as an array) is then never called, so never compiled into the bundle. Every visitor, seed and
/// access it hands out is wrapped the same way, so nested structs are read so too. For JSON whose
/// structs are objects it reads exactly what `serde_json` reads.
pub mod objects_only {
    use serde::de::{
        DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
    };
    use std::fmt;

    /// The wrapped deserializer.
    pub struct De<D>(pub D);
    struct Vis<V>(V);
    struct Seed<S>(S);
    struct Seq<A>(A);
    struct Map<A>(A);
    struct Enum<A>(A);
    struct Variant<A>(A);

    macro_rules! forward {
        ($($method:ident)*) => {$(
            fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
                self.0.$method(Vis(v))
            }
        )*};
    }

    impl<'de, D: Deserializer<'de>> Deserializer<'de> for De<D> {
        type Error = D::Error;

        forward! {
            deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
            deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
            deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
            deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
            deserialize_option deserialize_unit deserialize_seq deserialize_map
            deserialize_identifier deserialize_ignored_any
        }

        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            v: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_unit_struct(name, Vis(v))
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            v: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_newtype_struct(name, Vis(v))
        }

        fn deserialize_tuple<V: Visitor<'de>>(
            self,
            len: usize,
            v: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_tuple(len, Vis(v))
        }

        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            len: usize,
            v: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_tuple_struct(name, len, Vis(v))
        }

        /// The one change: a struct is a map.
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _fields: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_map(Vis(v))
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            variants: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_enum(name, variants, Vis(v))
        }

        fn is_human_readable(&self) -> bool {
            self.0.is_human_readable()
        }
    }

    macro_rules! visit {
        ($($method:ident($t:ty))*) => {$(
            fn $method<E: serde::de::Error>(self, v: $t) -> Result<V::Value, E> {
                self.0.$method(v)
            }
        )*};
    }

    impl<'de, V: Visitor<'de>> Visitor<'de> for Vis<V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            self.0.expecting(f)
        }

        visit! {
            visit_bool(bool) visit_i64(i64) visit_i128(i128) visit_u64(u64) visit_u128(u128)
            visit_f64(f64) visit_char(char) visit_str(&str) visit_borrowed_str(&'de str)
            visit_string(String) visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8])
            visit_byte_buf(Vec<u8>)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<V::Value, E> {
            self.0.visit_none()
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<V::Value, E> {
            self.0.visit_unit()
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
            self.0.visit_some(De(d))
        }

        fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
            self.0.visit_newtype_struct(De(d))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
            self.0.visit_seq(Seq(a))
        }

        fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
            self.0.visit_map(Map(a))
        }

        fn visit_enum<A: EnumAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
            self.0.visit_enum(Enum(a))
        }
    }

    impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
        type Value = S::Value;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
            self.0.deserialize(De(d))
        }
    }

    impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
        type Error = A::Error;

        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, A::Error> {
            self.0.next_element_seed(Seed(seed))
        }

        fn size_hint(&self) -> Option<usize> {
            self.0.size_hint()
        }
    }

    impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<A> {
        type Error = A::Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, A::Error> {
            self.0.next_key_seed(Seed(seed))
        }

        fn next_value_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<T::Value, A::Error> {
            self.0.next_value_seed(Seed(seed))
        }

        fn size_hint(&self) -> Option<usize> {
            self.0.size_hint()
        }
    }

    impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<A> {
        type Error = A::Error;
        type Variant = Variant<A::Variant>;

        fn variant_seed<S: DeserializeSeed<'de>>(
            self,
            seed: S,
        ) -> Result<(S::Value, Self::Variant), A::Error> {
            self.0
                .variant_seed(Seed(seed))
                .map(|(v, a)| (v, Variant(a)))
        }
    }

    impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<A> {
        type Error = A::Error;

        fn unit_variant(self) -> Result<(), A::Error> {
            self.0.unit_variant()
        }

        fn newtype_variant_seed<T: DeserializeSeed<'de>>(
            self,
            seed: T,
        ) -> Result<T::Value, A::Error> {
            self.0.newtype_variant_seed(Seed(seed))
        }

        fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, A::Error> {
            self.0.tuple_variant(len, Vis(v))
        }

        fn struct_variant<V: Visitor<'de>>(
            self,
            fields: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, A::Error> {
            self.0.struct_variant(fields, Vis(v))
        }
    }
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

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Inner {
        a_b: Option<u8>,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    enum Mode {
        Fast,
        SlowOne,
        Tagged(u8),
        Shaped { x: i64 },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Wrapped(String);

    #[derive(Debug, PartialEq, Deserialize)]
    struct Outer {
        inner: Inner,
        list: Vec<Inner>,
        modes: Vec<Mode>,
        map: BTreeMap<String, i64>,
        pair: (u8, String),
        f: f64,
        w: Wrapped,
        next: Option<Box<Outer>>,
    }

    #[test]
    fn reads_what_serde_json_reads_structs_from_objects_only() {
        let inner = r#"{"aB": 7, "tags": ["x", "é\n"], "unknown": {"deep": [1, null]}}"#;
        let outer = format!(
            r#"{{"inner": {inner}, "list": [{inner}, {{"aB": null}}], "modes": ["fast", "slow-one", {{"tagged": 3}}, {{"shaped": {{"x": -4}}}}],
                "map": {{"a": -1}}, "pair": [1, "p"], "f": 1.5, "w": "s", "next": null}}"#
        );
        let ours: Outer = super::from_json(&outer).unwrap_or_else(|e| panic!("{e}"));
        let theirs: Outer = serde_json::from_str(&outer).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ours, theirs);
        assert_eq!(ours.inner.tags, ["x", "é\n"]);
        // Wrong input fails as it does with serde_json, trailing text included.
        for bad in [
            r#"{"aB": 300}"#,
            r#"{"aB": 1} x"#,
            r#"{"tags": 1}"#,
            "[1, []]",
        ] {
            assert!(super::from_json::<Inner>(bad).is_err(), "{bad}");
        }
        // The one difference: a struct written as an array.
        assert!(serde_json::from_str::<Inner>("[1, []]").is_ok());
    }
}
