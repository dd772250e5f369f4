//! The API Gateway events, with every field the real ones carry.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde_json::{Value, json};

/// What the WebSocket events of one connection share.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionContext {
    pub(crate) connection_id: String,
    pub(crate) domain_name: String,
    pub(crate) stage: String,
    pub(crate) source_ip: String,
    pub(crate) user_agent: String,
    /// Epoch milliseconds.
    pub(crate) connected_at: u64,
}

/// The three WebSocket routes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Route {
    Connect,
    Message,
    Disconnect,
}

impl Route {
    fn key(self) -> &'static str {
        match self {
            Self::Connect => "$connect",
            Self::Message => "$default",
            Self::Disconnect => "$disconnect",
        }
    }

    fn event_type(self) -> &'static str {
        match self {
            Self::Connect => "CONNECT",
            Self::Message => "MESSAGE",
            Self::Disconnect => "DISCONNECT",
        }
    }
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `25/Nov/2026:13:00:00 +0000`, API Gateway's `requestTime`.
fn request_time(ms: u64) -> String {
    let format = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Single- and multi-valued maps of headers, as API Gateway sends them.
fn headers(headers: &HeaderMap) -> (Value, Value) {
    let mut single = BTreeMap::new();
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        let value = value.to_str().unwrap_or_default().to_owned();
        single.insert(name.as_str().to_owned(), value.clone());
        multi
            .entry(name.as_str().to_owned())
            .or_default()
            .push(value);
    }
    (json!(single), json!(multi))
}

/// Single- and multi-valued maps of query parameters.
fn query(pairs: &[(String, String)]) -> (Value, Value) {
    let mut single = BTreeMap::new();
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in pairs {
        single.insert(name.clone(), value.clone());
        multi.entry(name.clone()).or_default().push(value.clone());
    }
    (json!(single), json!(multi))
}

/// A WebSocket proxy event for `route`. `$connect` and `$disconnect` carry
/// the handshake's headers (and `$connect` its query); `$default` the frame.
pub(crate) fn websocket(
    route: Route,
    context: &ConnectionContext,
    handshake: Option<(&HeaderMap, &[(String, String)])>,
    body: Option<(&str, bool)>,
) -> Value {
    let now = now_ms();
    let mut request_context = json!({
        "routeKey": route.key(),
        "eventType": route.event_type(),
        "extendedRequestId": request_id(),
        "requestTime": request_time(now),
        "messageDirection": "IN",
        "stage": context.stage,
        "connectedAt": context.connected_at,
        "requestTimeEpoch": now,
        "identity": { "sourceIp": context.source_ip, "userAgent": context.user_agent },
        "requestId": request_id(),
        "domainName": context.domain_name,
        "connectionId": context.connection_id,
        "apiId": "local",
    });
    let mut event = json!({ "isBase64Encoded": false });
    if let Some((header_map, pairs)) = handshake {
        let (single, multi) = headers(header_map);
        event["headers"] = single;
        event["multiValueHeaders"] = multi;
        if matches!(route, Route::Connect) && !pairs.is_empty() {
            let (single, multi) = query(pairs);
            event["queryStringParameters"] = single;
            event["multiValueQueryStringParameters"] = multi;
        }
    }
    match route {
        Route::Message => {
            request_context["messageId"] = json!(request_id());
        }
        Route::Disconnect => {
            request_context["disconnectStatusCode"] = json!(1000);
            request_context["disconnectReason"] = json!("");
        }
        Route::Connect => {}
    }
    if let Some((text, base64)) = body {
        event["body"] = json!(text);
        event["isBase64Encoded"] = json!(base64);
    }
    event["requestContext"] = request_context;
    event
}

/// An HTTP API (payload format 2.0) event.
pub(crate) struct HttpRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) raw_query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    pub(crate) domain_name: &'a str,
    pub(crate) source_ip: &'a str,
}

pub(crate) fn http_api(request: &HttpRequest<'_>) -> Value {
    use base64::Engine as _;
    let now = now_ms();
    let mut headers = BTreeMap::new();
    for (name, value) in request.headers {
        let value = value.to_str().unwrap_or_default();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined: &mut String| {
                joined.push(',');
                joined.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    let user_agent = headers.get("user-agent").cloned().unwrap_or_default();
    let pairs: Vec<(String, String)> = url_pairs(request.raw_query);
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "local",
            "apiId": "local",
            "domainName": request.domain_name,
            "domainPrefix": request.domain_name.split('.').next().unwrap_or_default(),
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": user_agent,
            },
            "requestId": request_id(),
            "routeKey": "$default",
            "stage": "$default",
            "time": request_time(now),
            "timeEpoch": now,
        },
        "isBase64Encoded": false,
    });
    if !pairs.is_empty() {
        let single: BTreeMap<_, _> = pairs.into_iter().collect();
        event["queryStringParameters"] = json!(single);
    }
    if !request.body.is_empty() {
        match std::str::from_utf8(request.body) {
            Ok(text) => event["body"] = json!(text),
            Err(_) => {
                event["body"] =
                    json!(base64::engine::general_purpose::STANDARD.encode(request.body));
                event["isBase64Encoded"] = json!(true);
            }
        }
    }
    event
}

/// Decodes `a=1&b=2` (percent-decoding each part).
pub(crate) fn url_pairs(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
