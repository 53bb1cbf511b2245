//! `spawn_app`: a real server on port 0 with the in-memory store, and clients connected to it.

use escalation_router::config::Config;
use escalation_router::pb::{
    self, escalation_router_client::EscalationRouterClient, handoff_feed_client::HandoffFeedClient,
};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;
use tonic::transport::Channel;

pub struct App {
    #[allow(dead_code)]
    pub addr: SocketAddr,
    pub router: EscalationRouterClient<Channel>,
    pub feed: HandoffFeedClient<Channel>,
    pub channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl App {
    /// Triggers graceful shutdown (what SIGTERM does in `serve`).
    pub fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Test configuration: memory store, short feed lease and poll.
pub fn test_config() -> Config {
    let mut config = Config::default();
    config.store.url = "memory".into();
    config.feed.poll_ms = 50;
    config.server.grace_seconds = 2;
    config.server.drain_seconds = 0;
    config
}

pub async fn spawn_app() -> App {
    spawn_app_with(test_config()).await
}

pub async fn spawn_app_with(config: Config) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(escalation_router::server::run(config, listener, async {
        let _ = stopped.await;
    }));
    let channel = connect(addr).await;
    App {
        addr,
        router: EscalationRouterClient::new(channel.clone()),
        feed: HandoffFeedClient::new(channel.clone()),
        channel,
        stop: Some(stop),
        server: Some(server),
    }
}

pub async fn connect(addr: SocketAddr) -> Channel {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap();
    for _ in 0..100 {
        if let Ok(ch) = endpoint.connect().await {
            return ch;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("server at {addr} never accepted a connection");
}

/// A customer turn with the given ids and text.
pub fn customer(conversation: &str, turn_id: &str, text: &str) -> pb::Turn {
    pb::Turn {
        tenant_id: "acme".into(),
        conversation_id: conversation.into(),
        turn_id: turn_id.into(),
        role: pb::Role::Customer as i32,
        text: text.into(),
        ..Default::default()
    }
}

/// A bot turn.
pub fn bot(conversation: &str, turn_id: &str, text: &str, fallback: bool) -> pb::Turn {
    pb::Turn {
        role: pb::Role::Bot as i32,
        bot: Some(pb::BotTurnFacts {
            fallback,
            ..Default::default()
        }),
        ..customer(conversation, turn_id, text)
    }
}

pub async fn send(app: &mut App, turn: pb::Turn) -> Result<pb::Decision, tonic::Status> {
    app.router
        .process_turn(pb::ProcessTurnRequest { turn: Some(turn) })
        .await
        .map(|r| r.into_inner().decision.expect("decision present"))
}

pub fn action(d: &pb::Decision) -> pb::Action {
    pb::Action::try_from(d.action).unwrap()
}

pub async fn conversation(
    app: &mut App,
    id: &str,
) -> Result<pb::GetConversationResponse, tonic::Status> {
    app.router
        .get_conversation(pb::GetConversationRequest {
            tenant_id: "acme".into(),
            conversation_id: id.into(),
            recent_turns: 0,
        })
        .await
        .map(|r| r.into_inner())
}

/// Subscribes a consumer; returns the event stream.
pub async fn subscribe(app: &mut App, consumer: &str) -> tonic::Streaming<pb::HandoffEvent> {
    app.feed
        .subscribe(pb::SubscribeRequest {
            consumer: consumer.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

/// The next event within a few seconds, or `None`.
pub async fn next_event(
    stream: &mut tonic::Streaming<pb::HandoffEvent>,
    wait: Duration,
) -> Option<pb::HandoffEvent> {
    match tokio::time::timeout(wait, stream.message()).await {
        Ok(Ok(Some(ev))) => Some(ev),
        _ => None,
    }
}

/// `acme`'s decision quality rows, grouped by reason.
pub async fn quality_rows(app: &App) -> Vec<pb::DecisionQualityRow> {
    app.router
        .clone()
        .get_decision_quality(pb::GetDecisionQualityRequest {
            tenant_id: "acme".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .rows
}
