import { randomUUID } from 'node:crypto';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { OutboxEvent } from '../outbox/index.ts';
import { isSecurityEvent, toEcs, type EcsEvent } from './ecs.ts';
import { sendHttpsBatch, type HttpsTarget } from './https.ts';
import { octetFrame, sendSyslogBatch, syslogMessage, type SyslogTarget } from './syslog.ts';
import { startPeriodic } from '../lib/periodic.ts';

// The export: security events are enqueued, as ECS documents, in the transaction that
// audits them (one topic per collector), and a worker drains each topic in order, a batch at
// a time, deleting a batch only once its collector took it. A collector that is down is
// waited out: nothing is dropped, nothing counts as an attempt, and the backlog shows in
// kinko_outbox_events{topic="siem.syslog"}.

export const SIEM_SYSLOG_TOPIC = 'siem.syslog';
export const SIEM_HTTPS_TOPIC = 'siem.https';

/** Events one outbox.enqueue takes; an append with more is enqueued in parts. */
const ENQUEUE_PART_EVENTS = 1000;

interface SiemDeps {
  outbox: {
    enqueue(tx: Tx, events: readonly { topic: string; payload: object }[]): Promise<bigint[]>;
    drainInOrder(
      topic: string,
      batchSize: number,
      send: (events: readonly OutboxEvent[]) => Promise<void>,
    ): Promise<number>;
  };
  clock: Clock;
  log: Logger;
  version: string;
  hostname: string;
  syslog?: SyslogTarget | undefined;
  https?: HttpsTarget | undefined;
  batchSize: number;
  pollMs: number;
}

type Count = (outcome: 'exported' | 'failed') => void;

export interface Siem {
  /** Whether any collector is configured; without one nothing is enqueued. */
  readonly enabled: boolean;
  /** The audit hook: enqueues the security events among entries, in the caller's tx. */
  onAppend(tx: Tx, entries: readonly AuditEntryInput[]): Promise<void>;
  /** Drains every configured collector's topic once; throws the first collector's failure. */
  exportOnce(): Promise<number>;
  /** Runs exportOnce every pollMs until the returned stop is called (nothing when disabled). */
  startWorker(): () => Promise<void>;
  /** Counts exported and failed batches (metrics, made after the export). */
  countWith(count: Count): void;
}

type Send = (events: readonly OutboxEvent[]) => Promise<void>;

interface Channel {
  topic: string;
  /** Drains the channel's topic, in order, through send. */
  drain(send: Send): Promise<number>;
  send(events: readonly EcsEvent[]): Promise<void>;
}

function channelsOf(deps: SiemDeps): Channel[] {
  const out: Channel[] = [];
  const { outbox, batchSize, syslog, https } = deps;
  if (syslog) {
    out.push({
      topic: SIEM_SYSLOG_TOPIC,
      drain: (send) => outbox.drainInOrder(SIEM_SYSLOG_TOPIC, batchSize, send),
      send: (events) =>
        sendSyslogBatch(
          syslog,
          events.map((e) => octetFrame(syslogMessage(e, process.pid))),
        ),
    });
  }
  if (https) {
    out.push({
      topic: SIEM_HTTPS_TOPIC,
      drain: (send) => outbox.drainInOrder(SIEM_HTTPS_TOPIC, batchSize, send),
      send: (events) => sendHttpsBatch(https, events),
    });
  }
  return out;
}

export function createSiem(deps: SiemDeps): Siem {
  const channels = channelsOf(deps);
  let count: Count = () => undefined;
  const exportOnce = async () => {
    let sent = 0;
    for (const c of channels) {
      sent += await c.drain(async (events) => {
        await c.send(events.map((e) => e.payload as unknown as EcsEvent));
        count('exported');
      });
    }
    return sent;
  };
  return {
    enabled: channels.length > 0,
    onAppend: async (tx, entries) => {
      if (channels.length === 0) return;
      const at = deps.clock.now();
      const events = entries.filter(isSecurityEvent).flatMap((entry) => {
        const meta = { id: randomUUID(), at, version: deps.version, hostname: deps.hostname };
        const payload = toEcs(entry, meta);
        return channels.map((c) => ({ topic: c.topic, payload }));
      });
      for (let i = 0; i < events.length; i += ENQUEUE_PART_EVENTS) {
        await deps.outbox.enqueue(tx, events.slice(i, i + ENQUEUE_PART_EVENTS));
      }
    },
    exportOnce,
    startWorker: () =>
      channels.length === 0
        ? async () => undefined
        : startExportLoop(deps, exportOnce, () => count('failed')),
    countWith: (c) => {
      count = c;
    },
  };
}

/** The worker: a pass every pollMs; an outage is logged when it starts and when it ends. */
function startExportLoop(deps: SiemDeps, exportOnce: () => Promise<number>, failed: () => void) {
  let down = false;
  return startPeriodic({
    intervalMs: deps.pollMs,
    run: async () => {
      await exportOnce();
      if (down) deps.log.info('SIEM collector reachable again; export resumed');
      down = false;
    },
    onError: (err) => {
      failed();
      if (!down) deps.log.warn({ err }, 'SIEM collector unreachable; events wait in the outbox');
      down = true;
    },
  });
}
