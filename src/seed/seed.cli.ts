import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config.js';
import { dataSourceOptions } from '../infrastructure/database/data-source-options.js';
import { EmbeddedPostgres } from '../infrastructure/database/embedded-postgres.js';
import { failStartup } from '../infrastructure/startup-failure.js';
import { Seeder } from './seeder.js';

const USAGE = `usage: npm run seed -- --players N [--sectors S] [--stations N] [--teams N] [--seed K]
  Applies migrations, creates the galaxy once (sectors default 1000), then appends N players with a ship each.
  DATABASE_URL selects Postgres; without it the embedded PGlite under PGLITE_DATA_DIR (stop the server first: one process at a time holds it).`;

function count(name: string, raw: string | undefined, def: number | undefined, min = 0): number | undefined {
  if (raw === undefined) return def;
  const clean = raw.replace(/[_,]/g, '');
  if (!/^\d+$/.test(clean) || Number(clean) < min) {
    console.error(`--${name} must be an integer >= ${min}, got "${raw}"\n${USAGE}`);
    process.exit(2);
  }
  return Number(clean);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      players: { type: 'string' },
      sectors: { type: 'string' },
      stations: { type: 'string' },
      teams: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  let config;
  try {
    // The seeder signs no tokens: a throwaway secret keeps loadConfig's JWT_SECRET rule from blocking it.
    config = loadConfig({ JWT_SECRET: randomBytes(48).toString('base64url'), ...process.env });
  } catch (err) {
    failStartup(err);
  }
  const players = count('players', values.players, 0)!;
  const sectors = count('sectors', values.sectors, 1000, 1);
  const stations = count('stations', values.stations, undefined, 1);
  const teams = count('teams', values.teams, undefined);
  const seed = count('seed', values.seed, 2102);

  const embedded = config.databaseUrl ? null : await EmbeddedPostgres.start(config.pgliteDataDir, 8);
  const url = embedded?.url ?? config.databaseUrl!;
  const dataSource = await new DataSource(dataSourceOptions(url, 4, 'sectorwars-seed')).initialize();
  const started = Date.now();
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
  console.log(
    `Seeding ${config.databaseUrl ? 'Postgres (DATABASE_URL)' : `embedded PGlite in ${config.pgliteDataDir}`}: ` +
      `${players.toLocaleString('en')} players, seed ${seed}`,
  );
  try {
    const report = await new Seeder(dataSource).run({
      players,
      sectors,
      stations,
      teams,
      seed,
      onProgress: (m) => console.log(`${stamp()} ${m}`),
    });
    const c = report.counts;
    const t = report.timingsMs;
    const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      [
        '',
        `Done (${report.method === 'copy' ? 'COPY' : 'batched INSERT'}): added ${report.playersAdded.toLocaleString('en')} players` +
          ` (indexes ${report.firstIndex}..${report.firstIndex + report.playersAdded - 1})` +
          (report.galaxyCreated ? ', created the galaxy' : ''),
        `  counts   sectors ${c.sectors}, stations ${c.stations}, markets ${c.markets}, teams ${c.teams}, planets ${c.planets}, ` +
          `players ${c.players.toLocaleString('en')}, ships ${c.ships.toLocaleString('en')}`,
        `  timings  migrations ${secs(t.migrations)}, galaxy ${secs(t.galaxy)}, drop indexes ${secs(t.dropIndexes)}, ` +
          `load ${secs(t.load)}, index rebuild ${secs(t.indexes)}, analyze+refresh ${secs(t.analyze)}, total ${secs(t.total)}`,
        report.playersAdded > 0 && t.load > 0
          ? `  rate     ${Math.round((report.playersAdded / t.total) * 1000).toLocaleString('en')} players/s overall`
          : '',
      ].join('\n'),
    );
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch(failStartup);
