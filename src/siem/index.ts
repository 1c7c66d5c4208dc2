// SIEM export: security events, in the Elastic Common Schema, to a syslog or HTTPS collector.
//
// Glossary
// - security event: an audit entry of security relevance (sign-ins and failures, factors,
//   devices, recovery, throttling and stuffing, operator and merchant people's actions,
//   switches, incidents, integrity alerts, decryptions), chosen by isSecurityEvent.
// - ECS: the Elastic Common Schema (8.x); each event is one JSON document with `@timestamp`,
//   `event.*` (id, kind, category, type, action, outcome), `user`, `source`, and Kinko's own
//   fields under `kinko.*` (actor, subject, scrubbed detail).
// - event id: `event.id`, a UUID fixed when the event is enqueued; a batch sent twice (at
//   least once) carries the same ids, so the collector can drop repeats.
// - collector: where events go: syslog (RFC 5424, octet-counted framing, TCP or TLS) and/or
//   HTTPS (NDJSON POST). Each has its own outbox topic, drained in order.
// - batch: events sent together; deleted from the outbox only once the collector took it.

export { createSiem, SIEM_HTTPS_TOPIC, SIEM_SYSLOG_TOPIC, type Siem } from './siem.ts';
export { isSecurityEvent, toEcs, ECS_VERSION, type EcsEvent } from './ecs.ts';
export { octetFrame, syslogMessage } from './syslog.ts';
