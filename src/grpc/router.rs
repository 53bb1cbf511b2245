//! `EscalationRouter`: turns in, decisions out; conversation queries and router reports.

use super::auth::{Rpc, allow, allow_role, caller};
use super::convert::{self, Limits};
use super::error::RequestError;
use super::rate::{Rate, TenantRates};
use super::streams::Streams;
use super::turn_stream;
use crate::config::auth::Principal;
use crate::engine::Engine;
use crate::pb::{self, escalation_router_server::EscalationRouter};
use crate::state::OutcomeRecord;
use std::sync::Arc;
use tokio::sync::watch;
use tonic::{Request, Response, Status, Streaming};

/// Shared by every call; cheap to clone.
#[derive(Clone)]
pub struct RouterService {
    engine: Engine,
    pub(super) limits: Limits,
    /// Open streams per principal.
    streams: Streams,
    /// Flips to true on shutdown: open `StreamTurns` streams stop reading and close.
    pub(super) shutdown: watch::Receiver<bool>,
    /// Each tenant's turn rate bucket.
    rates: Arc<TenantRates>,
}

impl RouterService {
    pub fn new(
        engine: Engine,
        limits: Limits,
        streams: Streams,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        RouterService {
            engine,
            limits,
            streams,
            shutdown,
            rates: Arc::new(TenantRates::new(super::rate::MAX_BUCKETS)),
        }
    }

    pub(super) async fn process(
        &self,
        principal: &Principal,
        req: pb::ProcessTurnRequest,
    ) -> Result<pb::Decision, Status> {
        let turn = convert::turn(req.turn, self.limits, crate::clock::now_ms())?;
        allow(principal, Rpc::ProcessTurn, Some(&turn.tenant_id))?;
        self.within_rate(&turn.tenant_id)?;
        let decision = self.engine.process(turn).await?;
        Ok(convert::decision(&decision))
    }

    /// Takes a token from the tenant's turn bucket (before anything is done with the turn), or
    /// refuses the turn with the delay until one is there.
    fn within_rate(&self, tenant_id: &str) -> Result<(), Status> {
        let rate = Rate::resolve(
            self.limits.tenant_turns_per_second,
            self.limits.tenant_burst,
            self.engine.policy().load().tenant(tenant_id).rate,
        );
        self.rates
            .take(tenant_id, rate, std::time::Instant::now())
            .map_err(|wait| super::error::rate_limited(tenant_id, rate.per_second, wait))
    }
}

#[tonic::async_trait]
impl EscalationRouter for RouterService {
    async fn process_turn(
        &self,
        request: Request<pb::ProcessTurnRequest>,
    ) -> Result<Response<pb::ProcessTurnResponse>, Status> {
        let principal = caller(&request)?;
        allow_role(&principal, Rpc::ProcessTurn)?;
        let started = std::time::Instant::now();
        let req = request.into_inner();
        if let Some(t) = &req.turn {
            crate::telemetry::record_subject(&t.tenant_id, Some(&t.conversation_id));
        }
        let decision = self.process(&principal, req).await?;
        crate::metrics::turn_seconds("ProcessTurn", started.elapsed());
        Ok(Response::new(pb::ProcessTurnResponse {
            decision: Some(decision),
        }))
    }

    type StreamTurnsStream = turn_stream::TurnStream;

    /// See `turn_stream`: ordered per conversation, bounded, cancelled when the client goes.
    async fn stream_turns(
        &self,
        request: Request<Streaming<pb::ProcessTurnRequest>>,
    ) -> Result<Response<Self::StreamTurnsStream>, Status> {
        let principal = caller(&request)?;
        allow_role(&principal, Rpc::StreamTurns)?;
        let slot = self.streams.open(&principal.name)?;
        let input = request.into_inner();
        Ok(Response::new(turn_stream::serve(
            self.clone(),
            principal,
            input,
            slot,
        )))
    }

    async fn get_conversation(
        &self,
        request: Request<pb::GetConversationRequest>,
    ) -> Result<Response<pb::GetConversationResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        crate::telemetry::record_subject(&req.tenant_id, Some(&req.conversation_id));
        let tenant_id = convert::id("tenant_id", &req.tenant_id, self.limits)?;
        allow(&principal, Rpc::GetConversation, Some(&tenant_id))?;
        let conversation_id = convert::id("conversation_id", &req.conversation_id, self.limits)?;
        if req.recent_turns > 200 {
            return Err(RequestError::invalid("recent_turns", "must be at most 200").into());
        }
        let n = if req.recent_turns == 0 {
            20
        } else {
            req.recent_turns as usize
        };
        let (state, recent) = self
            .engine
            .conversation_view(&tenant_id, &conversation_id, n)
            .await?;
        Ok(Response::new(pb::GetConversationResponse {
            tenant_id,
            conversation_id,
            ownership: convert::ownership(state.ownership) as i32,
            scores: Some(convert::scores(&state.last_scores)),
            recent_turns: recent.iter().map(convert::transcript_turn).collect(),
            open_handoff: state.open_handoff.as_ref().map(|h| pb::Handoff {
                handoff_id: h.handoff_id.clone(),
                context: h.context.as_deref().map(convert::context),
            }),
            turn_count: state.turn_count,
            last_decision: Some(pb::Decision {
                action: convert::action(state.last_action) as i32,
                scores: Some(convert::scores(&state.last_scores)),
                ownership: convert::ownership(state.ownership) as i32,
                sequence: state.turn_count,
                ..Default::default()
            }),
        }))
    }

    async fn report_handoff_status(
        &self,
        request: Request<pb::ReportHandoffStatusRequest>,
    ) -> Result<Response<pb::ReportHandoffStatusResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        crate::telemetry::record_subject(&req.tenant_id, Some(&req.conversation_id));
        let tenant_id = convert::id("tenant_id", &req.tenant_id, self.limits)?;
        allow(&principal, Rpc::ReportHandoffStatus, Some(&tenant_id))?;
        let conversation_id = convert::id("conversation_id", &req.conversation_id, self.limits)?;
        let handoff_id = convert::id("handoff_id", &req.handoff_id, self.limits)?;
        let status = convert::handoff_status(req.status)?;
        let ownership = self
            .engine
            .report_status(&tenant_id, &conversation_id, &handoff_id, status)
            .await?;
        Ok(Response::new(pb::ReportHandoffStatusResponse {
            ownership: convert::ownership(ownership) as i32,
        }))
    }

    async fn report_outcome(
        &self,
        request: Request<pb::ReportOutcomeRequest>,
    ) -> Result<Response<pb::ReportOutcomeResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        crate::telemetry::record_subject(&req.tenant_id, Some(&req.conversation_id));
        let tenant_id = convert::id("tenant_id", &req.tenant_id, self.limits)?;
        allow(&principal, Rpc::ReportOutcome, Some(&tenant_id))?;
        let outcome = OutcomeRecord {
            tenant_id,
            conversation_id: convert::id("conversation_id", &req.conversation_id, self.limits)?,
            handoff_id: convert::id("handoff_id", &req.handoff_id, self.limits)?,
            resolved: req.resolved,
            satisfaction: match req.satisfaction {
                0..=5 => req.satisfaction,
                _ => return Err(RequestError::invalid("satisfaction", "must be 0..5").into()),
            },
            verdict: convert::verdict(req.verdict)?,
        };
        self.engine.record_outcome(outcome).await?;
        Ok(Response::new(pb::ReportOutcomeResponse {}))
    }

    async fn update_queue_status(
        &self,
        request: Request<pb::UpdateQueueStatusRequest>,
    ) -> Result<Response<pb::UpdateQueueStatusResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let tenant_id = convert::id("tenant_id", &req.tenant_id, self.limits)?;
        allow(&principal, Rpc::UpdateQueueStatus, Some(&tenant_id))?;
        let mut queues = Vec::with_capacity(req.queues.len());
        for (i, q) in req.queues.iter().enumerate() {
            let name = convert::id(&format!("queues[{i}].queue"), &q.queue, self.limits)?;
            queues.push((name, convert::queue_status(q, crate::clock::now_ms())));
        }
        self.engine.update_queue_status(&tenant_id, queues).await?;
        Ok(Response::new(pb::UpdateQueueStatusResponse {}))
    }

    async fn get_decision_quality(
        &self,
        request: Request<pb::GetDecisionQualityRequest>,
    ) -> Result<Response<pb::GetDecisionQualityResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let tenant = (!req.tenant_id.is_empty()).then_some(req.tenant_id.as_str());
        allow(&principal, Rpc::GetDecisionQuality, tenant)?;
        let by = convert::quality_dimension(req.group_by)?;
        let rows = self.engine.quality(tenant, by).await?;
        Ok(Response::new(pb::GetDecisionQualityResponse {
            rows: rows.iter().map(convert::quality_row).collect(),
        }))
    }

    async fn forget_conversation(
        &self,
        request: Request<pb::ForgetConversationRequest>,
    ) -> Result<Response<pb::ForgetConversationResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let tenant_id = convert::id("tenant_id", &req.tenant_id, self.limits)?;
        allow(&principal, Rpc::ForgetConversation, Some(&tenant_id))?;
        let conversation =
            (!req.conversation_id.is_empty()).then_some(req.conversation_id.as_str());
        let customer = (!req.customer_id.is_empty()).then_some(req.customer_id.as_str());
        if conversation.is_some() == customer.is_some() {
            return Err(RequestError::invalid(
                "conversation_id",
                "exactly one of conversation_id and customer_id is required",
            )
            .into());
        }
        let n = self
            .engine
            .forget(&tenant_id, conversation, customer)
            .await?;
        Ok(Response::new(pb::ForgetConversationResponse {
            conversations_erased: n,
        }))
    }
}
