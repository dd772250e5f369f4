//! The HTTP Backend: ECB → the customer's server over REST.

mod http;
mod webhook;

pub use http::HttpBackend;
pub use webhook::WebhookSigner;
