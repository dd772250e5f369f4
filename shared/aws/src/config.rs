//! The AWS SDK's shared configuration, on rustls/ring like the rest of ECB.

use aws_config::BehaviorVersion;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// Loads region and credentials the usual way (environment, profile, the
/// Lambda role), with an HTTPS client on rustls/ring. Outside AWS with no
/// region set, `us-east-1` stands in: local stand-ins ignore it.
pub async fn sdk_config() -> aws_config::SdkConfig {
    ecb_engine::install_crypto_provider();
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client);
    let region_set = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .any(|name| std::env::var_os(name).is_some());
    if !region_set {
        loader = loader.region(aws_config::Region::new("us-east-1"));
    }
    loader.load().await
}

/// Points an SDK client's config builder at `endpoint` when one is given
/// (a local stand-in: dynalite, `ecb gateway`), with stand-in credentials
/// when the environment has none. A macro because every AWS SDK crate has
/// its own builder type, with the same two methods and no trait for them.
macro_rules! with_endpoint {
    ($builder:expr, $endpoint:expr) => {{
        let mut builder = $builder;
        if let Some(endpoint) = $endpoint {
            builder = builder.endpoint_url(endpoint);
            if let Some(credentials) = $crate::config::local_credentials() {
                builder = builder.credentials_provider(credentials);
            }
        }
        builder
    }};
}
pub(crate) use with_endpoint;

/// Credentials for a local stand-in (dynalite, `ecb gateway`) when the
/// environment has none: they accept any, and the default chain would
/// otherwise wait on instance metadata that is not there.
pub(crate) fn local_credentials() -> Option<aws_sdk_dynamodb::config::Credentials> {
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        return None;
    }
    Some(aws_sdk_dynamodb::config::Credentials::new(
        "local",
        "local",
        None,
        None,
        "ecb-local",
    ))
}
