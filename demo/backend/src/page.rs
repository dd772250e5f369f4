//! The demo chat page (`demo/page/`), the browser bundle of `ecb-client`
//! (`clients/js/dist/ecb-client.js`) and `/config.json`, which tells the page
//! where ECB is. Files are read from disk on each request, so an edited page
//! or a rebuilt bundle shows on reload.

use std::sync::{Arc, RwLock};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

/// ECB's URL for the page, once known (`ecb demo` sets it).
pub(crate) type EcbUrl = Arc<RwLock<Option<String>>>;

const PAGE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../page");
const BUNDLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../clients/js/dist/ecb-client.js"
);

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

pub(crate) fn router(ecb_url: EcbUrl) -> Router {
    Router::new()
        .route("/", get(|| file(format!("{PAGE_DIR}/index.html"), HTML)))
        .route("/app.js", get(|| file(format!("{PAGE_DIR}/app.js"), JS)))
        .route(
            "/style.css",
            get(|| file(format!("{PAGE_DIR}/style.css"), CSS)),
        )
        .route("/ecb-client.js", get(|| file(BUNDLE.to_owned(), JS)))
        .route("/config.json", get(config))
        .with_state(ecb_url)
}

async fn file(path: String, content_type: &'static str) -> Response {
    match tokio::fs::read(&path).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            body,
        )
            .into_response(),
        Err(error) => {
            let hint = if path == BUNDLE {
                " (build it: cd clients/js && npm ci && npm run build)"
            } else {
                ""
            };
            tracing::warn!(%error, path, "demo page file missing");
            (StatusCode::NOT_FOUND, format!("{path}: {error}{hint}\n")).into_response()
        }
    }
}

async fn config(State(ecb_url): State<EcbUrl>) -> Json<serde_json::Value> {
    let url = ecb_url.read().unwrap_or_else(|e| e.into_inner()).clone();
    Json(json!({ "ecbUrl": url }))
}
