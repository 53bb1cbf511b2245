#!/usr/bin/env python3
"""A bot sending turns to escalation-router and a contact-center router consuming the handoff feed.

    pip install -r requirements.txt && ./generate.sh
    python3 client.py --addr 127.0.0.1:50051

Exits non-zero if the service does not behave as documented (used by .ci/run as an interop check).
"""
import argparse
import os
import sys
import threading
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

import grpc  # noqa: E402
from escalation.v1 import escalation_pb2 as pb  # noqa: E402
from escalation.v1 import escalation_pb2_grpc as rpc  # noqa: E402


def turn(tenant, conversation, turn_id, role, text, **extra):
    return pb.ProcessTurnRequest(turn=pb.Turn(
        tenant_id=tenant, conversation_id=conversation, turn_id=turn_id,
        role=role, text=text, channel=pb.CHANNEL_WEBCHAT, **extra))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--addr", default="127.0.0.1:50051")
    args = parser.parse_args()
    # Retries for the idempotent RPCs (ProcessTurn is idempotent on turn_id), shared with the Node
    # example.
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "service-config.json")) as f:
        service_config = f.read()
    channel = grpc.insecure_channel(args.addr, options=[
        ("grpc.service_config", service_config), ("grpc.enable_retries", 1)])
    grpc.channel_ready_future(channel).result(timeout=10)
    router = rpc.EscalationRouterStub(channel)
    feed = rpc.HandoffFeedStub(channel)

    tenant = "python-example"
    conversation = "py-" + uuid.uuid4().hex[:8]
    received = []
    got_event = threading.Event()

    # The contact-center side: subscribe before the bot talks, ack what arrives.
    subscription = feed.Subscribe(pb.SubscribeRequest(consumer="py-router", tenant_id=tenant))

    def consume():
        try:
            for event in subscription:
                if event.conversation_id != conversation:
                    continue
                received.append(event)
                feed.Ack(pb.AckRequest(consumer="py-router", event_ids=[event.event_id]))
                got_event.set()
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.CANCELLED:
                print("feed error:", e, file=sys.stderr)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()

    # The bot side: a German customer who gets stuck and asks for a person.
    script = [
        (pb.ROLE_CUSTOMER, "Hallo, ich möchte meine Adresse ändern", {}),
        (pb.ROLE_BOT, "Das habe ich leider nicht verstanden.", {"bot": pb.BotTurnFacts(fallback=True)}),
        (pb.ROLE_CUSTOMER, "Bitte verbinden Sie mich mit einem Mitarbeiter", {}),
    ]
    decision = None
    for i, (role, text, extra) in enumerate(script, start=1):
        decision = router.ProcessTurn(turn(tenant, conversation, f"t{i}", role, text, sequence=i, **extra)).decision
        print(f"turn {i}: action={pb.Action.Name(decision.action)} alert={decision.alert}")

    failures = []
    if decision.action != pb.ACTION_HANDOFF:
        failures.append(f"expected ACTION_HANDOFF, got {pb.Action.Name(decision.action)}")
    if not got_event.wait(timeout=10):
        failures.append("no handoff event arrived on the feed")
    elif len(received[0].context.transcript) != 3:
        failures.append(f"transcript has {len(received[0].context.transcript)} turns, expected 3")
    else:
        print(f"handoff event {received[0].event_id} for queue {received[0].route.queue!r}, "
              f"{len(received[0].context.transcript)} transcript turns")

    # Bad input names its field.
    try:
        router.ProcessTurn(turn(tenant, conversation, "", pb.ROLE_CUSTOMER, "hi"))
        failures.append("a missing turn_id was accepted")
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.INVALID_ARGUMENT or "turn_id" not in e.details():
            failures.append(f"unexpected error for a missing turn_id: {e.code()} {e.details()}")

    subscription.cancel()
    channel.close()
    if failures:
        for f in failures:
            print("FAIL:", f, file=sys.stderr)
        sys.exit(1)
    print("python interop: ok")


if __name__ == "__main__":
    main()
