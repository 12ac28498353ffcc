import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../../config/app-config.js';

/** JSON logs (pino) carrying the request id that Fastify assigned (see requestIdFromHeaders). */
export function loggingModule(config: AppConfig) {
  return LoggerModule.forRoot({
    pinoHttp: {
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
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
        }),
      },
    },
    forRoutes: ['*path'],
  });
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
