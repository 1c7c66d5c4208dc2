import net from 'node:net';
import type { AddressInfo } from 'node:net';

// A mail server on 127.0.0.1 that speaks just enough SMTP for nodemailer: it accepts every
// message, except that RCPT TO for an address in `refuse` is answered 550, as a receiving
// server answers a mailbox that does not exist, and one in `defer` 451, as a server that
// asks to try later. stop() closes the port (connections are refused) and start() opens it
// again. Tests use it to make email delivery succeed or fail for real, through the
// notifier's SMTP transport.

export interface SmtpReceiver {
  url: string;
  /** Recipients of each message accepted, in order. */
  accepted: string[][];
  /** Addresses refused at RCPT TO (lower case). */
  refuse: Set<string>;
  /** Addresses answered "try later" at RCPT TO (lower case). */
  defer: Set<string>;
  /** Every RCPT TO address asked for, accepted or not, in order (lower case). */
  asked: string[];
  /** Stops listening, so that connecting is refused, until start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const accepted: string[][] = [];
  const refuse = new Set<string>();
  const defer = new Set<string>();
  const asked: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let rcpt: string[] = [];
    let inData = false;
    let buffer = '';
    const say = (line: string) => socket.write(`${line}\r\n`);
    say('220 kinko-test ESMTP');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            accepted.push(rcpt);
            rcpt = [];
            say('250 2.0.0 queued');
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') say('250 kinko-test');
        else if (verb === 'MAIL') say('250 2.1.0 ok');
        else if (verb === 'RCPT') {
          const to = (/<([^>]*)>/.exec(line)?.[1] ?? '').toLowerCase();
          asked.push(to);
          if (refuse.has(to)) say('550 5.1.1 no such mailbox');
          else if (defer.has(to)) say('451 4.2.0 mailbox busy, try later');
          else {
            rcpt.push(to);
            say('250 2.1.5 ok');
          }
        } else if (verb === 'DATA') {
          inData = true;
          say('354 end with .');
        } else if (verb === 'RSET') {
          rcpt = [];
          say('250 ok');
        } else if (verb === 'QUIT') {
          say('221 bye');
          socket.end();
        } else say('250 ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server.listening) resolve();
      else server.close(() => resolve());
    });
  return {
    url: `smtp://127.0.0.1:${port}`,
    accepted,
    refuse,
    defer,
    asked,
    stop,
    start: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: stop,
  };
}
