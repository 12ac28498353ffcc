/**
 * npm run bench:trading — trades per second and latency of POST /api/v1/trading/trades on real Postgres,
 * against pgbench's tpcb-like TPS on the same server at the same concurrency.
 *
 * 1. Creates sw_bench_trading (the app's) and sw_bench_trading_pgbench (pgbench's) afresh.
 * 2. Starts the built server (node dist/src/main.js) as a child process; it runs the migrations.
 * 3. Seeds players (cargo haulers, deep pockets), Premium Tech stations in sector 1, and signs their tokens.
 * 4. For each concurrency C of BENCH_CONCURRENCY (a comma-separated list): pgbench tpcb-like at C clients,
 *    then trades from C keep-alive connections for BENCH_DURATION s after a warm-up (each connection is one
 *    player session alternating buy and sell of the same lot, each request with its own key), then pgbench
 *    again. The anchor is the mean of the two pgbench runs, which brackets the trade run in time, so a
 *    machine shared with other work shows up as a gap between them instead of skewing the ratio unseen.
 * 5. Checks conservation after each point (credits and units unchanged, nothing negative), stops the server.
 *
 * Environment: BENCH_PG_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres; a socket
 * directory works too: postgres://postgres@%2Fvar%2Frun%2Fpostgresql/postgres, then pgbench uses it as well),
 * BENCH_CONCURRENCY (8; e.g. 1,4,8,16 for a sweep), BENCH_DURATION (20), BENCH_WARMUP (3), BENCH_PLAYERS
 * (200), BENCH_STATIONS (10), BENCH_PORT (a free one), PGBENCH (/usr/lib/postgresql/15/bin/pgbench),
 * BENCH_SERVER_NODE_ARGS (extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
 * BENCH_NODES (1): server processes on one Postgres, as nodes of a cluster, connection w going to node w mod N;
 * with more than one they share BENCH_REDIS_URL (redis://127.0.0.1:6379), as many nodes must.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import {
  BENCH_COMMODITIES,
  createBenchStations,
  freePort,
  percentile,
  processTicks,
  ticksByName,
  TICKS_PER_SECOND,
} from './support.js';

const env = process.env;
const ADMIN_URL = env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CONCURRENCIES = (env.BENCH_CONCURRENCY ?? '8').split(',').map(Number);
if (CONCURRENCIES.some((c) => !Number.isInteger(c) || c < 1))
  throw new Error('BENCH_CONCURRENCY: positive integers');
const SERVER_NODE_ARGS = env.BENCH_SERVER_NODE_ARGS ? env.BENCH_SERVER_NODE_ARGS.split(' ') : [];
const DURATION_S = Number(env.BENCH_DURATION ?? 20);
const WARMUP_S = Number(env.BENCH_WARMUP ?? 3);
const PLAYERS = Number(env.BENCH_PLAYERS ?? 200);
const STATIONS = Number(env.BENCH_STATIONS ?? 10);
const NODES = Number(env.BENCH_NODES ?? 1);
if (!Number.isInteger(NODES) || NODES < 1) throw new Error('BENCH_NODES: a positive integer');
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
// Free ports of our own unless BENCH_PORT says where the first is (other benchmarks may run on this machine).
const BASE_PORT = Number(env.BENCH_PORT ?? 0);
const PGBENCH = env.PGBENCH ?? '/usr/lib/postgresql/15/bin/pgbench';
const APP_DB = 'sw_bench_trading';
const PGBENCH_DB = 'sw_bench_trading_pgbench';
const JWT_SECRET = 'bench-secret-that-is-long-enough-0123456789abcdef';

function dbUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function recreate(name: string): Promise<void> {
  if (!/^sw_bench_[a-z_]+$/.test(name)) throw new Error(`refusing database ${name}`);
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
}

interface Server {
  child: ChildProcess;
  port: number;
}

async function startServer(node: number): Promise<Server> {
  const port = BASE_PORT === 0 ? await freePort() : BASE_PORT + node;
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, 'dist/src/main.js'], {
    env: {
      PATH: env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: dbUrl(APP_DB),
      // One node keeps its rate limits and fan-out in memory; several share them in Redis, as in production.
      ...(NODES > 1 ? { REDIS_URL, REDIS_KEY_PREFIX: `sw_bench_trading_${process.pid}:` } : {}),
      JWT_SECRET,
      DB_POOL_SIZE: String(Math.max(10, Math.max(...CONCURRENCIES) * 2)),
      THROTTLE_LIMIT: '1000000',
      TRADE_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
      SWAGGER_ENABLED: 'false',
      SEED_DEMO: 'false',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (res.ok) return { child, port };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('server did not become ready within 60 s');
}

interface Seeded {
  tokens: string[];
  stations: string[];
}

async function seed(db: pg.Client): Promise<Seeded> {
  const stations = await createBenchStations(db, STATIONS);
  const tokens: string[] = [];
  for (let i = 0; i < PLAYERS; i++) {
    const name = `bench_${i}`;
    const [player] = (
      await db.query(
        `INSERT INTO players (username, email, credits, current_sector, home_sector)
         VALUES ($1, $2, 1000000000000, 1, 1) RETURNING id`,
        [name, `${name}@bench.test`],
      )
    ).rows;
    const [ship] = (
      await db.query(
        `INSERT INTO ships (player_id, name, type, sector_id, capacity) VALUES ($1, $2, 'cargo_hauler', 1, 1000)
         RETURNING id`,
        [player.id, `${name}'s hauler`],
      )
    ).rows;
    await db.query(`UPDATE players SET active_ship_id = $1 WHERE id = $2`, [ship.id, player.id]);
    tokens.push(
      jwt.sign({ sub: randomUUID(), usr: name, role: 'player', pid: player.id }, JWT_SECRET, {
        algorithm: 'HS256',
        issuer: 'sectorwars-gameserver',
        audience: 'sectorwars-clients',
        expiresIn: '2h',
      }),
    );
  }
  return { tokens, stations };
}

async function economy(db: pg.Client): Promise<string> {
  const { rows } = await db.query(
    `SELECT ((SELECT sum(credits) FROM players) + (SELECT sum(treasury) FROM stations))::text AS credits,
            (SELECT sum(stock) FROM station_markets)::text AS stock,
            (SELECT coalesce(sum(cargo_used), 0) FROM ships)::text AS cargo,
            (SELECT count(*) FROM market_transactions)::int AS ledger,
            (SELECT count(*) FROM players WHERE credits < 0)::int AS negative`,
  );
  return JSON.stringify(rows[0]);
}

interface LoadResult {
  trades: number;
  errors: Record<string, number>;
  latencies: number[];
  seconds: number;
}

function post(
  agent: http.Agent,
  port: number,
  path: string,
  token: string,
  key: string,
  body: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'idempotency-key': key,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function drive(servers: Server[], seeded: Seeded, concurrency: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let trades = 0;
  const start = Date.now();
  const measureFrom = start + WARMUP_S * 1000;
  const stopAt = measureFrom + DURATION_S * 1000;
  const worker = async (w: number) => {
    // Connection w plays the players w, w + C, w + 2C, ... in turn; each lot is bought then sold back.
    const port = servers[w % servers.length].port;
    let n = 0;
    while (Date.now() < stopAt) {
      const player = (w + concurrency * Math.floor(n / 2)) % seeded.tokens.length;
      const lot = Math.floor(n / 2);
      const station = seeded.stations[(w + lot) % seeded.stations.length];
      const commodity = BENCH_COMMODITIES[lot % BENCH_COMMODITIES.length];
      const action = n % 2 === 0 ? 'buy' : 'sell';
      const body = JSON.stringify({
        station_id: station,
        commodity,
        action,
        quantity: 5,
        ...(action === 'buy' ? { max_unit_price: 1000 } : { min_unit_price: 0 }),
      });
      const t0 = performance.now();
      const status = await post(
        agent,
        port,
        '/api/v1/trading/trades',
        seeded.tokens[player],
        randomUUID(),
        body,
      );
      const ms = performance.now() - t0;
      const now = Date.now();
      if (now >= measureFrom && now < stopAt) {
        if (status === 201) {
          trades++;
          latencies.push(ms);
        } else errors[status] = (errors[status] ?? 0) + 1;
      }
      n++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  agent.destroy();
  return { trades, errors, latencies, seconds: DURATION_S };
}

function pgbenchInit(scale: number): void {
  const init = spawnSync(PGBENCH, ['-i', '-q', '-s', String(scale), dbUrl(PGBENCH_DB)], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
}

function runPgbench(clients: number): { tps: number; latencyMs: number } {
  const run = spawnSync(
    PGBENCH,
    [
      '-c',
      String(clients),
      '-j',
      String(Math.min(clients, os.cpus().length)),
      '-T',
      String(DURATION_S),
      dbUrl(PGBENCH_DB),
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`pgbench failed: ${run.stderr}`);
  const tps = Number(/tps = ([\d.]+)/.exec(run.stdout)?.[1]);
  const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(run.stdout)?.[1]);
  return { tps, latencyMs };
}

/** The servers' trade_attempts_total counters, summed over the nodes, as `mode/outcome: n`. */
async function tradeAttempts(servers: Server[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { port } of servers) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const m of text.matchAll(/^trade_attempts_total\{mode="(\w+)",outcome="(\w+)"\} (\d+)$/gm))
      out[`${m[1]}/${m[2]}`] = (out[`${m[1]}/${m[2]}`] ?? 0) + Number(m[3]);
  }
  return out;
}

function serverTicks(servers: Server[]): number {
  return servers.reduce((sum, s) => sum + processTicks(s.child.pid!), 0);
}

/** One point: pgbench, the trade load, pgbench again, with CPU shares and the conservation check. */
async function point(servers: Server[], db: pg.Client, seeded: Seeded, concurrency: number) {
  const pgBefore = runPgbench(concurrency);
  const before = await economy(db);
  const serverTicks0 = serverTicks(servers);
  const pgTicks0 = ticksByName('postgres');
  const gen0 = process.cpuUsage();
  const wall0 = performance.now();
  const load = await drive(servers, seeded, concurrency);
  const wallS = (performance.now() - wall0) / 1000;
  const gen = process.cpuUsage(gen0);
  const cpu = {
    server: (serverTicks(servers) - serverTicks0) / TICKS_PER_SECOND / wallS,
    generator: (gen.user + gen.system) / 1e6 / wallS,
    postgres: (ticksByName('postgres') - pgTicks0) / TICKS_PER_SECOND / wallS,
  };
  const after = await economy(db);
  const attempts = await tradeAttempts(servers);
  const pgAfter = runPgbench(concurrency);
  const anchor = (pgBefore.tps + pgAfter.tps) / 2;

  const sorted = [...load.latencies].sort((a, b) => a - b);
  const tradesPerSecond = load.trades / load.seconds;
  const b = JSON.parse(before);
  const a = JSON.parse(after);
  const conserved =
    a.credits === b.credits &&
    a.negative === 0 &&
    BigInt(a.stock) + BigInt(a.cargo) === BigInt(b.stock) + BigInt(b.cargo);
  return {
    concurrency,
    nodes: servers.length,
    duration_s: DURATION_S,
    trades: load.trades,
    trades_per_s: Math.round(tradesPerSecond * 10) / 10,
    latency_ms: {
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted[sorted.length - 1]),
    },
    non_201: load.errors,
    cpu_share_of_one_core: {
      server: round(cpu.server),
      load_generator: round(cpu.generator),
      postgres: round(cpu.postgres),
    },
    cpu_ms_per_trade: {
      server: round((cpu.server * 1000) / tradesPerSecond),
      postgres: round((cpu.postgres * 1000) / tradesPerSecond),
    },
    pgbench_tpcb_like: {
      tps_before: round(pgBefore.tps),
      tps_after: round(pgAfter.tps),
      latency_avg_ms: round((pgBefore.latencyMs + pgAfter.latencyMs) / 2),
    },
    ratio_trades_to_pgbench: round(tradesPerSecond / anchor),
    targets: {
      ratio_at_least_0_5: tradesPerSecond / anchor >= 0.5,
      p95_at_most_25_ms: percentile(sorted, 95) <= 25,
    },
    economy_conserved: conserved,
    ledger_rows: a.ledger - b.ledger,
    /** The server's trade_attempts_total so far (all points), by mode and outcome: how often plans went stale. */
    trade_attempts: attempts,
    load_average: os.loadavg().map(round),
  };
}

async function main(): Promise<void> {
  console.log(
    `bench:trading — concurrency ${CONCURRENCIES.join(', ')}, ${NODES} node(s), ${DURATION_S} s (+${WARMUP_S} s warm-up) each, ${PLAYERS} players, ${STATIONS} stations, ${os.cpus().length} CPUs`,
  );
  await recreate(APP_DB);
  await recreate(PGBENCH_DB);
  pgbenchInit(Math.max(10, ...CONCURRENCIES));
  // The first node runs the migrations; the others start on the migrated schema.
  const servers = [await startServer(0)];
  for (let n = 1; n < NODES; n++) servers.push(await startServer(n));
  const db = new pg.Client({ connectionString: dbUrl(APP_DB) });
  await db.connect();
  const points = [];
  try {
    const seeded = await seed(db);
    for (const c of CONCURRENCIES) {
      const result = await point(servers, db, seeded, c);
      console.log(JSON.stringify(result, null, 2));
      points.push(result);
    }
  } finally {
    await db.end();
    await Promise.all(
      servers.map(({ child }) => {
        child.kill('SIGTERM');
        return new Promise((r) => child.once('exit', r));
      }),
    );
  }
  console.log(
    '\n| concurrency | nodes | trades/s | p50 / p95 / p99 ms | pgbench TPS before / after | ratio | CPU server / generator / postgres (cores) | server / postgres ms per trade |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of points) {
    const c = r.cpu_share_of_one_core;
    console.log(
      `| ${r.concurrency} | ${r.nodes} | ${r.trades_per_s} | ${r.latency_ms.p50} / ${r.latency_ms.p95} / ${r.latency_ms.p99} | ${r.pgbench_tpcb_like.tps_before} / ${r.pgbench_tpcb_like.tps_after} | ${r.ratio_trades_to_pgbench} | ${c.server} / ${c.load_generator} / ${c.postgres} | ${r.cpu_ms_per_trade.server} / ${r.cpu_ms_per_trade.postgres} |`,
    );
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    `bench/results/trading-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
    JSON.stringify(points, null, 2),
  );
  if (points.some((r) => !r.economy_conserved)) {
    console.error('ECONOMY NOT CONSERVED');
    process.exitCode = 1;
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
