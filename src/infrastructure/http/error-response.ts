import { HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError } from '../errors/app-error.js';
import { databaseFailure } from '../database/database-errors.js';

export interface ErrorBody {
  error: string;
  detail: string;
  timestamp: string;
  fields?: Record<string, string[]>;
  [extra: string]: unknown;
}

const HTTP_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'AUTH.UNAUTHORIZED',
  403: 'AUTH.FORBIDDEN',
  404: 'ROUTE_NOT_FOUND', // Nest's own 404s are unknown routes; handlers throw AppError codes
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'RATE_LIMITED',
};

/** Fastify's client errors (Nest wraps them in an HttpException whose cause is the Fastify error). */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * How a filter logs an error it answers (the HTTP and the Socket.IO filter alike):
 * - `none`: the client's doing, or an answer that is itself the report (a failed readiness probe);
 * - `refused`: a database outage or an exhausted pool: DatabaseAvailability counts it and tells the outage once,
 *   not once per request;
 * - `unavailable`: any other 503 AppError, an answer given by design while a dependency is away or busy (Redis
 *   for presence, the node's chain-walk slots, a contended market): no stack; UnavailableResponses tells it at
 *   warn at most once a minute per code and the rest at debug;
 * - `stack`: a bug or a failure to look at (any other 5xx): at error level, with its stack.
 */
export type ErrorLogging = 'none' | 'refused' | 'unavailable' | 'stack';

/** How an AppError the code threw is logged: a 503 is by design a "come back later", any other 5xx a failure. */
function appErrorLogging(err: AppError): ErrorLogging {
  if (err.status < 500) return 'none';
  // A failed readiness probe answers the load balancer, every few seconds while the database is away;
  // DatabaseAvailability logs the loss.
  if (err.code === 'HEALTH.NOT_READY') return 'none';
  return err.status === 503 ? 'unavailable' : 'stack';
}

/**
 * Maps anything thrown to a status and the DESIGN.md error body. Unknown errors become a bare 500: their
 * message and stack go to the log, never to the client. Shared by the HTTP and Socket.IO filters.
 */
export function toErrorResponse(err: unknown): {
  status: number;
  body: ErrorBody;
  log: ErrorLogging;
  /** The client-facing error of a database outage (log `refused`). */
  refusal?: AppError;
  /** The 503 AppError answered by design (log `unavailable`), for UnavailableResponses. */
  unavailable?: AppError;
} {
  const timestamp = new Date().toISOString();
  if (err instanceof AppError) {
    const log = appErrorLogging(err);
    return {
      status: err.status,
      body: { error: err.code, detail: err.message, timestamp, ...(err.details ?? {}) },
      log,
      ...(log === 'unavailable' ? { unavailable: err } : {}),
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const fastifyCode = (err.cause as { code?: string } | undefined)?.code;
    const response = err.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : (((response as { message?: unknown }).message as string | undefined) ?? err.message);
    return {
      status,
      body: {
        error:
          fastifyCode && FASTIFY_CODES[fastifyCode]
            ? FASTIFY_CODES[fastifyCode]
            : (HTTP_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'HTTP_ERROR')),
        detail: status >= 500 ? 'An unexpected error occurred' : String(message),
        timestamp,
      },
      log: status >= 500 ? 'stack' : 'none',
    };
  }
  // Postgres unreachable, restarting or out of pooled connections: an outage the client may retry, not a
  // server bug. The operator hears of it once (DatabaseAvailability), not once per refused request.
  const database = databaseFailure(err);
  if (database) {
    return {
      status: database.status,
      body: { error: database.code, detail: database.message, timestamp, ...database.details },
      log: 'refused',
      refusal: database,
    };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { error: 'INTERNAL_ERROR', detail: 'An unexpected error occurred', timestamp },
    log: 'stack',
  };
}

/**
 * Whether `err` is one of the "come back later" failures (a database outage or busy pool, a 503 AppError) rather
 * than a bug: for code that answers a failure of its own making (the /admin initial state) and logs it the same
 * way the filters do.
 */
export function isExpectedUnavailability(err: unknown): boolean {
  const { log } = toErrorResponse(err);
  return log === 'refused' || log === 'unavailable';
}

/** What Node reports before a request reaches the router: a request too slow to arrive, oversized headers. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'REQUEST_TIMEOUT',
    detail: 'The request did not arrive within HTTP_REQUEST_TIMEOUT_MS',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    detail: 'The request headers are too large',
  },
};

/**
 * Fastify's clientErrorHandler: the raw HTTP answer, in the DESIGN.md error body, for a request Node gave up on
 * before it was routed (anything else malformed is a 400 BAD_REQUEST); then the connection is closed.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[err.code ?? ''] ?? {
    status: 400,
    code: 'BAD_REQUEST',
    detail: 'The request could not be parsed',
  };
  const body = JSON.stringify({
    error: known.code,
    detail: known.detail,
    timestamp: new Date().toISOString(),
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status]}\r\nConnection: close\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** Fastify's router refusals, which answer before any route (and so before Nest's filter) runs. */
const FRAMEWORK_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'URI_TOO_LONG', detail: 'A path parameter is too long' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_REQUEST', detail: 'The request URL is not validly encoded' },
};

/**
 * Fastify's frameworkErrors: the DESIGN.md error body for a URL the router cannot take (a bad percent-encoding,
 * a path parameter longer than maxParamLength), instead of Fastify's own body, which echoes the path.
 */
export function frameworkErrorHandler(
  err: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const known = FRAMEWORK_ERRORS[err.code] ?? {
    status: 400,
    code: 'BAD_REQUEST',
    detail: 'The request could not be routed',
  };
  const body: ErrorBody = { error: known.code, detail: known.detail, timestamp: new Date().toISOString() };
  void reply.code(known.status).send(body);
}
