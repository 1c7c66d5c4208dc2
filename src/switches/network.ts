import net from 'node:net';

// Source ranges for switches: an address or a CIDR network, IPv4 or IPv6, held as a bigint
// so that matching a request's address is a shift and a compare. An IPv4 address written as
// IPv6 (::ffff:192.0.2.1, as a dual-stack socket reports it) is treated as the IPv4 one.

interface Address {
  family: 4 | 6;
  value: bigint;
}

export interface Network {
  /** Canonical text: the network address (host bits cleared) and its prefix length. */
  text: string;
  contains(address: Address): boolean;
}

const BITS = { 4: 32, 6: 128 } as const;

/** An address, or undefined when the text is not one. */
export function parseAddress(text: string): Address | undefined {
  const family = net.isIP(text);
  if (family === 4) return { family: 4, value: ipv4Value(text) };
  if (family !== 6) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped) return { family: 4, value: ipv4Value(mapped[1]!) };
  return { family: 6, value: ipv6Value(text) };
}

/** A network from `address` or `address/prefix`; undefined when it is not one. */
export function networkOf(text: string): Network | undefined {
  const [host, prefixText, extra] = text.split('/');
  if (extra !== undefined || !host) return undefined;
  const address = parseAddress(host);
  if (!address) return undefined;
  const bits = BITS[address.family];
  if (prefixText !== undefined && !/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  const shift = BigInt(bits - prefix);
  const base = (address.value >> shift) << shift;
  const shown = address.family === 4 ? ipv4Text(base) : ipv6Text(base);
  return {
    text: `${shown}/${prefix}`,
    contains: (a) => a.family === address.family && a.value >> shift === base >> shift,
  };
}

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

function ipv6Value(text: string): bigint {
  // An embedded IPv4 tail (::ffff:0:1.2.3.4 and the like) becomes its two groups first.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let t = text;
  if (tail) {
    const v = ipv4Value(tail[1]!);
    t = `${text.slice(0, tail.index)}${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head, rest] = t.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const zeros = rest === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].reduce(
    (acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)),
    0n,
  );
}

/** RFC 5952 text: lower case, the longest run of zero groups (two or more) as `::`. */
function ipv6Text(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) =>
    Number((value >> BigInt(112 - 16 * i)) & 0xffffn),
  );
  let best = { at: -1, length: 0 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.length < 2) return hex.join(':');
  const left = hex.slice(0, best.at).join(':');
  const right = hex.slice(best.at + best.length).join(':');
  return `${left}::${right}`;
}
