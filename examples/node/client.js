#!/usr/bin/env node
// A bot sending turns to escalation-router and a contact-center router consuming the handoff feed,
// with @grpc/grpc-js and the proto loaded at run time (no code generation).
//
//   npm ci && node client.js --addr 127.0.0.1:50051 [--key API_KEY]
//
// Uses ../service-config.json (retries for the idempotent RPCs). Exits non-zero if the service does
// not behave as documented (used by .ci/run as an interop check).
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const addr = arg('--addr', '127.0.0.1:50051');
const key = arg('--key', process.env.ESCALATION_API_KEY || '');
const definition = protoLoader.loadSync('escalation/v1/escalation.proto', {
  includeDirs: [path.join(__dirname, '..', '..', 'proto')],
  keepCase: true,
  enums: String,
  longs: String,
  defaults: true,
  oneofs: true,
});
const v1 = grpc.loadPackageDefinition(definition).escalation.v1;
const serviceConfig = fs.readFileSync(path.join(__dirname, '..', 'service-config.json'), 'utf8');
const options = { 'grpc.service_config': serviceConfig, 'grpc.enable_retries': 1 };
const credentials = grpc.credentials.createInsecure();
const router = new v1.EscalationRouter(addr, credentials, options);
const feed = new v1.HandoffFeed(addr, credentials, options);

function metadata() {
  const md = new grpc.Metadata();
  if (key) md.set('authorization', `Bearer ${key}`);
  md.set('x-request-id', `node-${crypto.randomUUID()}`);
  return md;
}

function call(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata(), (err, response) => (err ? reject(err) : resolve(response)));
  });
}

async function main() {
  const tenant = 'node-example';
  const conversation = `node-${crypto.randomUUID().slice(0, 8)}`;
  const failures = [];

  // The contact-center side: subscribe before the bot talks, ack what arrives.
  const subscription = feed.Subscribe({ consumer: 'node-router', tenant_id: tenant }, metadata());
  const event = new Promise((resolve) => {
    subscription.on('data', (ev) => {
      if (ev.conversation_id !== conversation) return;
      call(feed, 'Ack', { consumer: 'node-router', event_ids: [ev.event_id] }).catch((e) =>
        failures.push(`ack failed: ${e.message}`));
      resolve(ev);
    });
    subscription.on('error', (e) => {
      if (e.code !== grpc.status.CANCELLED) failures.push(`feed error: ${e.message}`);
    });
  });

  // The bot side: an English customer the bot does not understand, who asks for a person.
  const script = [
    ['ROLE_CUSTOMER', 'Hi, I want to change my delivery address', {}],
    ['ROLE_BOT', "Sorry, I didn't get that.", { bot: { fallback: true } }],
    ['ROLE_CUSTOMER', 'Please put me through to a human agent', {}],
  ];
  let decision;
  for (const [i, [role, text, extra]] of script.entries()) {
    const turn = {
      tenant_id: tenant, conversation_id: conversation, turn_id: `t${i + 1}`, sequence: i + 1,
      role, text, channel: 'CHANNEL_WEBCHAT', ...extra,
    };
    ({ decision } = await call(router, 'ProcessTurn', { turn }));
    console.log(`turn ${i + 1}: action=${decision.action} alert=${decision.alert}`);
  }
  if (decision.action !== 'ACTION_HANDOFF') failures.push(`expected ACTION_HANDOFF, got ${decision.action}`);

  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 10000));
  const ev = await Promise.race([event, timeout]);
  if (!ev) {
    failures.push('no handoff event arrived on the feed');
  } else if (ev.context.transcript.length !== 3) {
    failures.push(`transcript has ${ev.context.transcript.length} turns, expected 3`);
  } else {
    console.log(`handoff event ${ev.event_id} for queue '${ev.route.queue}', ${ev.context.transcript.length} transcript turns`);
  }

  // A sequence that skips ahead names the expected one, in the message and in ErrorInfo details.
  try {
    await call(router, 'ProcessTurn', {
      turn: { tenant_id: tenant, conversation_id: conversation, turn_id: 't9', sequence: 9, role: 'ROLE_CUSTOMER', text: 'hello?' },
    });
    failures.push('a sequence gap was accepted');
  } catch (e) {
    if (e.code !== grpc.status.FAILED_PRECONDITION || !e.details.includes('expected 4')) {
      failures.push(`unexpected error for a sequence gap: ${e.code} ${e.details}`);
    }
    if (!e.metadata.get('grpc-status-details-bin').length) failures.push('no error details');
  }

  subscription.cancel();
  router.close();
  feed.close();
  if (failures.length) {
    for (const f of failures) console.error('FAIL:', f);
    process.exit(1);
  }
  console.log('node interop: ok');
}

main().catch((e) => {
  console.error('FAIL:', e.message);
  process.exit(1);
});
