//! The Pusher of a local server that shares threads through DynamoDB: its own
//! connections get pushes in-process; anyone else's go to the Management API
//! of the gateway their record names (API Gateway, or another local server).

use std::sync::Arc;

use async_trait::async_trait;
use ecb_aws::ManagementPusher;
use ecb_engine::PushEvent;
use ecb_engine::ports::{Member, PushError, Pusher};

use crate::LocalHub;

/// Routes each push by the member's endpoint.
pub struct RoutingPusher {
    pub own_endpoint: String,
    pub hub: Arc<LocalHub>,
    pub remote: ManagementPusher,
}

#[async_trait]
impl Pusher for RoutingPusher {
    async fn push(&self, to: &Member, event: &Arc<PushEvent>) -> Result<(), PushError> {
        if to.endpoint == self.own_endpoint {
            self.hub.push(to, event).await
        } else {
            self.remote.push(to, event).await
        }
    }

    /// This server's members in one batch through the hub, the others
    /// through the Management API, both at once.
    async fn push_each(
        &self,
        targets: Vec<Member>,
        event: Arc<PushEvent>,
    ) -> Vec<(Member, Result<(), PushError>)> {
        let (own, others): (Vec<_>, Vec<_>) = targets
            .into_iter()
            .partition(|member| member.endpoint == self.own_endpoint);
        let (mut outcomes, remote) = tokio::join!(
            self.hub.push_each(own, event.clone()),
            self.remote.push_each(others, event),
        );
        outcomes.extend(remote);
        outcomes
    }

    async fn disconnect(&self, to: &Member) -> Result<(), PushError> {
        if to.endpoint == self.own_endpoint {
            self.hub.disconnect(to).await
        } else {
            self.remote.disconnect(to).await
        }
    }
}
