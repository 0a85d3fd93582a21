/**
 * The TCP sockets a container listens on, from /proc/net/tcp and
 * /proc/net/tcp6 as the kernel writes them (src/docker/run/listening.ts
 * reads them inside the container's network namespace). Text in, sockets
 * out: nothing here runs a container.
 */

/** A TCP socket in LISTEN state, as /proc/net/tcp{,6} shows it. */
export interface ListeningSocket {
  /**
   * The local address: "0.0.0.0" or "::" (every address: "::" takes IPv4
   * too unless the socket is IPV6_V6ONLY, which /proc does not show),
   * "127.0.0.1" or "::1" (loopback: only the container itself can connect),
   * or one address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is given
   * as its IPv4 address.
   */
  address: string;
  port: number;
}

/** st column: TCP_LISTEN (include/net/tcp_states.h). */
const LISTEN = 0x0a;

// "  12: 0100007F:1F90 00000000:0000 0A ..." (tcp6: 32 hex digits per address).
const ENTRY = /^\s*\d+:\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+[0-9A-Fa-f]+:[0-9A-Fa-f]{4}\s+([0-9A-Fa-f]{2})\s/;

/**
 * The LISTEN entries of /proc/net/tcp, /proc/net/tcp6 or both one after the
 * other (`cat tcp tcp6`): the address width tells the family, headers and
 * other states (ESTABLISHED, TIME_WAIT...) are skipped. Sorted by port, IPv4
 * before IPv6, without duplicates (SO_REUSEPORT listeners).
 *
 * The kernel prints each 32-bit word of an address in host byte order
 * (`%08X` of the in-memory value), so the bytes read backwards on
 * little-endian machines: 0100007F is 127.0.0.1. The port is plain hex.
 * `littleEndian`: the byte order of the machine that wrote the text (the
 * engine's host); every Docker platform but s390x is little-endian.
 */
export function parseProcNetTcp(text: string, littleEndian = true): ListeningSocket[] {
  const seen = new Set<string>();
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n')) {
    const m = ENTRY.exec(line);
    if (!m || parseInt(m[3], 16) !== LISTEN) continue;
    const address = decodeAddress(m[1], littleEndian);
    const port = parseInt(m[2], 16);
    const key = `${address} ${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ address, port });
  }
  return out.sort((x, y) => x.port - y.port || Number(isV6(x.address)) - Number(isV6(y.address)) || (x.address < y.address ? -1 : x.address > y.address ? 1 : 0));
}

/** The network-order bytes of an address column. */
function addressBytes(hex: string, littleEndian: boolean): number[] {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((i) => parseInt(hex.slice(w + i, w + i + 2), 16));
    bytes.push(...(littleEndian ? word.reverse() : word));
  }
  return bytes;
}

function decodeAddress(hex: string, littleEndian: boolean): string {
  const b = addressBytes(hex, littleEndian);
  if (b.length === 4) return b.join('.');
  // ::ffff:a.b.c.d: an IPv4 address on an IPv6 socket.
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.slice(12).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  return formatV6(groups);
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as "::" (the first one on a tie). */
function formatV6(groups: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const isV6 = (address: string): boolean => address.includes(':');

/** 127.0.0.0/8 or ::1: only the container itself (its own network namespace) can connect. */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1';
}

/** "0.0.0.0:8080", "[::]:8080". */
export function socketText(s: ListeningSocket): string {
  return isV6(s.address) ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
}

/** The sockets listening on `port`. */
export function onPort(sockets: readonly ListeningSocket[], port: number): ListeningSocket[] {
  return sockets.filter((s) => s.port === port);
}

/**
 * Whether a connection to `port` forwarded by the engine (docker-proxy or
 * NAT to the container's own address) reaches a listener: a socket on that
 * port bound to anything but loopback.
 */
export function reachable(sockets: readonly ListeningSocket[], port: number): boolean {
  return onPort(sockets, port).some((s) => !isLoopback(s.address));
}

/** The distinct port numbers, in order. */
export function portsOf(sockets: readonly ListeningSocket[]): number[] {
  return [...new Set(sockets.map((s) => s.port))];
}
