import { BRANDS } from '../lib/card-numbers.ts';
import type { Operation, ScopeType } from '../lib/suspensions.ts';
import { switchesError } from './errors.ts';
import { networkOf, parseAddress, type Network } from './network.ts';

// The pure part of kill switches: what a switch can name, how a scope is written, and
// whether a switch covers a request. No SQL and no clock: the board (service.ts) keeps the
// switches that are on in memory and asks `covers` on the request path.

// The names live in lib (no imports), so that the console's switch panel offers the same ones.
export { OPERATIONS, SCOPE_TYPES, type Operation, type ScopeType } from '../lib/suspensions.ts';
/** What a request names when it asks whether it is suspended. */
type GuardedOperation = Exclude<Operation, 'everything'>;

const CARD_TYPES = ['credit', 'debit', 'prepaid'] as const;

/**
 * What each operation's requests carry, hence the scopes a switch on it can match: a switch
 * whose scope a request never carries would suspend nothing, so it is refused by name.
 */
const SCOPES_OF: Readonly<Record<Operation, readonly ScopeType[]>> = {
  sign_up: ['all', 'source'],
  login: ['all', 'source'],
  recovery: ['all', 'source'],
  new_devices: ['all', 'customer', 'source'],
  card_linking: ['all', 'card_brand', 'bin_range', 'card_type', 'customer', 'source'],
  topups: ['all', 'card_brand', 'bin_range', 'card_type', 'customer', 'device', 'source'],
  // The register's payment (merchant, store, terminal) and the wallet's code (customer,
  // device); a source range covers both.
  code_payments: ['all', 'merchant', 'store', 'terminal', 'customer', 'device', 'source'],
  store_qr_payments: ['all', 'merchant', 'store', 'customer', 'device', 'source'],
  web_payments: ['all', 'merchant', 'source'],
  refunds: ['all', 'merchant', 'source'],
  webhooks_out: ['all', 'merchant'],
  everything: ['merchant', 'store', 'terminal', 'customer', 'device', 'source'],
};

function scopesOf(operation: Operation): readonly ScopeType[] {
  return SCOPES_OF[operation];
}

/** A request on the way in, with whatever its path knows of who and what it concerns. */
export interface GuardedRequest {
  operation: GuardedOperation;
  /** The client's address (http/source.ts, sourceOf). */
  source?: string | undefined;
  customerId?: string | null | undefined;
  deviceId?: string | null | undefined;
  merchantId?: string | null | undefined;
  storeId?: string | null | undefined;
  terminalId?: string | null | undefined;
  /** The card charged or linked; `type` absent when Kinko does not know it. */
  card?: { brand: string; bin: string; type?: string | undefined } | undefined;
}

interface Scope {
  type: ScopeType;
  /** Canonical: a brand, `lo-hi` (six-digit BINs), a card type, an id, a CIDR. */
  value: string | null;
}

/** A switch that is on, as the board holds it. */
export interface ActiveSwitch {
  id: string;
  operation: Operation;
  scope: Scope;
  /** Parsed once when loaded, so matching a source is arithmetic. */
  network?: Network | undefined;
}

const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const BIN_RANGE_RE = /^([0-9]{6})(?:-([0-9]{6}))?$/;

/**
 * Checks a scope against its operation and writes its value in canonical form (so that
 * one switch per operation and scope can be on); switch_scope_invalid otherwise.
 */
export function canonicalScope(
  operation: Operation,
  type: ScopeType,
  value: string | null | undefined,
): Scope {
  const invalid = (message: string) =>
    switchesError('switch_scope_invalid', { message, param: 'scope' });
  if (!SCOPES_OF[operation].includes(type)) {
    const allowed = SCOPES_OF[operation].join(', ');
    throw invalid(`A switch on ${operation} takes the scope ${allowed}; not ${type}.`);
  }
  if (type === 'all') {
    if (value) throw invalid('A switch over all requests takes no scope value.');
    return { type, value: null };
  }
  const v = (value ?? '').trim();
  if (!v) throw invalid(`The scope ${type} needs a value.`);
  const canonical = canonicalValue(type, v);
  if (canonical === undefined) throw invalid(`${v} is not a valid ${type}.`);
  return { type, value: canonical };
}

function canonicalValue(type: ScopeType, v: string): string | undefined {
  switch (type) {
    case 'card_brand': {
      const brand = v.toLowerCase();
      return (BRANDS as readonly string[]).includes(brand) ? brand : undefined;
    }
    case 'bin_range': {
      const m = BIN_RANGE_RE.exec(v);
      if (!m) return undefined;
      const lo = m[1]!;
      const hi = m[2] ?? lo;
      return lo <= hi ? `${lo}-${hi}` : undefined;
    }
    case 'card_type':
      return (CARD_TYPES as readonly string[]).includes(v.toLowerCase())
        ? v.toLowerCase()
        : undefined;
    case 'source':
      return networkOf(v)?.text;
    default:
      return ID_RE.test(v) ? v : undefined;
  }
}

/** The switch as the board holds it: its source network parsed once. */
export function activeSwitch(id: string, operation: Operation, scope: Scope): ActiveSwitch {
  const network = scope.type === 'source' && scope.value ? networkOf(scope.value) : undefined;
  return { id, operation, scope, network };
}

/** Whether the switch covers the request (its operation and scope both match). */
export function covers(s: ActiveSwitch, r: GuardedRequest): boolean {
  if (s.operation !== 'everything' && s.operation !== r.operation) return false;
  if (!SCOPES_OF[r.operation].includes(s.scope.type)) return false;
  const v = s.scope.value;
  switch (s.scope.type) {
    case 'all':
      return true;
    case 'card_brand':
      return r.card !== undefined && r.card.brand === v;
    case 'bin_range': {
      if (!r.card || !v) return false;
      const bin = r.card.bin.slice(0, 6);
      const [lo, hi] = v.split('-');
      return bin >= lo! && bin <= hi!;
    }
    case 'card_type':
      // Kinko does not yet learn every card's type from the network: a card of unknown type
      // is suspended too, since letting it through could let the very cards through.
      return r.card !== undefined && (r.card.type === undefined || r.card.type === v);
    case 'source': {
      const address = r.source ? parseAddress(r.source) : undefined;
      return address !== undefined && s.network !== undefined && s.network.contains(address);
    }
    case 'merchant':
      return r.merchantId === v;
    case 'store':
      return r.storeId === v;
    case 'terminal':
      return r.terminalId === v;
    case 'customer':
      return r.customerId === v;
    case 'device':
      return r.deviceId === v;
  }
}

/** Each operation in words, with its verb (plural names take "are"). */
const OPERATION_WORDS: Readonly<Record<Operation, readonly [string, 'is' | 'are']>> = {
  sign_up: ['Sign-up', 'is'],
  login: ['Sign-in', 'is'],
  recovery: ['Account recovery', 'is'],
  new_devices: ['Adding a new device', 'is'],
  card_linking: ['Linking a card', 'is'],
  topups: ['Top-ups', 'are'],
  code_payments: ['Payments with a payment code', 'are'],
  store_qr_payments: ['Payments by store QR code', 'are'],
  web_payments: ['Web payments', 'are'],
  refunds: ['Refunds', 'are'],
  webhooks_out: ['Webhook deliveries', 'are'],
  everything: ['Every service', 'is'],
};

const SCOPE_WORDS: Readonly<Record<ScopeType, (v: string | null) => string>> = {
  all: () => '',
  card_brand: (v) => ` with ${v} cards`,
  bin_range: () => ' with cards of this issuer range',
  card_type: (v) => ` with ${v} cards`,
  merchant: () => ' for this merchant',
  store: () => ' at this store',
  terminal: () => ' at this terminal',
  customer: () => ' for this account',
  device: () => ' from this device',
  source: () => ' from this network',
};

/**
 * The refusal's words: what is suspended, without the scope's value where it would tell a
 * caller more than what concerns them (a network, another party's id).
 */
export function suspendedMessage(s: ActiveSwitch): string {
  const scope = SCOPE_WORDS[s.scope.type](s.scope.value);
  const [what, verb] = OPERATION_WORDS[s.operation];
  return `${what}${scope} ${verb} suspended for now by Kinko’s operators.`;
}
