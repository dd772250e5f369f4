//! Browser origins: CORS for REST, and the same rule for WebSocket upgrades.
//! A request without `Origin` (a server, a native app) passes; a browser from
//! an origin not in `ECB_ALLOWED_ORIGINS` gets 403.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

use ecb_engine::Engine;

use crate::envelope_response;

/// Wraps every route of `router` in the engine's origin policy
/// (`ECB_ALLOWED_ORIGINS`): CORS headers, and 403 for foreign origins.
pub fn with_origin_policy(router: Router, engine: Arc<Engine>) -> Router {
    let cors = cors(&engine.config().allowed_origins);
    router
        .layer(axum::middleware::from_fn_with_state(engine, check_origin))
        .layer(cors)
}

/// Refuses requests from foreign origins before any handler runs.
async fn check_origin(State(engine): State<Arc<Engine>>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).map(|o| o.as_bytes());
    if !engine.config().origin_allowed(origin) {
        let error = ecb_engine::EcbError::forbidden("origin not allowed");
        return envelope_response(StatusCode::FORBIDDEN, &Err(error)).into_response();
    }
    next.run(request).await
}

/// CORS headers for the allowed origins (any, when none are configured).
fn cors(allowed: &[String]) -> CorsLayer {
    let origins = if allowed.is_empty() || allowed.iter().any(|a| a == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            allowed
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600))
}
