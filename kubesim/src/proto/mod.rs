//! Request bodies kubectl sends as `application/vnd.kubernetes.protobuf`.
//!
//! kubectl 1.33 encodes the typed objects of `kubectl create namespace`, `kubectl create deployment`
//! and the like as Kubernetes protobuf: the magic `k8s\0`, then a `runtime.Unknown` envelope whose
//! `typeMeta` names the kind and whose `raw` holds the object. It does not retry as JSON when refused,
//! so kubesim decodes it into the JSON object the apiserver would have stored.
//!
//! The message layouts are a table (`schema.txt`) generated from the `k8s-pb` crate's prost structs,
//! with each field's JSON name taken from `k8s-openapi` (`kubesim/tools/gen_proto_schema.py`). The
//! wire format itself is read with `prost`'s encoding functions.

use std::collections::HashMap;
use std::sync::LazyLock;

use base64::Engine as _;
use prost::bytes::Buf;
use prost::encoding::{decode_key, decode_varint, skip_field, DecodeContext, WireType};
use serde_json::{Map, Value};

/// The content type kubectl sends typed objects in.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The four bytes every Kubernetes protobuf body starts with.
const MAGIC: &[u8] = b"k8s\0";

/// Why a protobuf body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtoError {
    #[error("the body does not start with the Kubernetes protobuf magic \"k8s\\0\"")]
    Magic,
    #[error("the protobuf envelope names no kind")]
    NoKind,
    #[error("{api_version} {kind} cannot be sent as protobuf to this server")]
    UnknownKind { api_version: String, kind: String },
    #[error("protobuf content encoding {0:?} is not supported")]
    Encoding(String),
    #[error("malformed protobuf in {message}: {detail}")]
    Malformed { message: String, detail: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    String,
    Int32,
    Int64,
    Bool,
    Double,
    Bytes,
}

#[derive(Debug)]
enum FieldType {
    Scalar(Scalar),
    Message(String),
    /// `map<string, V>`: entries are messages with the key at tag 1 and the value at tag 2.
    Map(Box<FieldType>),
}

#[derive(Debug)]
struct Field {
    json: String,
    ty: FieldType,
    repeated: bool,
    /// A Go embedded struct (`Probe` embeds `ProbeHandler`): its fields sit in the parent's JSON.
    inline: bool,
}

#[derive(Default)]
struct Schema {
    /// (apiVersion, kind) → message name.
    kinds: HashMap<(String, String), String>,
    /// message name → tag → field.
    messages: HashMap<String, HashMap<u32, Field>>,
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| parse_schema(include_str!("schema.txt")));

fn scalar(name: &str) -> Option<Scalar> {
    Some(match name {
        "string" => Scalar::String,
        "int32" => Scalar::Int32,
        "int64" => Scalar::Int64,
        "bool" => Scalar::Bool,
        "double" => Scalar::Double,
        "bytes" => Scalar::Bytes,
        _ => return None,
    })
}

/// Reads the generated table. It is checked in and tested, so a bad line is a bug: it panics.
fn parse_schema(text: &str) -> Schema {
    let mut schema = Schema::default();
    let mut current: Option<String> = None;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            ["K", api_version, kind, message] => {
                schema
                    .kinds
                    .insert(((*api_version).into(), (*kind).into()), (*message).into());
            }
            ["M", message] => {
                current = Some((*message).to_string());
                schema.messages.entry((*message).into()).or_default();
            }
            ["F", tag, json, kind, card, rest @ ..] => {
                let target = rest.first().map(|t| (*t).to_string());
                let ty = match (*kind, target) {
                    ("message", Some(t)) => FieldType::Message(t),
                    ("map_message", Some(t)) => FieldType::Map(Box::new(FieldType::Message(t))),
                    (map, None) if map.starts_with("map_") => FieldType::Map(Box::new(
                        FieldType::Scalar(scalar(&map[4..]).expect("map value type")),
                    )),
                    (s, None) => FieldType::Scalar(scalar(s).expect("scalar type")),
                    _ => panic!("bad schema line {line}"),
                };
                let message = current.as_ref().expect("F before M");
                schema.messages.get_mut(message).expect("message").insert(
                    tag.parse().expect("tag"),
                    Field {
                        json: (*json).into(),
                        ty,
                        repeated: *card == "r",
                        inline: *card == "i",
                    },
                );
            }
            _ => panic!("bad schema line {line}"),
        }
    }
    schema
}

/// Decodes a Kubernetes protobuf body into the JSON object it stands for (with `apiVersion` and
/// `kind`).
pub fn decode(body: &[u8]) -> Result<Value, ProtoError> {
    let rest = body.strip_prefix(MAGIC).ok_or(ProtoError::Magic)?;
    let envelope = decode_message("apimachinery.pkg.runtime.Unknown", rest)?;
    let type_meta = envelope.get("typeMeta").cloned().unwrap_or_default();
    let api_version = type_meta["apiVersion"].as_str().unwrap_or_default();
    let kind = type_meta["kind"].as_str().unwrap_or_default();
    if kind.is_empty() {
        return Err(ProtoError::NoKind);
    }
    if let Some(encoding) = envelope["contentEncoding"]
        .as_str()
        .filter(|e| !e.is_empty())
    {
        return Err(ProtoError::Encoding(encoding.into()));
    }
    let message = SCHEMA
        .kinds
        .get(&(api_version.to_string(), kind.to_string()))
        .ok_or_else(|| ProtoError::UnknownKind {
            api_version: api_version.into(),
            kind: kind.into(),
        })?;
    let raw = match &envelope["raw"] {
        Value::String(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut object = match decode_message(message, &raw)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut typed = Map::new();
    typed.insert("apiVersion".into(), api_version.into());
    typed.insert("kind".into(), kind.into());
    typed.append(&mut object);
    Ok(Value::Object(typed))
}

fn malformed(message: &str, detail: impl std::fmt::Display) -> ProtoError {
    ProtoError::Malformed {
        message: message.to_string(),
        detail: detail.to_string(),
    }
}

fn decode_message(name: &str, mut buf: &[u8]) -> Result<Value, ProtoError> {
    let fields = SCHEMA
        .messages
        .get(name)
        .ok_or_else(|| malformed(name, "no such message"))?;
    let mut out = Map::new();
    while buf.has_remaining() {
        let (tag, wire) = decode_key(&mut buf).map_err(|e| malformed(name, e))?;
        let Some(field) = fields.get(&tag) else {
            skip_field(wire, tag, &mut buf, DecodeContext::default())
                .map_err(|e| malformed(name, e))?;
            continue;
        };
        let values = read_field(name, field, wire, &mut buf)?;
        for value in values {
            if field.repeated {
                match out
                    .entry(field.json.clone())
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    Value::Array(items) => items.push(value),
                    _ => return Err(malformed(name, "repeated field mixed with a single one")),
                }
            } else if field.inline {
                if let Value::Object(mut inner) = value {
                    out.append(&mut inner);
                }
            } else if let FieldType::Map(_) = field.ty {
                let entry = out
                    .entry(field.json.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let (Value::Object(map), Value::Array(kv)) = (entry, value) {
                    if let [Value::String(k), v] = kv.as_slice() {
                        map.insert(k.clone(), v.clone());
                    }
                }
            } else if value != Value::String(String::new()) && !value.is_null() {
                // Go writes every non-pointer string, empty or not; JSON leaves empty ones out.
                out.insert(field.json.clone(), value);
            }
        }
    }
    Ok(special(name, out))
}

/// The apimachinery types whose JSON form is not their message form.
fn special(name: &str, mut fields: Map<String, Value>) -> Value {
    let int =
        |fields: &Map<String, Value>, k: &str| fields.get(k).and_then(Value::as_i64).unwrap_or(0);
    match name {
        "apimachinery.pkg.apis.meta.v1.Time" | "apimachinery.pkg.apis.meta.v1.MicroTime" => {
            if fields.is_empty() {
                return Value::Null;
            }
            let nanos = if name.ends_with("MicroTime") {
                int(&fields, "nanos")
            } else {
                0
            };
            match jiff::Timestamp::new(int(&fields, "seconds"), nanos as i32) {
                Ok(t) if nanos == 0 => Value::String(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
                Ok(t) => Value::String(t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
                Err(_) => Value::Null,
            }
        }
        "apimachinery.pkg.apis.meta.v1.Duration" => {
            let nanos = int(&fields, "duration");
            let span = jiff::SignedDuration::from_nanos(nanos);
            Value::String(go_duration(span))
        }
        "apimachinery.pkg.util.intstr.IntOrString" => {
            if int(&fields, "type") == 1 {
                fields
                    .remove("strVal")
                    .unwrap_or_else(|| Value::String(String::new()))
            } else {
                Value::from(int(&fields, "intVal"))
            }
        }
        "apimachinery.pkg.api.resource.Quantity" => fields
            .remove("string")
            .unwrap_or_else(|| Value::String("0".into())),
        "apimachinery.pkg.runtime.RawExtension" | "apimachinery.pkg.apis.meta.v1.FieldsV1" => {
            fields
                .get("raw")
                .and_then(Value::as_str)
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or(Value::Null)
        }
        _ => Value::Object(fields),
    }
}

/// A duration as Go's `time.Duration.String()` writes it (`1h2m3s`, `1.5s`, `0s`).
fn go_duration(d: jiff::SignedDuration) -> String {
    let total = d.as_nanos();
    if total == 0 {
        return "0s".into();
    }
    let sign = if total < 0 { "-" } else { "" };
    let total = total.unsigned_abs();
    let (h, rest) = (total / 3_600_000_000_000, total % 3_600_000_000_000);
    let (m, rest) = (rest / 60_000_000_000, rest % 60_000_000_000);
    let secs = rest as f64 / 1e9;
    let mut out = sign.to_string();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{secs}s"));
    out
}

fn read_field(
    message: &str,
    field: &Field,
    wire: WireType,
    buf: &mut &[u8],
) -> Result<Vec<Value>, ProtoError> {
    let err = |e: &dyn std::fmt::Display| malformed(message, format!("{}: {e}", field.json));
    match &field.ty {
        FieldType::Scalar(s) => {
            // Packed repeated numbers come as one length-delimited run.
            if wire == WireType::LengthDelimited
                && matches!(s, Scalar::Int32 | Scalar::Int64 | Scalar::Bool)
            {
                let mut run = length_delimited(buf).map_err(|e| err(&e))?;
                let mut values = Vec::new();
                while run.has_remaining() {
                    values.push(scalar_value(*s, WireType::Varint, &mut run).map_err(|e| err(&e))?);
                }
                return Ok(values);
            }
            Ok(vec![scalar_value(*s, wire, buf).map_err(|e| err(&e))?])
        }
        FieldType::Message(name) => {
            let bytes = length_delimited(buf).map_err(|e| err(&e))?;
            Ok(vec![decode_message(name, bytes)?])
        }
        FieldType::Map(value) => {
            let mut entry = length_delimited(buf).map_err(|e| err(&e))?;
            let (mut key, mut val) = (Value::String(String::new()), None);
            while entry.has_remaining() {
                let (tag, wire) = decode_key(&mut entry).map_err(|e| err(&e))?;
                match tag {
                    1 => {
                        key = scalar_value(Scalar::String, wire, &mut entry).map_err(|e| err(&e))?
                    }
                    2 => {
                        val = Some(match value.as_ref() {
                            FieldType::Scalar(s) => {
                                scalar_value(*s, wire, &mut entry).map_err(|e| err(&e))?
                            }
                            FieldType::Message(name) => {
                                let bytes = length_delimited(&mut entry).map_err(|e| err(&e))?;
                                decode_message(name, bytes)?
                            }
                            FieldType::Map(_) => return Err(err(&"map of maps")),
                        })
                    }
                    _ => skip_field(wire, tag, &mut entry, DecodeContext::default())
                        .map_err(|e| err(&e))?,
                }
            }
            let val = val.unwrap_or_else(|| match value.as_ref() {
                FieldType::Scalar(s) => zero(*s),
                _ => Value::Object(Map::new()),
            });
            Ok(vec![Value::Array(vec![key, val])])
        }
    }
}

fn zero(s: Scalar) -> Value {
    match s {
        Scalar::String | Scalar::Bytes => Value::String(String::new()),
        Scalar::Bool => Value::Bool(false),
        _ => Value::from(0),
    }
}

fn length_delimited<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let len = decode_varint(buf).map_err(|e| e.to_string())? as usize;
    if len > buf.len() {
        return Err(format!(
            "length {len} runs past the end ({} left)",
            buf.len()
        ));
    }
    let (head, tail) = buf.split_at(len);
    *buf = tail;
    Ok(head)
}

fn scalar_value(s: Scalar, wire: WireType, buf: &mut &[u8]) -> Result<Value, String> {
    let expect = |want: WireType| {
        if wire == want {
            Ok(())
        } else {
            Err(format!("wire type {wire:?} where {want:?} was expected"))
        }
    };
    Ok(match s {
        Scalar::String => {
            expect(WireType::LengthDelimited)?;
            let bytes = length_delimited(buf)?;
            Value::String(String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())?)
        }
        Scalar::Bytes => {
            expect(WireType::LengthDelimited)?;
            let bytes = length_delimited(buf)?;
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        Scalar::Int32 => {
            expect(WireType::Varint)?;
            Value::from(decode_varint(buf).map_err(|e| e.to_string())? as i32)
        }
        Scalar::Int64 => {
            expect(WireType::Varint)?;
            Value::from(decode_varint(buf).map_err(|e| e.to_string())? as i64)
        }
        Scalar::Bool => {
            expect(WireType::Varint)?;
            Value::Bool(decode_varint(buf).map_err(|e| e.to_string())? != 0)
        }
        Scalar::Double => {
            expect(WireType::SixtyFourBit)?;
            if buf.remaining() < 8 {
                return Err("a double runs past the end".into());
            }
            Value::from(buf.get_f64_le())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_pb::api::apps::v1 as apps;
    use k8s_pb::api::core::v1 as core;
    use k8s_pb::apimachinery::pkg::api::resource::Quantity;
    use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
    use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
    use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
    use prost::Message;
    use serde_json::json;

    /// What kubectl puts on the wire: the magic, then the envelope around the encoded object.
    fn wire(api_version: &str, kind: &str, object: &impl Message) -> Vec<u8> {
        let envelope = Unknown {
            type_meta: Some(TypeMeta {
                api_version: Some(api_version.into()),
                kind: Some(kind.into()),
            }),
            raw: Some(object.encode_to_vec()),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        [MAGIC, &envelope.encode_to_vec()].concat()
    }

    #[test]
    fn a_deployment_decodes_to_the_json_the_apiserver_stores() {
        let port = |p: i32| IntOrString {
            r#type: Some(0),
            int_val: Some(p),
            str_val: Some(String::new()),
        };
        let deployment = apps::Deployment {
            metadata: Some(meta::ObjectMeta {
                name: Some("ledger".into()),
                namespace: Some(String::new()),
                generation: Some(0),
                creation_timestamp: Some(meta::Time::default()),
                labels: [("app".to_string(), "ledger".to_string())].into(),
                ..Default::default()
            }),
            spec: Some(apps::DeploymentSpec {
                replicas: Some(0),
                template: Some(core::PodTemplateSpec {
                    spec: Some(core::PodSpec {
                        containers: vec![core::Container {
                            name: Some("ledger".into()),
                            image: Some("ledger:1.4".into()),
                            resources: Some(core::ResourceRequirements {
                                limits: [(
                                    "memory".to_string(),
                                    Quantity {
                                        string: Some("256Mi".into()),
                                    },
                                )]
                                .into(),
                                ..Default::default()
                            }),
                            readiness_probe: Some(core::Probe {
                                handler: Some(core::ProbeHandler {
                                    http_get: Some(core::HttpGetAction {
                                        path: Some("/ready".into()),
                                        port: Some(IntOrString {
                                            r#type: Some(1),
                                            int_val: Some(0),
                                            str_val: Some("http".into()),
                                        }),
                                        ..Default::default()
                                    }),
                                    ..Default::default()
                                }),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                strategy: Some(apps::DeploymentStrategy {
                    rolling_update: Some(apps::RollingUpdateDeployment {
                        max_surge: Some(port(1)),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            status: Some(apps::DeploymentStatus::default()),
        };
        let object =
            decode(&wire("apps/v1", "Deployment", &deployment)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(object["apiVersion"], "apps/v1");
        assert_eq!(object["kind"], "Deployment");
        assert_eq!(
            object["metadata"],
            json!({"name": "ledger", "generation": 0, "labels": {"app": "ledger"}}),
            "empty strings and the zero Time are left out"
        );
        assert_eq!(object["spec"]["replicas"], 0, "an explicit zero is kept");
        let container = &object["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["resources"]["limits"]["memory"], "256Mi");
        assert_eq!(container["readinessProbe"]["httpGet"]["port"], "http");
        assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready");
        assert_eq!(object["spec"]["strategy"]["rollingUpdate"]["maxSurge"], 1);
        assert_eq!(object["status"], json!({}));
        let typed: k8s_openapi::api::apps::v1::Deployment =
            serde_json::from_value(object).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(typed.metadata.name.as_deref(), Some("ledger"));
    }

    #[test]
    fn json_names_follow_kubernetes_not_snake_case() {
        let status = core::Pod {
            status: Some(core::PodStatus {
                pod_ip: Some("10.0.0.7".into()),
                host_ip: Some("192.168.1.2".into()),
                start_time: Some(meta::Time {
                    seconds: Some(1_796_000_000),
                    nanos: Some(0),
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let object = decode(&wire("v1", "Pod", &status)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(object["status"]["podIP"], "10.0.0.7");
        assert_eq!(object["status"]["hostIP"], "192.168.1.2");
        assert_eq!(object["status"]["startTime"], "2026-11-30T00:53:20Z");
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        assert_eq!(decode(b"{\"kind\":\"Pod\"}"), Err(ProtoError::Magic));
        let secret = wire("v1", "Secret", &core::Secret::default());
        assert_eq!(
            decode(&secret),
            Err(ProtoError::UnknownKind {
                api_version: "v1".into(),
                kind: "Secret".into()
            })
        );
        let mut cut = wire(
            "v1",
            "Namespace",
            &core::Namespace {
                metadata: Some(meta::ObjectMeta {
                    name: Some("payments".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        cut.truncate(cut.len() - 3);
        assert!(
            matches!(decode(&cut), Err(ProtoError::Malformed { .. })),
            "{:?}",
            decode(&cut)
        );
    }

    #[test]
    fn the_schema_is_whole() {
        assert!(SCHEMA.kinds.len() >= 19, "{}", SCHEMA.kinds.len());
        for (name, fields) in &SCHEMA.messages {
            for field in fields.values() {
                let target = match &field.ty {
                    FieldType::Message(t) => Some(t),
                    FieldType::Map(v) => match v.as_ref() {
                        FieldType::Message(t) => Some(t),
                        _ => None,
                    },
                    FieldType::Scalar(_) => None,
                };
                if let Some(t) = target {
                    assert!(
                        SCHEMA.messages.contains_key(t),
                        "{name}.{} names {t}",
                        field.json
                    );
                }
            }
        }
    }

    #[test]
    fn go_durations() {
        let d = |n| go_duration(jiff::SignedDuration::from_nanos(n));
        assert_eq!(d(0), "0s");
        assert_eq!(d(1_500_000_000), "1.5s");
        assert_eq!(d(3_723_000_000_000), "1h2m3s");
    }
}
