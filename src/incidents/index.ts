// Incidents: what a payment company's security team runs an incident with. Detectors raise
// signals that open incidents or join the live one with the same key; every action taken
// (kill switches, scope runs, notices, compensation, reports, notes) is appended to the
// incident's timeline by the module that took it, through this module's service.
//
// Glossary
// - incident: one security or integrity event that needs people: title, kind, severity,
//   status, owner, the detectors or operators that opened it, and its timeline.
// - kind: dotted lower-case name of what was detected (`vault.pan_discovered`).
// - severity: low | medium | high | critical.
// - status: open → contained → resolved → closed, only forward (a step may be skipped).
// - detector: a named source of signals (`vault.pan_scan`, `identity.stuffing`, `risk.spike`).
// - signal: one detection, raised with a detector key; while an incident raised under the
//   same detector and key is open or contained, the signal joins it instead of opening one.
// - opener: a detector or person who opened or joined the incident.
// - owner: the operator working the incident.
// - timeline: the incident's events (incidents_events), insert-only in the database; the
//   record (incidents_records) is only its current state, which the database derives from
//   the timeline. Every event is also an audit entry, written in the same transaction.
// - event: one thing that happened to an incident: at, actor, kind, detail; kinds other
//   than the state's own (`opened`, `status_changed`, `owner_changed`, `severity_changed`,
//   `signal_joined`) come through appendTimeline with a summary and a ref.
// - notice: one email or SMS telling a customer of the latest scope run what happened, what
//   Kinko did, what to do and whom to call, with a "this was not me" link; at most one per
//   incident, customer and channel (incidents_notices), however often notices are sent.
// - compensation: credits to customers' wallets from the incident's ledger account for what
//   the latest scope run says they lost; proposed by one operator, approved and posted by
//   another, each credit once (its transfer id is derived from incident and customer).

export { incidentTimeline, openIncident, raiseIncident, changeIncidentStatus } from './timeline.ts';
export { createIncidents, type Incidents } from './service.ts';
export { incidentsRoutes } from './routes.ts';
export { cardExportScope } from './export.ts';
