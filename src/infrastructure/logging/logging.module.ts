import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '../../config/app-config.js';

/**
 * JSON logs (pino) carrying the request id that Fastify assigned (see requestIdFromHeaders), on stdout, or on
 * `destination` (tests read what an operator would).
 */
export function loggingModule(config: AppConfig, destination?: DestinationStream) {
  const options = {
    level: config.logLevel,
    genReqId: (req: IncomingMessage) => requestIdFromHeaders(req.headers),
    customProps: () => ({ service: 'sectorwars-gameserver' }),
    redact: [
      'req.headers.authorization',
      'req.headers.cookie',
      'req.body.password',
      'req.body.refresh_token',
    ],
    autoLogging: {
      ignore: (req: IncomingMessage) => req.url === '/metrics' || req.url?.startsWith('/health') === true,
    },
    customErrorObject: accessLineError,
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: redactQuery(req.url),
      }),
      res: accessLineResponse,
    },
  };
  return LoggerModule.forRoot({
    pinoHttp: destination ? [options, destination] : options,
    forRoutes: ['*path'],
  });
}

/**
 * The access line of an answer that failed: pino-http gives every 5xx an Error of its own ("failed with status
 * code 503") and would print its stack, which is pino-http's and says nothing; in a database outage that was
 * thousands of identical stacks a minute. The line keeps the message; the exception filters log a real failure
 * with its own stack.
 */
export function accessLineError(
  _req: IncomingMessage,
  _res: unknown,
  error: Error,
  line: Record<string, unknown>,
): Record<string, unknown> {
  return { ...line, err: error.message };
}

/**
 * The response as an access line tells it: the status, the body's size and, on a 429 or 503, when the client
 * was told to come back. pino's own serializer prints every response header (helmet's dozen among them), which
 * made each line ~1.3 KB and said nothing an operator reads.
 */
export function accessLineResponse(res: {
  statusCode: number | null;
  headers?: Record<string, unknown>;
}): Record<string, unknown> {
  const header = (name: string) => {
    const value = res.headers?.[name];
    return value === undefined ? undefined : Number(value);
  };
  return {
    statusCode: res.statusCode,
    contentLength: header('content-length'),
    retryAfter: header('retry-after'),
  };
}

/** Query parameters whose values never reach the logs (a client that put its token in the URL, say). */
const SECRET_PARAM = /token|password|secret|api[_-]?key/i;

/** `url` with the values of secret-looking query parameters replaced; the rest of it verbatim. */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // a malformed escape: match the raw name
      }
      return eq >= 0 && SECRET_PARAM.test(decoded) ? `${name}=[REDACTED]` : part;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A caller's X-Request-Id is kept when it is well-formed (so traces join across services); otherwise a new
 * one is made. Fastify and pino both call this, and it writes the id back so they agree.
 */
export function requestIdFromHeaders(headers: IncomingMessage['headers']): string {
  const given = headers['x-request-id'];
  const id = typeof given === 'string' && VALID_ID.test(given) ? given : randomUUID();
  headers['x-request-id'] = id;
  return id;
}
