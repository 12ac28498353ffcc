import type { IncomingMessage } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from '@fastify/helmet';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from './config/app-config.js';
import { AppModule } from './app.module.js';
import { DrainingFastifyAdapter } from './infrastructure/http/draining-fastify.adapter.js';
import {
  BAD_INPUT,
  ERROR_BODY_SCHEMA,
  ErrorBodyDto,
  openErrorBodySchema,
  RATE_LIMITED,
  UNAVAILABLE,
} from './infrastructure/http/api-errors.decorator.js';
import { proxyTrust } from './infrastructure/http/client-ip.js';
import { clientErrorHandler, frameworkErrorHandler } from './infrastructure/http/error-response.js';
import { API_PREFIX } from './infrastructure/http/stray-query.guard.js';
import { createValidationPipe } from './infrastructure/http/validation.js';
import { requestIdFromHeaders } from './infrastructure/logging/logging.module.js';
import { StartupError, StartupLogger } from './infrastructure/startup-failure.js';
import { MetricsService } from './infrastructure/metrics/metrics.service.js';
import { REDIS } from './infrastructure/redis/redis.module.js';
import { RealtimeIoAdapter } from './infrastructure/websocket/realtime-io.adapter.js';

/**
 * Builds the application (not yet listening). main.ts, the e2e tests and the benchmarks all start the
 * server through here, so they run the same pipeline. The JSON logs go to stdout, or to `logDestination`.
 */
export async function createApp(
  config: AppConfig,
  logDestination?: DestinationStream,
): Promise<NestFastifyApplication> {
  const adapter = new DrainingFastifyAdapter({
    // One rule for request.ip and Socket.IO handshakes (RealtimeHub): see proxyTrust.
    trustProxy: proxyTrust(config.trustProxy),
    bodyLimit: 1_048_576,
    // Fastify's default is no limit on how long a request may take to arrive. Node 20 enforces one only when
    // the server is created with it (Fastify sets it afterwards too, so both), on its connections check:
    // every 30 s by default, every second here.
    requestTimeout: config.httpRequestTimeoutMs,
    http: { requestTimeout: config.httpRequestTimeoutMs, connectionsCheckingInterval: 1000 },
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    genReqId: (req: IncomingMessage) => requestIdFromHeaders(req.headers),
    requestIdHeader: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, logDestination),
    adapter,
    {
      bufferLogs: true,
      logger: new StartupLogger(),
      abortOnError: false,
      // The API takes JSON only: Fastify's own JSON parser stays, and Nest's extra form-urlencoded parser is not
      // registered, so a form post (which a cross-site page can send without a preflight) is a 415.
      bodyParser: false,
    },
  );
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.useWebSocketAdapter(new RealtimeIoAdapter(app, config, app.get(REDIS), app.get(MetricsService)));

  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'metrics', method: RequestMethod.GET },
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(createValidationPipe());
  app.enableCors({
    origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
    credentials: true,
    // Every method the API has (the default is GET, HEAD and POST: a console could not PUT or DELETE), and the
    // answers' headers a browser client reads.
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    exposedHeaders: ['x-request-id', 'retry-after', 'idempotent-replayed'],
  });

  const fastify = app.getHttpAdapter().getInstance();
  await app.register(helmet, {
    // Swagger UI needs its inline assets; everything else keeps helmet's defaults.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  const metrics = app.get(MetricsService);
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Shutting down: each answer closes its connection (see DrainingFastifyAdapter).
    if (adapter.draining) reply.header('connection', 'close');
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.observeHttp(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
  if (config.swaggerEnabled) {
    const doc = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Sectorwars 2102 gameserver')
        .setDescription(
          'REST API. Every success is `{success, data, metrics, timestamp}`; every error is `{error, detail, timestamp}` with a stable code.',
        )
        .setVersion('1')
        .addBearerAuth()
        .addGlobalResponse(
          { status: 400, description: BAD_INPUT, schema: ERROR_BODY_SCHEMA },
          { status: 429, description: RATE_LIMITED, schema: ERROR_BODY_SCHEMA },
          { status: 503, description: UNAVAILABLE, schema: ERROR_BODY_SCHEMA },
        )
        .build(),
      { extraModels: [ErrorBodyDto] },
    );
    openErrorBodySchema(doc);
    SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs/json' });
  }
  return app;
}

/**
 * Listens, or closes the application and throws. Not listening is not running: what started (the embedded
 * database and its lock, pools, timers) is closed, so that the process can exit and a supervisor sees the
 * failure, instead of a process that holds the database and serves nothing. A port in use is a StartupError.
 */
export async function listenOrClose(app: NestFastifyApplication, port: number, host: string): Promise<void> {
  try {
    await app.listen({ port, host });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? new StartupError(
          `${host}:${port} is in use by another process (an old server still running?): stop it, or set PORT ` +
            `(or HOST) to a free one.`,
          { cause: err },
        )
      : err;
  }
}
