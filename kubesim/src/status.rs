//! `Status` error bodies worded exactly as the apiserver words them.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// An API error on its way to the client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Value,
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>, details: Value) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details,
            retry_after: None,
        }
    }

    /// 401, for missing or unknown credentials.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized", Value::Null)
    }

    /// 403 with the RBAC message kubectl prints.
    pub fn forbidden(
        user: &str,
        verb: &str,
        plural: &str,
        group: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Self {
        let scope = match namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_string(),
        };
        // `pods/log`: the subject is the pod, the resource the subresource.
        let base = plural.split('/').next().unwrap_or(plural);
        let qualified = if group.is_empty() {
            base.to_string()
        } else {
            format!("{base}.{group}")
        };
        let subject = match name {
            Some(n) => format!("{qualified} \"{n}\""),
            None => qualified,
        };
        let mut details = json!({"kind": base});
        if !group.is_empty() {
            details["group"] = json!(group);
        }
        if let Some(n) = name {
            details["name"] = json!(n);
        }
        Self::new(
            403,
            "Forbidden",
            format!("{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{plural}\" in API group \"{group}\" {scope}"),
            details,
        )
    }

    /// 404 for a named object.
    pub fn not_found(plural: &str, group: &str, name: &str) -> Self {
        let qualified = if group.is_empty() {
            plural.to_string()
        } else {
            format!("{plural}.{group}")
        };
        let mut details = json!({"name": name, "kind": plural});
        if !group.is_empty() {
            details["group"] = json!(group);
        }
        Self::new(
            404,
            "NotFound",
            format!("{qualified} \"{name}\" not found"),
            details,
        )
    }

    /// 404 for a path that serves nothing.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
            json!({}),
        )
    }

    /// 405 for a verb the resource does not support.
    pub fn method_not_supported(verb: &str, plural: &str) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!("{verb} is not supported on resources of kind \"{plural}\""),
            json!({}),
        )
    }

    /// 409 AlreadyExists.
    pub fn already_exists(message: String) -> Self {
        Self::new(409, "AlreadyExists", message, Value::Null)
    }

    /// 409 Conflict on a stale resourceVersion.
    pub fn conflict(message: String) -> Self {
        Self::new(409, "Conflict", message, Value::Null)
    }

    /// 410 for an expired continue token (watches use the in-stream form instead).
    pub fn expired_continue() -> Self {
        Self::new(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.", Value::Null)
    }

    /// 400 for a malformed request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message, Value::Null)
    }

    /// 415 for a patch type that is not supported.
    pub fn unsupported_media(message: impl Into<String>) -> Self {
        Self::new(415, "UnsupportedMediaType", message, Value::Null)
    }

    /// 422 for an object that is not valid.
    pub fn invalid(message: String) -> Self {
        Self::new(422, "Invalid", message, Value::Null)
    }

    /// An injected fault with the given status code.
    pub fn injected(code: u16) -> Self {
        match code {
            429 => Self {
                retry_after: Some(1),
                ..Self::new(429, "TooManyRequests", "Too many requests, please try again later.", json!({"retryAfterSeconds": 1}))
            },
            503 => Self::new(503, "ServiceUnavailable", "the server is currently unable to handle the request", Value::Null),
            504 => Self::new(504, "Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request", Value::Null),
            401 => Self::unauthorized(),
            _ => Self::new(
                code,
                "InternalError",
                "Internal error occurred: etcdserver: request timed out",
                json!({"causes": [{"message": "etcdserver: request timed out"}]}),
            ),
        }
    }

    /// The `Status` object.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !self.details.is_null() {
            body["details"] = self.details.clone();
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [("content-type", "application/json")],
            self.body().to_string(),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert("retry-after", v);
            }
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError::*;
        match e {
            NotFound(m) => Self::new(404, "NotFound", m, Value::Null),
            AlreadyExists(m) => Self::already_exists(m),
            Conflict(m) => Self::conflict(m),
            Invalid(m) => Self::invalid(m),
        }
    }
}
