import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from './config/app-config.js';
import { createApp, listenOrClose } from './bootstrap.js';
import { outageCause } from './infrastructure/database/database-errors.js';
import { failStartup } from './infrastructure/startup-failure.js';
import { SeedAdminService } from './modules/auth/seed-admin.service.js';
import { DemoGalaxyService } from './seed/demo-galaxy.service.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const app = await createApp(config);
  // Log a stray rejection instead of letting Node end the process (its default), which would drop every
  // player on this node. The known sources, @socket.io/redis-streams-adapter 0.3.1's unawaited PUBLISH and
  // session SET during a Redis outage and ioredis' unawaited re-subscribe when the node closes as Redis comes
  // back, are handled where the adapter gets its client (realtime-io.adapter.ts); this is the net for whatever
  // a dependency does next. Nothing of ours is left unhandled on purpose.
  const logger = new Logger('Process');
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'Unhandled promise rejection; the server keeps running');
  });
  await listenOrClose(app, config.port, config.host);

  // The node is serving by now: a banner that cannot be read (a database blip, a pool with no free
  // connection as every client reconnects after a deploy) must not end it.
  const demo = await app
    .get(DemoGalaxyService)
    .summary()
    .catch((err: unknown) => {
      logger.warn({ cause: outageCause(err) }, 'Could not read the galaxy summary for the start banner');
      return undefined;
    });
  const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
  const base = `http://${shownHost}:${config.port}`;
  const lines = [
    '',
    `Sectorwars 2102 gameserver is up on ${base}`,
    `  API      ${base}/api/v1   (Swagger UI: ${base}/docs)`,
    `  Database ${config.databaseUrl ? 'Postgres (DATABASE_URL)' : `embedded PGlite in ${config.pgliteDataDir}`}`,
    `  Redis    ${config.redisUrl ? 'REDIS_URL' : 'not configured (in-memory cache, rate limits and Socket.IO)'}`,
  ];
  if (demo)
    lines.push(`  Galaxy   ${demo.sectors} sectors, ${demo.stations} stations, ${demo.players} players`);
  const generated = app.get(SeedAdminService).generatedCredentials;
  if (generated) {
    lines.push(
      `  Log in as superadmin: username "${generated.username}", password "${generated.password}" (shown once)`,
      `    curl -s ${base}/api/v1/auth/login -H 'content-type: application/json' \\`,
      `      -d '{"username":"${generated.username}","password":"${generated.password}"}'`,
    );
  } else if (config.seedAdminUsername) {
    lines.push(`  Log in as superadmin "${config.seedAdminUsername}" with SEED_ADMIN_PASSWORD`);
  } else {
    lines.push(
      '  Log in with your existing accounts (the demo superadmin "admin" keeps the password printed at its first start)',
    );
  }
  if (demo) lines.push(`  Demo players: ${demo.demoPlayerHint}`);
  if (config.jwtSecretGenerated)
    lines.push('  JWT_SECRET not set: a random one was generated; tokens end with this process.');
  console.log(lines.join('\n') + '\n');
}

// A failure to start (configuration, the embedded database, the port, ...) ends the process with status 1.
main().catch(failStartup);
