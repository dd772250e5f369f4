//! The API Gateway events, as `aws_lambda_events`' own structs: the ones the
//! functions deserialize, so the gateway's events and the functions cannot
//! drift apart.

use std::collections::HashMap;

use aws_lambda_events::apigw::{
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription, ApiGatewayWebsocketProxyRequest,
    ApiGatewayWebsocketProxyRequestContext,
};
use aws_lambda_events::query_map::QueryMap;
use axum::http::{HeaderMap, Method};
use serde_json::Value;

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
    /// With the close's status code, as API Gateway reports it.
    Disconnect(u16),
}

impl Route {
    fn key(self) -> &'static str {
        match self {
            Self::Connect => "$connect",
            Self::Message => "$default",
            Self::Disconnect(_) => "$disconnect",
        }
    }

    fn event_type(self) -> &'static str {
        match self {
            Self::Connect => "CONNECT",
            Self::Message => "MESSAGE",
            Self::Disconnect(_) => "DISCONNECT",
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

/// Query parameters, every value of each name kept.
fn query_map(pairs: &[(String, String)]) -> QueryMap {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in pairs {
        map.entry(name.clone()).or_default().push(value.clone());
    }
    QueryMap::from(map)
}

fn to_json<T: serde::Serialize>(event: &T) -> Value {
    serde_json::to_value(event).unwrap_or_default()
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
    let mut request_context = ApiGatewayWebsocketProxyRequestContext::default();
    request_context.route_key = Some(route.key().into());
    request_context.event_type = Some(route.event_type().into());
    request_context.extended_request_id = Some(request_id());
    request_context.request_time = Some(request_time(now));
    request_context.message_direction = Some("IN".into());
    request_context.stage = Some(context.stage.clone());
    request_context.connected_at = context.connected_at as i64;
    request_context.request_time_epoch = now as i64;
    request_context.identity.source_ip = Some(context.source_ip.clone());
    request_context.identity.user_agent = Some(context.user_agent.clone());
    request_context.request_id = Some(request_id());
    request_context.domain_name = Some(context.domain_name.clone());
    request_context.connection_id = Some(context.connection_id.clone());
    request_context.apiid = Some("local".into());
    match route {
        Route::Message => request_context.message_id = Some(request_id()),
        Route::Disconnect(code) => {
            request_context.disconnect_status_code = Some(i64::from(code));
            request_context.disconnect_reason = Some(String::new());
        }
        Route::Connect => {}
    }
    let mut event = ApiGatewayWebsocketProxyRequest::default();
    if let Some((headers, pairs)) = handshake {
        event.headers = headers.clone();
        event.multi_value_headers = headers.clone();
        if matches!(route, Route::Connect) {
            event.query_string_parameters = query_map(pairs);
            event.multi_value_query_string_parameters = query_map(pairs);
        }
    }
    if let Some((text, base64)) = body {
        event.body = Some(text.to_owned());
        event.is_base64_encoded = base64;
    }
    event.request_context = request_context;
    to_json(&event)
}

/// An HTTP API (payload format 2.0) event.
pub(crate) struct HttpRequest<'a> {
    pub(crate) method: &'a Method,
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
    let user_agent = request
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = request.method.clone();
    http.path = Some(request.path.to_owned());
    http.protocol = Some("HTTP/1.1".into());
    http.source_ip = Some(request.source_ip.to_owned());
    http.user_agent = user_agent;
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.account_id = Some("local".into());
    context.apiid = Some("local".into());
    context.domain_name = Some(request.domain_name.to_owned());
    context.domain_prefix = request.domain_name.split('.').next().map(str::to_owned);
    context.http = http;
    context.request_id = Some(request_id());
    context.route_key = Some("$default".into());
    context.stage = Some("$default".into());
    context.time = Some(request_time(now));
    context.time_epoch = now as i64;
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some("$default".into());
    event.raw_path = Some(request.path.to_owned());
    event.raw_query_string = Some(request.raw_query.to_owned());
    event.headers = request.headers.clone();
    event.query_string_parameters = query_map(&url_pairs(request.raw_query));
    event.request_context = context;
    if !request.body.is_empty() {
        match std::str::from_utf8(request.body) {
            Ok(text) => event.body = Some(text.to_owned()),
            Err(_) => {
                event.body = Some(base64::engine::general_purpose::STANDARD.encode(request.body));
                event.is_base64_encoded = true;
            }
        }
    }
    to_json(&event)
}

/// Decodes `a=1&b=2` (percent-decoding each part).
pub(crate) fn url_pairs(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> ConnectionContext {
        ConnectionContext {
            connection_id: "L0SM9cOFvHcCIhw=".into(),
            domain_name: "127.0.0.1:9001".into(),
            stage: "local".into(),
            source_ip: "127.0.0.1".into(),
            user_agent: "test".into(),
            connected_at: 1,
        }
    }

    #[test]
    fn websocket_events_read_back_as_the_functions_read_them() {
        let mut headers = HeaderMap::new();
        headers.insert("origin", "http://app".parse().unwrap());
        let pairs = [
            ("EIO".to_owned(), "4".to_owned()),
            ("token".to_owned(), "a b".to_owned()),
        ];
        let event = websocket(Route::Connect, &context(), Some((&headers, &pairs)), None);
        let read: ApiGatewayWebsocketProxyRequest = serde_json::from_value(event).unwrap();
        assert_eq!(read.query_string_parameters.first("token"), Some("a b"));
        assert_eq!(read.headers.get("origin").unwrap(), "http://app");
        assert_eq!(read.request_context.route_key.as_deref(), Some("$connect"));
        assert_eq!(
            read.request_context.connection_id.as_deref(),
            Some("L0SM9cOFvHcCIhw=")
        );

        let event = websocket(Route::Message, &context(), None, Some(("42[]", false)));
        let read: ApiGatewayWebsocketProxyRequest = serde_json::from_value(event).unwrap();
        assert_eq!(read.body.as_deref(), Some("42[]"));

        let event = websocket(
            Route::Disconnect(1001),
            &context(),
            Some((&headers, &[])),
            None,
        );
        let read: ApiGatewayWebsocketProxyRequest = serde_json::from_value(event).unwrap();
        assert_eq!(read.request_context.disconnect_status_code, Some(1001));
    }

    #[test]
    fn http_events_read_back_as_lambda_http_reads_them() {
        let headers = HeaderMap::new();
        let event = http_api(&HttpRequest {
            method: &Method::POST,
            path: "/v1/getThreads",
            raw_query: "a=1",
            headers: &headers,
            body: b"{}",
            domain_name: "localhost",
            source_ip: "127.0.0.1",
        });
        let read: ApiGatewayV2httpRequest = serde_json::from_value(event).unwrap();
        assert_eq!(read.request_context.http.method, Method::POST);
        assert_eq!(read.raw_path.as_deref(), Some("/v1/getThreads"));
        assert_eq!(read.query_string_parameters.first("a"), Some("1"));
        assert_eq!(read.body.as_deref(), Some("{}"));
    }
}
