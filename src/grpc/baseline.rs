//! The do-nothing `EscalationRouter` used as the load generator's baseline: same proto, same server
//! stack, no work. `serve --baseline` (or `server.baseline = true`) selects it.

use crate::pb::{self, escalation_router_server::EscalationRouter};
use std::pin::Pin;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

pub struct Baseline;

type TurnStream = Pin<Box<dyn Stream<Item = Result<pb::StreamTurnsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl EscalationRouter for Baseline {
    async fn process_turn(
        &self,
        _request: Request<pb::ProcessTurnRequest>,
    ) -> Result<Response<pb::ProcessTurnResponse>, Status> {
        Ok(Response::new(pb::ProcessTurnResponse {
            decision: Some(pb::Decision::default()),
        }))
    }

    type StreamTurnsStream = TurnStream;

    async fn stream_turns(
        &self,
        request: Request<Streaming<pb::ProcessTurnRequest>>,
    ) -> Result<Response<Self::StreamTurnsStream>, Status> {
        let out = request.into_inner().map(|r| {
            r.map(|req| {
                let t = req.turn.unwrap_or_default();
                pb::StreamTurnsResponse {
                    tenant_id: t.tenant_id,
                    conversation_id: t.conversation_id,
                    turn_id: t.turn_id,
                    result: Some(pb::stream_turns_response::Result::Decision(
                        pb::Decision::default(),
                    )),
                }
            })
        });
        Ok(Response::new(Box::pin(out)))
    }

    async fn get_conversation(
        &self,
        _: Request<pb::GetConversationRequest>,
    ) -> Result<Response<pb::GetConversationResponse>, Status> {
        Err(Status::unimplemented("baseline"))
    }

    async fn report_handoff_status(
        &self,
        _: Request<pb::ReportHandoffStatusRequest>,
    ) -> Result<Response<pb::ReportHandoffStatusResponse>, Status> {
        Err(Status::unimplemented("baseline"))
    }

    async fn report_outcome(
        &self,
        _: Request<pb::ReportOutcomeRequest>,
    ) -> Result<Response<pb::ReportOutcomeResponse>, Status> {
        Err(Status::unimplemented("baseline"))
    }

    async fn update_queue_status(
        &self,
        _: Request<pb::UpdateQueueStatusRequest>,
    ) -> Result<Response<pb::UpdateQueueStatusResponse>, Status> {
        Err(Status::unimplemented("baseline"))
    }

    async fn get_decision_quality(
        &self,
        _: Request<pb::GetDecisionQualityRequest>,
    ) -> Result<Response<pb::GetDecisionQualityResponse>, Status> {
        Err(Status::unimplemented("baseline"))
    }

    async fn forget_conversation(
        &self,
        _: Request<pb::ForgetConversationRequest>,
    ) -> Result<Response<pb::ForgetConversationResponse>, Status> {
        Err(Status::unimplemented("baseline"))
    }
}
