//! `ecb demo`: the demo backend and ECB together, ready to chat.

use ecb_demo_backend::{DEMO_PUBLIC_KEY_TEXT, DemoBackend};
use ecb_engine::Settings;

use crate::{OperatorSettings, RunningServer};

/// A running demo: the backend and the ECB server in front of it.
pub struct Demo {
    pub backend: DemoBackend,
    pub backend_url: String,
    pub server: RunningServer,
}

/// Starts the demo backend on `backend_listen` and ECB on `settings.listen`,
/// trusting the demo key.
pub async fn start(
    mut settings: Settings,
    operator: &OperatorSettings,
    backend_listen: &str,
) -> anyhow::Result<Demo> {
    let backend = DemoBackend::new(None);
    let backend_addr = backend.clone().spawn(backend_listen).await?;
    let backend_url = format!("http://{backend_addr}");
    settings.backend_url = Some(backend_url.clone());
    settings.public_key = Some(DEMO_PUBLIC_KEY_TEXT.to_owned());
    settings.public_key_file.clear();
    let server = crate::start_operated(&settings, operator).await?;
    backend.set_ecb_url(server.url());
    Ok(Demo {
        backend,
        backend_url,
        server,
    })
}

impl Demo {
    /// What to connect to, for people.
    pub fn banner(&self) -> String {
        let url = self.server.url();
        let ws = url.replacen("http", "ws", 1);
        let alice = self.backend.state().user_token("alice").unwrap_or_default();
        format!(
            "ECB demo is running.\n\
             \x20 ECB:          {url}  (REST {url}/v1/{{action}}, WebSocket {ws}/ws?token=…)\n\
             \x20 Demo backend: {backend}  (users alice, bob, carol, dave; accessToken = user id)\n\
             \x20 Chat page:    {backend}/\n\
             \n\
             Try it:\n\
             \x20 curl -s -X POST {url}/v1/getUserToken -d '{{\"accessToken\":\"bob\"}}'\n\
             \x20 curl -s -X POST {url}/v1/getThreads -H 'Authorization: Bearer {alice}' -d '{{}}'\n\
             \n\
             Press Ctrl-C to stop.",
            backend = self.backend_url,
        )
    }
}
