import { createHmac, timingSafeEqual } from 'node:crypto';

/** Every message the server sends over Socket.IO (DESIGN.md "Contracts"). */
export interface Envelope<T = unknown> {
  type: string;
  data: T;
  /** ISO-8601 UTC, set once where the message originates (the same on every node and socket). */
  timestamp: string;
  session_id: string;
  /** Lowercase hex HMAC-SHA256 of signingString(type, timestamp, data) under the session key. */
  signature: string;
}

/**
 * Canonical JSON: JSON.stringify's encoding of strings and numbers, no whitespace, object keys sorted by
 * UTF-16 code units at every depth, `undefined` members dropped (as JSON does). Any client can rebuild it
 * from the parsed message, whatever order its JSON library keeps keys in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const encoded = JSON.stringify(value);
    return encoded === undefined ? 'null' : encoded;
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** The exact bytes signed: `type + "\n" + timestamp + "\n" + canonicalJson(data)`, UTF-8. */
export function signingString(type: string, timestamp: string, canonicalData: string): string {
  return `${type}\n${timestamp}\n${canonicalData}`;
}

export function sign(sessionKey: Buffer, type: string, timestamp: string, canonicalData: string): string {
  return createHmac('sha256', sessionKey)
    .update(signingString(type, timestamp, canonicalData))
    .digest('hex');
}

/**
 * A message prepared once (canonical data computed once) and signed per session: fan-out to thousands of
 * sockets costs one HMAC each, not one serialisation each.
 */
export class PreparedMessage<T = unknown> {
  private canonicalData: string | undefined;
  private packetHead: string | undefined;
  private packetNamespace: string | undefined;

  constructor(
    readonly type: string,
    readonly data: T,
    readonly timestamp: string = new Date().toISOString(),
  ) {}

  /** Computed at the first signature: a message for a room nobody is in costs nothing. */
  get canonical(): string {
    this.canonicalData ??= canonicalJson(this.data);
    return this.canonicalData;
  }

  /**
   * The Socket.IO EVENT packet whose one argument is this message's envelope for a session, as socket.io-parser
   * would encode it (`2`, the namespace and a comma unless it is '/', then the JSON array [type, envelope]),
   * built by joining strings around the canonical data, which parses back to the same value: a fan-out does
   * not serialise the data again for every socket.
   */
  packetFor(namespace: string, sessionId: string, sessionKey: Buffer): string {
    if (this.packetNamespace !== namespace || this.packetHead === undefined) {
      const type = JSON.stringify(this.type);
      const prefix = namespace === '/' ? '2' : `2${namespace},`;
      this.packetHead = `${prefix}[${type},{"type":${type},"data":${this.canonical},"timestamp":${JSON.stringify(this.timestamp)}`;
      this.packetNamespace = namespace;
    }
    const signature = sign(sessionKey, this.type, this.timestamp, this.canonical);
    return `${this.packetHead},"session_id":${JSON.stringify(sessionId)},"signature":"${signature}"}]`;
  }

  /** Plain data as the client will parse it (dates as strings, undefined members gone). */
  envelopeFor(sessionId: string, sessionKey: Buffer): Envelope<T> {
    return {
      type: this.type,
      data: this.data,
      timestamp: this.timestamp,
      session_id: sessionId,
      signature: sign(sessionKey, this.type, this.timestamp, this.canonical),
    };
  }
}

/** What a client does on receipt (used by the tests and the benchmark as the reference implementation). */
export function verifyEnvelope(envelope: Envelope, sessionKey: Buffer): boolean {
  const expected = sign(sessionKey, envelope.type, envelope.timestamp, canonicalJson(envelope.data));
  const given = Buffer.from(String(envelope.signature), 'hex');
  const wanted = Buffer.from(expected, 'hex');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
