//! The server API's one rule: a valid serverToken, or nothing happens.

use crate::{EcbError, Engine};

impl Engine {
    pub(crate) fn authorize_server(&self, server_token: Option<&str>) -> Result<(), EcbError> {
        let token =
            server_token.ok_or_else(|| EcbError::unauthorized("missing bearer serverToken"))?;
        self.tokens.server(token)
    }
}
