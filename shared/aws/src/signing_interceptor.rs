//! Adds ECB's Management API signature ([`ManagementKey`]) to every request
//! a Management API client sends, as an SDK interceptor: it runs after the
//! SDK has settled the request's URI and body (and its SigV4 signature, which
//! API Gateway checks and ECB's endpoints ignore), on every retry again, so
//! the signed time is the attempt's.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::management_key::{ManagementKey, SIGNATURE_HEADER, TIME_HEADER};

#[derive(Debug)]
pub(crate) struct SignManagementRequests {
    pub(crate) key: ManagementKey,
}

impl Intercept for SignManagementRequests {
    fn name(&self) -> &'static str {
        "SignManagementRequests"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let uri = request.uri_mut();
        let target = match uri.query() {
            Some(query) => format!("{}?{query}", uri.path()),
            None => uri.path().to_owned(),
        };
        // The Management API's bodies are in memory (a frame); a streamed
        // one would not be signable, and none is sent.
        let body = request
            .body()
            .bytes()
            .ok_or("a Management API body must be in memory to be signed")?;
        let time = ecb_engine::unix_now();
        let signature = self.key.sign(request.method(), &target, time, body);
        let headers = request.headers_mut();
        headers.insert(TIME_HEADER, time.to_string());
        headers.insert(SIGNATURE_HEADER, signature);
        Ok(())
    }
}
