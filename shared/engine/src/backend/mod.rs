//! The HTTP Backend: ECB → the customer's server over REST.

mod http;
mod metered;
mod webhook;

pub use http::HttpBackend;
pub(crate) use metered::MeteredBackend;
pub use webhook::WebhookSigner;
