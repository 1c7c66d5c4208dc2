// Kill switches: an operator suspends a service — everywhere, or for one card brand, one
// merchant, one network — and every Kinko process refuses it within a second, until two
// operators agree to lift it.
//
// Glossary
// - switch: one suspension: an operation, a scope, a reason, perhaps an incident; on until
//   lifted. One switch per operation and scope is on at a time; lifted ones are history.
// - operation: what is suspended: sign_up, login, recovery, new_devices, card_linking,
//   topups, code_payments, store_qr_payments, web_payments, refunds, webhooks_out, or
//   everything (only with a scope narrower than all).
// - scope: which requests of the operation: all; a card brand, BIN range or card type
//   (card operations); one merchant, store, terminal, customer or device; a source network
//   (CIDR).
// - board: the switches that are on, held in memory by every process; the check on a request
//   path (`refuse`) reads only the board.
// - service_suspended: the error a covered request gets (HTTP 503), naming what is suspended.
// - lift: turning a switch off, in two steps by two operators: one requests it (saying why),
//   another approves it. Nothing else turns a switch off.
// - reconcile: reloading the board on a timer, in case a change's notification was missed.
//
// A request already past its check when a switch goes on finishes: the check is made once,
// at the start, so nothing is left half-done. Paused webhook deliveries stay pending and go
// out when the switch is lifted.

export { createSwitches, NOTHING_SUSPENDED, type SwitchCheck, type Switches } from './service.ts';
export { switchesRoutes } from './routes.ts';
export { switchesCommand, SWITCHES_USAGE } from './cli.ts';
