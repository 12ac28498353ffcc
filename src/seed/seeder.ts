import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import copyStreams from 'pg-copy-streams';
import type { DataSource, QueryRunner } from 'typeorm';
import { runMigrations } from '../infrastructure/database/run-migrations.js';
import {
  generateGalaxy,
  generatePlayer,
  type Galaxy,
  type GeneratedPlayer,
  type PlanetRow,
  type PlayerContext,
} from './galaxy-generator.js';

/** Two seeders (or two nodes seeding the demo) never interleave: the second waits and finds the galaxy. */
const SEED_LOCK_KEY = 2102_0002;
/** The tables whose secondary indexes a large load drops and rebuilds. */
const BULK_TABLES = ['players', 'ships'];

export interface SeedOptions {
  /** Players to append (each with one active ship). */
  players: number;
  /** Galaxy size, used only when the galaxy is created. */
  sectors?: number;
  stations?: number;
  teams?: number;
  seed?: number;
  /** Do nothing at all when the galaxy exists (the demo seed at boot): checked under the seed lock. */
  onlyIfEmpty?: boolean;
  /** Apply pending migrations first (under the migration advisory lock). Default true. */
  runMigrations?: boolean;
  /** COPY FROM STDIN (real Postgres) or batched INSERT ... unnest (PGlite). Default: detected. */
  method?: 'copy' | 'insert';
  /** Players per transaction. Default 25,000 with COPY, 2,000 with INSERT. */
  chunkSize?: number;
  /** From this many players on (COPY only), secondary indexes are dropped before and rebuilt after. */
  dropIndexesFrom?: number;
  /** Large COPY loads skip per-row FK triggers when allowed (superuser). Default true. */
  skipTriggers?: boolean;
  /** Connections that rebuild indexes side by side. Default 2. */
  indexBuildConcurrency?: number;
  now?: Date;
  onProgress?: (message: string) => void;
}

export interface SeedReport {
  method: 'copy' | 'insert';
  galaxyCreated: boolean;
  indexesRebuilt: string[];
  playersAdded: number;
  firstIndex: number;
  counts: {
    sectors: number;
    stations: number;
    markets: number;
    teams: number;
    planets: number;
    players: number;
    ships: number;
  };
  timingsMs: {
    migrations: number;
    galaxy: number;
    dropIndexes: number;
    load: number;
    indexes: number;
    analyze: number;
    total: number;
  };
}

/**
 * Loads a generated galaxy into the database: migrations, the galaxy once (skipped when stations exist),
 * then N more players. Bulk players have no users row (user_id NULL): they fill the admin console but
 * cannot log in.
 */
export class Seeder {
  constructor(private readonly dataSource: DataSource) {}

  async run(options: SeedOptions): Promise<SeedReport> {
    const t0 = performance.now();
    const log = options.onProgress ?? (() => undefined);
    const seed = options.seed ?? 2102;
    const now = options.now ?? new Date();
    const timings = { migrations: 0, galaxy: 0, dropIndexes: 0, load: 0, indexes: 0, analyze: 0, total: 0 };
    const lap = (start: number) => Math.round(performance.now() - start);

    let t = performance.now();
    if (options.runMigrations !== false) {
      const applied = await runMigrations(this.dataSource);
      if (applied.length) log(`applied migrations: ${applied.join(', ')}`);
    }
    timings.migrations = lap(t);

    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      // The app's pool caps statements at 30 s; an index build over a million rows may take longer.
      await client.query(`SET statement_timeout = 0`);
      await client.query('SELECT pg_advisory_lock($1)', [SEED_LOCK_KEY]);
      const method = options.method ?? ((await isEmbedded(client)) ? 'insert' : 'copy');

      // An earlier load that died between dropping and rebuilding indexes left their definitions behind.
      t = performance.now();
      const restored = await this.restoreIndexes(client, options.indexBuildConcurrency ?? 2, log);
      timings.indexes += lap(t);

      t = performance.now();
      let galaxyCreated = false;
      const [{ n: stationCount }] = (await client.query(`SELECT count(*)::int AS n FROM stations`)).rows;
      if (stationCount === 0) {
        const galaxy = generateGalaxy({
          seed,
          sectors: options.sectors ?? 1000,
          stations: options.stations,
          teams: options.teams,
          now,
        });
        await insertGalaxy(client, galaxy);
        galaxyCreated = true;
        log(
          `galaxy created: ${galaxy.sectors.length} sectors, ${galaxy.stations.length} stations, ` +
            `${galaxy.markets.length} markets, ${galaxy.teams.length} teams, ${galaxy.planets.length} planets`,
        );
      } else {
        log(
          `galaxy exists (${stationCount} stations): ${options.onlyIfEmpty ? 'nothing to do' : 'appending players only'}`,
        );
      }
      timings.galaxy = lap(t);

      const players = !galaxyCreated && options.onlyIfEmpty ? 0 : Math.max(0, Math.floor(options.players));
      const ctx = await this.playerContext(client, seed, now);
      // The run reserves its index range up front, so a later run (or an interrupted one) never reuses it.
      const [{ id: runId, first }] =
        players > 0
          ? ((
              await client.query(
                `INSERT INTO seed_runs (seed, first_index, players)
                 SELECT $1, coalesce(max(first_index + players), 0), $2 FROM seed_runs
                 RETURNING id, first_index::float8 AS first`,
                [seed, players],
              )
            ).rows as { id: string; first: number }[])
          : [{ id: null, first: 0 }];

      const dropIndexes = method === 'copy' && players >= (options.dropIndexesFrom ?? 50_000);
      t = performance.now();
      if (dropIndexes) {
        const dropped = await dropSecondaryIndexes(client);
        log(
          `dropped ${dropped.length} secondary indexes for the load (definitions kept in seed_index_backup)`,
        );
      }
      timings.dropIndexes = lap(t);

      // Skipping per-row FK triggers (pg_restore's --disable-triggers) roughly halves a large COPY: the
      // generator only references sectors, teams, players and ships it knows exist. Needs superuser;
      // without it the load simply keeps its triggers.
      const skipTriggers = dropIndexes && options.skipTriggers !== false && (await trySkipTriggers(client));
      if (skipTriggers) log('foreign-key triggers skipped for the load (session_replication_role = replica)');
      t = performance.now();
      const chunkSize = options.chunkSize ?? (method === 'copy' ? 25_000 : 2_000);
      for (let done = 0; done < players;) {
        const n = Math.min(chunkSize, players - done);
        const chunk: GeneratedPlayer[] = new Array(n);
        for (let i = 0; i < n; i++) chunk[i] = generatePlayer(ctx, first + done + i);
        await (method === 'copy' ? copyChunk(client, chunk) : insertChunk(client, chunk));
        done += n;
        if (players >= 10_000) {
          const secs = (performance.now() - t) / 1000;
          log(
            `players ${done.toLocaleString('en')} / ${players.toLocaleString('en')} (${Math.round(done / secs).toLocaleString('en')}/s)`,
          );
        }
      }
      timings.load = lap(t);
      if (skipTriggers) await client.query(`RESET session_replication_role`);

      t = performance.now();
      const rebuilt = dropIndexes
        ? await this.restoreIndexes(client, options.indexBuildConcurrency ?? 2, log)
        : [];
      timings.indexes += lap(t);

      t = performance.now();
      if (players > 0 || galaxyCreated) {
        // VACUUM, not just ANALYZE: it sets the visibility map, so counts and sorts can use index-only scans
        // right away instead of after autovacuum gets round to a freshly loaded table.
        for (const table of ['players', 'ships', 'planets']) await client.query(`VACUUM (ANALYZE) ${table}`);
        if (galaxyCreated) {
          for (const table of ['sectors', 'stations', 'station_markets', 'teams'])
            await client.query(`ANALYZE ${table}`);
        }
        await client.query(`REFRESH MATERIALIZED VIEW player_analytics_summary`);
      }
      timings.analyze = lap(t);
      if (runId !== null)
        await client.query(`UPDATE seed_runs SET finished_at = now() WHERE id = $1`, [runId]);

      const counts = (
        await client.query(
          `SELECT (SELECT count(*) FROM sectors)::int AS sectors, (SELECT count(*) FROM stations)::int AS stations,
                  (SELECT count(*) FROM station_markets)::int AS markets, (SELECT count(*) FROM teams)::int AS teams,
                  (SELECT count(*) FROM planets)::int AS planets, (SELECT count(*) FROM players)::int AS players,
                  (SELECT count(*) FROM ships)::int AS ships`,
        )
      ).rows[0];
      timings.total = lap(t0);
      return {
        method,
        galaxyCreated,
        indexesRebuilt: [...restored, ...rebuilt],
        playersAdded: players,
        firstIndex: first,
        counts,
        timingsMs: timings,
      };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SEED_LOCK_KEY]).catch(() => undefined);
      await client.query('RESET statement_timeout; RESET session_replication_role').catch(() => undefined);
      await runner.release();
    }
  }

  /** The galaxy as the players see it: contiguous sectors 1..S and the teams, in a stable order. */
  private async playerContext(client: PoolClient, seed: number, now: Date): Promise<PlayerContext> {
    // The first gap ends the usable range (tests may add stray sectors far away).
    const [{ s }] = (
      await client.query(
        `SELECT coalesce((SELECT min(g) - 1 FROM generate_series(1, m) g WHERE NOT EXISTS
                  (SELECT 1 FROM sectors x WHERE x.id = g)), m)::int AS s
         FROM (SELECT coalesce(max(id), 1) AS m FROM sectors) mx`,
      )
    ).rows;
    const teams = (await client.query(`SELECT id FROM teams ORDER BY created_at, id`)).rows as {
      id: string;
    }[];
    return { seed, sectorCount: Math.max(1, s), teamIds: teams.map((r) => r.id), now };
  }

  /**
   * Recreates every index recorded in seed_index_backup that does not exist, then forgets it. Each build runs
   * on its own connection with a large maintenance_work_mem, `concurrency` at a time.
   */
  private async restoreIndexes(
    client: PoolClient,
    concurrency: number,
    log: (m: string) => void,
  ): Promise<string[]> {
    // On the held connection: the embedded pool has only that one.
    const pending = (
      await client.query(
        `SELECT b.index_name, b.indexdef, to_regclass(quote_ident(b.index_name)) IS NOT NULL AS present
       FROM seed_index_backup b ORDER BY (b.indexdef ILIKE '%gin%') DESC, b.index_name`,
      )
    ).rows as { index_name: string; indexdef: string; present: boolean }[];
    if (pending.length === 0) return [];
    const queue = [...pending];
    const built: string[] = [];
    // A single-connection pool (embedded) rebuilds on the connection the seeder holds, one index at a time.
    const singleConnection =
      ((this.dataSource.options as { extra?: { max?: number } }).extra?.max ?? 10) <= 1;
    const rebuildOn = async (run: (sql: string, params?: unknown[]) => Promise<unknown>) => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const t = performance.now();
        if (!job.present) await run(job.indexdef);
        await run(`DELETE FROM seed_index_backup WHERE index_name = $1`, [job.index_name]);
        built.push(job.index_name);
        log(
          `index ${job.index_name} ${job.present ? 'already present' : `built in ${Math.round(performance.now() - t)} ms`}`,
        );
      }
    };
    if (singleConnection) {
      await rebuildOn((sql, params) => client.query(sql, params));
      return built;
    }
    const worker = async () => {
      const runner: QueryRunner = this.dataSource.createQueryRunner();
      try {
        await runner.query(`SET statement_timeout = 0`);
        await runner.query(`SET maintenance_work_mem = '512MB'`);
        for (let job = queue.shift(); job; job = queue.shift()) {
          const t = performance.now();
          if (!job.present) await runner.query(job.indexdef);
          await runner.query(`DELETE FROM seed_index_backup WHERE index_name = $1`, [job.index_name]);
          built.push(job.index_name);
          log(
            `index ${job.index_name} ${job.present ? 'already present' : `built in ${Math.round(performance.now() - t)} ms`}`,
          );
        }
      } finally {
        await runner.query('RESET statement_timeout; RESET maintenance_work_mem').catch(() => undefined);
        await runner.release();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, pending.length)) }, worker));
    return built;
  }
}

async function trySkipTriggers(client: PoolClient): Promise<boolean> {
  try {
    await client.query(`SET session_replication_role = replica`);
    return true;
  } catch {
    return false; // not a superuser
  }
}

/** PGlite reports itself in version(); COPY over its socket is not something to rely on. */
async function isEmbedded(client: PoolClient): Promise<boolean> {
  const [{ version }] = (await client.query(`SELECT version()`)).rows;
  return /PGlite|emscripten|wasm/i.test(version);
}

/**
 * Records, then drops, the secondary indexes of players and ships (not those behind a primary key or a
 * unique constraint), in one transaction: a crash leaves either both or neither.
 */
async function dropSecondaryIndexes(client: PoolClient): Promise<string[]> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query(
      `INSERT INTO seed_index_backup (index_name, table_name, indexdef)
       SELECT i.indexname, i.tablename, i.indexdef
       FROM pg_indexes i
       JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = i.schemaname::regnamespace
       WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)
       ON CONFLICT (index_name) DO NOTHING
       RETURNING index_name`,
      [BULK_TABLES],
    );
    for (const { index_name } of rows) await client.query(`DROP INDEX ${quoteIdent(index_name)}`);
    await client.query('COMMIT');
    return rows.map((r: { index_name: string }) => r.index_name);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function inTx(client: PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The galaxy is small (thousands of rows): batched INSERT ... unnest works the same on both databases. */
async function insertGalaxy(client: PoolClient, g: Galaxy): Promise<void> {
  await inTx(client, async () => {
    for (const part of batches(g.sectors, 5000)) {
      // Sector 1 (Sol) and any sector added by hand keep their names; they get the generated warps.
      await client.query(
        `INSERT INTO sectors (id, name, region, warps)
         SELECT id, name, region, warps::integer[] FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])
           AS u(id, name, region, warps)
         ON CONFLICT (id) DO UPDATE SET warps = EXCLUDED.warps`,
        [
          part.map((s) => s.id),
          part.map((s) => s.name),
          part.map((s) => s.region),
          part.map((s) => `{${s.warps.join(',')}}`),
        ],
      );
    }
    await client.query(
      `INSERT INTO teams (id, name, tag, created_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])
       ON CONFLICT (name) DO NOTHING`,
      [
        g.teams.map((x) => x.id),
        g.teams.map((x) => x.name),
        g.teams.map((x) => x.tag),
        g.teams.map((x) => x.createdAt),
      ],
    );
    for (const part of batches(g.stations, 5000)) {
      await client.query(
        `INSERT INTO stations (id, sector_id, name, class, treasury)
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::smallint[], $5::bigint[])`,
        [
          part.map((s) => s.id),
          part.map((s) => s.sectorId),
          part.map((s) => s.name),
          part.map((s) => s.class),
          part.map((s) => s.treasury),
        ],
      );
    }
    for (const part of batches(g.markets, 5000)) {
      await client.query(
        `INSERT INTO station_markets (station_id, commodity, stock, capacity, buys, sells, production_rate, buy_price, sell_price)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::bool[], $6::bool[], $7::real[], $8::int[], $9::int[])`,
        [
          part.map((m) => m.stationId),
          part.map((m) => m.commodity),
          part.map((m) => m.stock),
          part.map((m) => m.capacity),
          part.map((m) => m.buys),
          part.map((m) => m.sells),
          part.map((m) => m.productionRate),
          part.map((m) => m.buyPrice),
          part.map((m) => m.sellPrice),
        ],
      );
    }
    await insertPlanets(client, g.planets);
  });
}

async function insertPlanets(client: PoolClient, planets: PlanetRow[]): Promise<void> {
  for (const part of batches(planets, 5000)) {
    await client.query(
      `INSERT INTO planets (id, sector_id, owner_id, name, type, population, created_at)
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::text[], $5::text[], $6::bigint[], $7::timestamptz[])`,
      [
        part.map((p) => p.id),
        part.map((p) => p.sectorId),
        part.map((p) => p.ownerId),
        part.map((p) => p.name),
        part.map((p) => p.type),
        part.map((p) => p.population),
        part.map((p) => p.createdAt),
      ],
    );
  }
}

function* batches<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

const updatedAt = (p: GeneratedPlayer['player']) =>
  p.lastLogin && p.lastLogin > p.createdAt ? p.lastLogin : p.createdAt;

/** Embedded path: one transaction a chunk, players then ships (active_ship_id's FK is deferred to commit). */
async function insertChunk(client: PoolClient, chunk: GeneratedPlayer[]): Promise<void> {
  await inTx(client, async () => {
    for (const part of batches(chunk, 1000)) {
      const p = part.map((g) => g.player);
      await client.query(
        `INSERT INTO players (id, username, email, credits, turns, status, ban_until, ban_reason, team_id,
           current_sector, home_sector, active_ship_id, activity_score, risk_score, aria_trust_level, last_login,
           created_at, updated_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::text[],
           $7::timestamptz[], $8::text[], $9::uuid[], $10::int[], $11::int[], $12::uuid[], $13::int[], $14::int[],
           $15::real[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[])`,
        [
          p.map((x) => x.id),
          p.map((x) => x.username),
          p.map((x) => x.email),
          p.map((x) => x.credits),
          p.map((x) => x.turns),
          p.map((x) => x.status),
          p.map((x) => x.banUntil),
          p.map((x) => x.banReason),
          p.map((x) => x.teamId),
          p.map((x) => x.currentSector),
          p.map((x) => x.homeSector),
          p.map((x) => x.activeShipId),
          p.map((x) => x.activityScore),
          p.map((x) => x.riskScore),
          p.map((x) => x.ariaTrustLevel),
          p.map((x) => x.lastLogin),
          p.map((x) => x.createdAt),
          p.map(updatedAt),
        ],
      );
      const s = part.map((g) => g.ship);
      await client.query(
        `INSERT INTO ships (id, player_id, name, type, sector_id, capacity, cargo, cargo_used, hull, created_at, updated_at)
         SELECT id, player_id, name, type, sector_id, capacity, cargo::jsonb, cargo_used, hull, created_at, created_at
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[], $8::int[],
           $9::int[], $10::timestamptz[]) AS u(id, player_id, name, type, sector_id, capacity, cargo, cargo_used, hull, created_at)`,
        [
          s.map((x) => x.id),
          s.map((x) => x.playerId),
          s.map((x) => x.name),
          s.map((x) => x.type),
          s.map((x) => x.sectorId),
          s.map((x) => x.capacity),
          s.map((x) => JSON.stringify(x.cargo)),
          s.map((x) => x.cargoUsed),
          s.map((x) => x.hull),
          s.map((x) => x.createdAt),
        ],
      );
      await insertPlanets(
        client,
        part.flatMap((g) => (g.planet ? [g.planet] : [])),
      );
    }
  });
}

// --- COPY (real Postgres) --------------------------------------------------------------------------------

const NULL = '\\N';
/** COPY text format: backslash, tab, newline and carriage return must be escaped in text fields. */
function text(v: string | null): string {
  if (v === null) return NULL;
  return /[\\\t\n\r]/.test(v)
    ? v.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
    : v;
}

function playerLine(g: GeneratedPlayer): string {
  const p = g.player;
  return `${p.id}\t${text(p.username)}\t${text(p.email)}\t${p.credits}\t${p.turns}\t${p.status}\t${p.banUntil ?? NULL}\t${text(p.banReason)}\t${p.teamId ?? NULL}\t${p.currentSector}\t${p.homeSector}\t${p.activeShipId}\t${p.activityScore}\t${p.riskScore}\t${p.ariaTrustLevel}\t${p.lastLogin ?? NULL}\t${p.createdAt}\t${updatedAt(p)}\n`;
}

function shipLine(g: GeneratedPlayer): string {
  const s = g.ship;
  return `${s.id}\t${s.playerId}\t${text(s.name)}\t${s.type}\t${s.sectorId}\t${s.capacity}\t${text(JSON.stringify(s.cargo))}\t${s.cargoUsed}\t${s.hull}\t${s.createdAt}\t${s.createdAt}\n`;
}

function planetLine(p: PlanetRow): string {
  return `${p.id}\t${p.sectorId}\t${p.ownerId ?? NULL}\t${text(p.name)}\t${text(p.type)}\t${p.population}\t${p.createdAt}\n`;
}

/** Rows as text, a few hundred lines per write so the stream is not flooded with tiny chunks. */
function* lines<T>(items: T[], format: (item: T) => string): Generator<string> {
  for (let i = 0; i < items.length; i += 500) {
    let out = '';
    const end = Math.min(items.length, i + 500);
    for (let j = i; j < end; j++) out += format(items[j]!);
    yield out;
  }
}

async function copy(client: PoolClient, sql: string, data: Iterable<string>): Promise<void> {
  const stream = client.query(copyStreams.from(sql));
  await pipeline(Readable.from(data, { objectMode: false }), stream);
}

/** Real Postgres path: one transaction a chunk, COPY players then ships then planets. */
async function copyChunk(client: PoolClient, chunk: GeneratedPlayer[]): Promise<void> {
  await inTx(client, async () => {
    await copy(
      client,
      `COPY players (id, username, email, credits, turns, status, ban_until, ban_reason, team_id, current_sector,
         home_sector, active_ship_id, activity_score, risk_score, aria_trust_level, last_login, created_at, updated_at)
       FROM STDIN`,
      lines(chunk, playerLine),
    );
    await copy(
      client,
      `COPY ships (id, player_id, name, type, sector_id, capacity, cargo, cargo_used, hull, created_at, updated_at) FROM STDIN`,
      lines(chunk, shipLine),
    );
    const planets = chunk.flatMap((g) => (g.planet ? [g.planet] : []));
    if (planets.length > 0) {
      await copy(
        client,
        `COPY planets (id, sector_id, owner_id, name, type, population, created_at) FROM STDIN`,
        lines(planets, planetLine),
      );
    }
  });
}
