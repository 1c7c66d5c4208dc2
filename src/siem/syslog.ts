import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { EcsEvent } from './ecs.ts';

// Syslog transport: RFC 5424 messages, framed by octet counting (RFC 6587 §3.4.1), over TCP
// or TLS (RFC 5425). Syslog has no acknowledgement, so a batch is counted as delivered only
// when the collector has closed its side after reading ours: the connection is half-closed
// after the batch, and a reset, a timeout or an early close fails the batch, which is then
// sent again (events carry a stable event.id, so a collector can drop a repeat).

/** facility 13 (log audit) × 8 + severity: 5 notice, 4 warning for failures. */
const PRI_NOTICE = 13 * 8 + 5;
const PRI_WARNING = 13 * 8 + 4;
/** RFC 5424 §6: APP-NAME ≤ 48, MSGID ≤ 32 printable US-ASCII characters. */
const MSGID_CHARS_MAX = 32;

/** One event as an RFC 5424 message: the ECS JSON is the MSG. */
export function syslogMessage(e: EcsEvent, procId: number): string {
  const pri = e.event.outcome === 'failure' ? PRI_WARNING : PRI_NOTICE;
  const msgId = e.event.action.replace(/[^\x21-\x7e]/g, '_').slice(0, MSGID_CHARS_MAX) || '-';
  const host = e.host.hostname.replace(/[^\x21-\x7e]/g, '_').slice(0, 255) || '-';
  const header = `<${pri}>1 ${e['@timestamp']} ${host} kinko ${procId} ${msgId}`;
  const origin = `[origin software="kinko" swVersion="${e.service.version}"]`;
  return `${header} ${origin} ${JSON.stringify(e)}`;
}

/** RFC 6587 octet counting: the message's length in bytes, a space, the message. */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

export interface SyslogTarget {
  /** tcp://host:port or tls://host:port */
  url: string;
  /** PEM file of the CA for tls:// (the system's CAs when absent). */
  caFile?: string | undefined;
  timeoutMs: number;
}

/** Sends framed messages on one connection; resolves once the collector closed its side. */
export function sendSyslogBatch(target: SyslogTarget, frames: readonly Buffer[]): Promise<void> {
  const url = new URL(target.url);
  const host = url.hostname;
  const port = Number(url.port);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const write = () => {
      socket.write(Buffer.concat(frames as Buffer[]));
      socket.end();
    };
    const socket =
      url.protocol === 'tls:'
        ? tls.connect(
            {
              host,
              port,
              servername: net.isIP(host) ? undefined : host,
              ca: target.caFile ? fs.readFileSync(target.caFile) : undefined,
            },
            write,
          )
        : net.connect({ host, port }, write);
    const timer = setTimeout(
      () => done(new Error(`syslog collector did not close within ${target.timeoutMs} ms`)),
      target.timeoutMs,
    );
    socket.on('error', (err) => done(err));
    // The collector's FIN after ours: it read everything we sent.
    socket.on('end', () => done());
    socket.on('close', () => done(new Error('syslog connection closed before the batch was read')));
    socket.resume();
  });
}
