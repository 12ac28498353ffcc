/**
 * npm run bench:players — the admin players endpoints at 1,000,000 players on the machine's real Postgres.
 *
 * Seeds BENCH_DATABASE_URL up to 1,000,000 players when needed (reporting the seeding time), starts the
 * server as a child process, logs in as the seeded superadmin, then drives with autocannon (32 connections,
 * pipelining 1, fixed duration):
 *   (a) a fixed mix of common /admin/players/enhanced filter URLs, and
 *   (b) /admin/players/{id}/detailed over random ids.
 * Reports requests/s, HTTP p50/p95/p99, query_time_ms p50/p95/p99 (from the response bodies: the time the
 * request's statements ran on a connection, without the wait for one), errors and non-2xx, and the CPU used by
 * the load generator, the server and Postgres. Writes JSON to bench/results/.
 * Env: BENCH_DATABASE_URL, BENCH_DURATION_SECONDS (20), BENCH_CONNECTIONS (32), BENCH_DB_POOL_SIZE (the
 * server's default, 10), BENCH_SERVER_NODE_ARGS.
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/infrastructure/database/data-source-options.js';
import { encodeCursor } from '../src/modules/players/domain/player-filters.js';
import { Seeder } from '../src/seed/seeder.js';
import {
  freePort,
  histogramBetween,
  machineTicks,
  percentile,
  processTicks,
  scrapeHistogram,
} from './support.js';

const TARGET_PLAYERS = 1_000_000;
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sw_bench_players';
const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** The server's pool: its default (10) unless BENCH_DB_POOL_SIZE is set. */
const POOL = process.env.BENCH_DB_POOL_SIZE ?? '10';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLK_TCK = 100; // Linux USER_HZ
const DB_NAME = new URL(DB_URL).pathname.slice(1);

interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}
interface ScenarioResult {
  scenario: string;
  requests: number;
  requests_per_s: number;
  http_ms: Percentiles & { mean: number; max: number };
  query_time_ms: Percentiles & { samples: number };
  /** The server's db_pool_wait_seconds over the scenario: each connection checkout's wait, in ms. */
  pool_wait_ms: Percentiles & { checkouts: number; mean: number };
  errors: number;
  timeouts: number;
  non_2xx: number;
  cache_hit_share: number;
  cpu: {
    generator_pct_of_core: number;
    server_pct_of_core: number;
    postgres_pct_of_core: number;
    /** Everything else on the machine (other users of the shared cores), % of a core. */
    others_pct_of_core: number;
    machine_busy_pct: number;
  };
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(percentile(sorted, 50)), p95: r(percentile(sorted, 95)), p99: r(percentile(sorted, 99)) };
}

// --- CPU accounting from /proc -------------------------------------------------------------------------
/** CPU ticks of each Postgres backend serving our database (its process title names the database). */
function postgresBackends(database: string): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (title.startsWith('postgres:') && title.includes(` ${database} `))
        ticks.set(Number(entry), processTicks(Number(entry)));
    } catch {
      // the process ended while we looked
    }
  }
  return ticks;
}

/**
 * Our database's backends' CPU over a window. Sampled every 250 ms, because a backend that exits takes its
 * ticks with it; backends first seen mid-window count from zero.
 */
function postgresSampler(database: string): () => number {
  const first = postgresBackends(database);
  const last = new Map(first);
  const timer = setInterval(() => {
    for (const [pid, t] of postgresBackends(database)) last.set(pid, t);
  }, 250);
  return () => {
    clearInterval(timer);
    for (const [pid, t] of postgresBackends(database)) last.set(pid, t);
    let total = 0;
    for (const [pid, t] of last) total += t - (first.get(pid) ?? 0);
    return total;
  };
}
function cpuProbe(serverPid: number) {
  const start = {
    gen: process.cpuUsage(),
    server: processTicks(serverPid),
    pg: postgresSampler(DB_NAME),
    machine: machineTicks(),
    wall: performance.now(),
  };
  return () => {
    const wallS = (performance.now() - start.wall) / 1000;
    const gen = process.cpuUsage(start.gen);
    const machine = machineTicks();
    const pct = (seconds: number) => Math.round((seconds / wallS) * 1000) / 10;
    const generator = pct((gen.user + gen.system) / 1e6);
    const server = pct((processTicks(serverPid) - start.server) / CLK_TCK);
    const postgres = pct(start.pg() / CLK_TCK);
    const busyShare = (machine.busy - start.machine.busy) / (machine.total - start.machine.total);
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      generator_pct_of_core: generator,
      server_pct_of_core: server,
      postgres_pct_of_core: postgres,
      others_pct_of_core: round(Math.max(0, busyShare * cpus().length * 100 - generator - server - postgres)),
      machine_busy_pct: round(busyShare * 100),
    };
  };
}

// --- database and server ---------------------------------------------------------------------------------
async function ensureDatabase(): Promise<void> {
  const url = new URL(DB_URL);
  const name = url.pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`refusing database name ${name}`);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]);
  if (!rowCount) {
    await admin.query(`CREATE DATABASE ${name}`);
    console.log(`created database ${name}`);
  }
  await admin.end();
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/health/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('server not ready within 120 s');
}

// --- load ------------------------------------------------------------------------------------------------
async function runScenario(
  name: string,
  base: string,
  token: string,
  nextPath: () => string,
  duration: number,
  serverPid: number,
): Promise<ScenarioResult> {
  const latencies: number[] = [];
  const queryTimes: number[] = [];
  let cacheHits = 0;
  let bodies = 0;
  const waitsBefore = await scrapeHistogram(base, 'db_pool_wait_seconds');
  const probe = cpuProbe(serverPid);
  const instance = autocannon({
    url: base,
    connections: CONNECTIONS,
    pipelining: 1,
    duration,
    timeout: 10,
    headers: { authorization: `Bearer ${token}` },
    requests: [
      {
        method: 'GET',
        setupRequest: (req: Record<string, unknown>) => ({ ...req, path: nextPath() }),
        onResponse: (status: number, body: string) => {
          bodies++;
          const m = /"query_time_ms":([\d.]+)/.exec(body);
          if (m) queryTimes.push(Number(m[1]));
          if (body.includes('"cache_hit":true')) cacheHits++;
          void status;
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  const cpu = probe();
  const { count: checkouts, ...waits } = histogramBetween(
    waitsBefore,
    await scrapeHistogram(base, 'db_pool_wait_seconds'),
  );
  const pool_wait_ms = { checkouts, ...waits };
  const http = percentiles(latencies);
  return {
    scenario: name,
    requests: result.requests.total,
    requests_per_s: Math.round(result.requests.total / result.duration),
    http_ms: {
      ...http,
      mean: Math.round(result.latency.mean * 100) / 100,
      max: result.latency.max,
    },
    query_time_ms: { ...percentiles(queryTimes), samples: queryTimes.length },
    pool_wait_ms,
    errors: result.errors,
    timeouts: result.timeouts,
    non_2xx: result.non2xx,
    cache_hit_share: bodies ? Math.round((cacheHits / bodies) * 1000) / 1000 : 0,
    cpu,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  await ensureDatabase();

  // 1. Seed up to a million players (the galaxy once).
  const ds = await new DataSource(dataSourceOptions(DB_URL, 4, 'sectorwars-bench')).initialize();
  let seeding: Record<string, unknown> = { skipped: true };
  const existing = await ds
    .query(`SELECT count(*)::int AS n FROM players`)
    .then((r) => r[0].n as number)
    .catch(() => 0);
  if (existing < TARGET_PLAYERS) {
    console.log(
      `seeding ${(TARGET_PLAYERS - existing).toLocaleString('en')} players (have ${existing.toLocaleString('en')})`,
    );
    const t = performance.now();
    const report = await new Seeder(ds).run({
      players: TARGET_PLAYERS - existing,
      sectors: 1000,
      onProgress: (m) => console.log(`  ${m}`),
    });
    seeding = { seconds: Math.round(performance.now() - t) / 1000, ...report };
    console.log(`seeded in ${(seeding.seconds as number).toFixed(1)} s`);
  } else {
    console.log(`database already holds ${existing.toLocaleString('en')} players: seeding skipped`);
  }

  // 2. Fixtures for the URL mix, straight from the database.
  await ds.query(`SET TimeZone = 'UTC'`);
  const [bigTeam] = await ds.query(
    `SELECT team_id AS id FROM players WHERE team_id IS NOT NULL GROUP BY team_id ORDER BY count(*) DESC LIMIT 1`,
  );
  const [smallTeam] = await ds.query(
    `SELECT team_id AS id FROM players WHERE team_id IS NOT NULL GROUP BY team_id ORDER BY count(*) ASC LIMIT 1`,
  );
  const [deepCreated] = await ds.query(
    `SELECT created_at::text AS value, id FROM players ORDER BY created_at DESC, id DESC OFFSET 500000 LIMIT 1`,
  );
  const [deepCredits] = await ds.query(
    `SELECT credits::text AS value, id FROM players ORDER BY credits DESC, id DESC OFFSET 250000 LIMIT 1`,
  );
  const [someone] = await ds.query(`SELECT id, username FROM players ORDER BY id LIMIT 1 OFFSET 123456`);
  const ids: string[] = (await ds.query(`SELECT id FROM players TABLESAMPLE SYSTEM (2) LIMIT 20000`)).map(
    (r: { id: string }) => r.id,
  );
  await ds.destroy();

  const iso = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString();
  const P = '/api/v1/admin/players/enhanced';
  const mix: [string, string][] = [
    ['default page', `${P}`],
    ['status=banned', `${P}?status=banned`],
    ['status=frozen sort=last_login', `${P}?status=frozen&sort=last_login:desc`],
    ['credits range sort=credits:desc', `${P}?min_credits=50000&max_credits=200000&sort=credits:desc`],
    ['rich sort=credits:desc', `${P}?min_credits=1000000&sort=credits:desc&limit=50`],
    ['active sort=credits:desc', `${P}?status=active&sort=credits:desc`],
    ['search substring (common)', `${P}?search=rider`],
    ['search substring (rare)', `${P}?search=${encodeURIComponent(someone.username.slice(0, -2))}`],
    ['search exact id', `${P}?search=${someone.id}`],
    ['last_login last 24h', `${P}?last_login_after=${iso(1)}&sort=last_login:desc`],
    ['last_login 60-90 days ago', `${P}?last_login_after=${iso(90)}&last_login_before=${iso(60)}`],
    ['created last 30 days', `${P}?created_after=${iso(30)}&sort=created_at:desc`],
    ['team (largest)', `${P}?team_id=${bigTeam.id}`],
    ['team (smallest) sort=username', `${P}?team_id=${smallTeam.id}&sort=username:asc`],
    ['risk >= 80 sort=risk', `${P}?min_risk=80&sort=risk_score:desc`],
    ['activity >= 90 sort=activity', `${P}?min_activity=90&sort=activity_score:desc`],
    ['sector 1 (crowded)', `${P}?sector=1`],
    ['sector 517', `${P}?sector=517`],
    [
      'deep cursor created_at:desc',
      `${P}?cursor=${encodeCursor({ field: 'created_at', direction: 'desc' }, deepCreated)}`,
    ],
    [
      'deep cursor credits:desc',
      `${P}?sort=credits:desc&cursor=${encodeCursor({ field: 'credits', direction: 'desc' }, deepCredits)}`,
    ],
    [
      'combined: active+team+credits+risk',
      `${P}?status=active&team_id=${bigTeam.id}&min_credits=20000&max_risk=30&sort=credits:desc`,
    ],
    [
      'combined: recent+activity+search',
      `${P}?last_login_after=${iso(7)}&min_activity=50&search=nova&sort=last_login:desc`,
    ],
    ['page 40 sort=username', `${P}?sort=username:asc&page=40&limit=25`],
  ];

  // 3. The server, as a user runs it.
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const adminUser = 'bench_admin';
  const adminPassword = randomBytes(18).toString('base64url');
  // BENCH_SERVER_NODE_ARGS (e.g. "--prof") goes to the server's node only, for profiling a run.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const server = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/src/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: DB_URL,
      JWT_SECRET: randomBytes(48).toString('base64url'),
      JWT_ACCESS_TTL_SECONDS: '3600',
      SEED_ADMIN_USERNAME: adminUser,
      SEED_ADMIN_PASSWORD: adminPassword,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      THROTTLE_LIMIT: '1000000',
      DB_POOL_SIZE: POOL,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const results: ScenarioResult[] = [];
  const perUrl: {
    name: string;
    http_ms: Percentiles;
    query_time_ms: Percentiles;
    count_estimated: boolean;
    total: number;
  }[] = [];
  try {
    await waitReady(base, server);
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: adminUser, password: adminPassword }),
    });
    if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const token = ((await login.json()) as { data: { access_token: string } }).data.access_token;

    // Each URL alone first (sequential): checks it answers 200 and shows which filter is slow, if any.
    for (const [name, path] of mix) {
      const http: number[] = [];
      const query: number[] = [];
      let body: {
        data?: { total_count: number; total_count_estimated: boolean };
        metrics?: { query_time_ms: number };
      } = {};
      for (let i = 0; i < 15; i++) {
        const t = performance.now();
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        body = (await res.json()) as typeof body;
        http.push(performance.now() - t);
        if (!res.ok) throw new Error(`${name}: HTTP ${res.status} ${JSON.stringify(body)}`);
        query.push(body.metrics!.query_time_ms);
      }
      perUrl.push({
        name,
        http_ms: percentiles(http.slice(5)),
        query_time_ms: percentiles(query.slice(5)),
        total: body.data!.total_count,
        count_estimated: body.data!.total_count_estimated,
      });
    }
    console.log('\nEach /players/enhanced URL alone (sequential, after 5 warm-up requests, 10 samples):\n');
    console.log('| URL | total_count | HTTP p50 ms | query_time p50 ms | query_time max-ish (p95) ms |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const u of perUrl) {
      console.log(
        `| ${u.name} | ${u.total.toLocaleString('en')}${u.count_estimated ? ' (est.)' : ''} | ${u.http_ms.p50} | ${u.query_time_ms.p50} | ${u.query_time_ms.p95} |`,
      );
    }

    let i = 0;
    const mixPath = () => mix[i++ % mix.length]![1];
    let seed = 12345;
    const randomId = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return ids[seed % ids.length]!;
    };
    const detailedPath = () => `/api/v1/admin/players/${randomId()}/detailed`;

    console.log(`\nwarm-up 5 s, then ${DURATION} s per scenario at ${CONNECTIONS} connections...`);
    await runScenario('warm-up', base, token, mixPath, 5, server.pid!);
    results.push(await runScenario('enhanced: filter mix', base, token, mixPath, DURATION, server.pid!));
    results.push(await runScenario('detailed: random ids', base, token, detailedPath, DURATION, server.pid!));
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }

  console.log(
    `\n/api/v1/admin/players at ${TARGET_PLAYERS.toLocaleString('en')} players, ${CONNECTIONS} connections, pipelining 1, ${DURATION} s each, server pool ${POOL}\n`,
  );
  console.log(
    '| scenario | req/s | HTTP p50 / p95 / p99 ms | query_time_ms p50 / p95 / p99 | pool wait per checkout mean / p95 / p99 ms | errors / non-2xx | count cache hits | CPU % of a core: generator / server / our postgres backends / everything else | machine busy |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.scenario} | ${r.requests_per_s} | ${r.http_ms.p50} / ${r.http_ms.p95} / ${r.http_ms.p99} | ` +
        `${r.query_time_ms.p50} / ${r.query_time_ms.p95} / ${r.query_time_ms.p99} | ` +
        `${r.pool_wait_ms.mean} / ${r.pool_wait_ms.p95} / ${r.pool_wait_ms.p99} | ${r.errors + r.timeouts} / ${r.non_2xx} | ` +
        `${Math.round(r.cache_hit_share * 100)}% | ${r.cpu.generator_pct_of_core} / ${r.cpu.server_pct_of_core} / ${r.cpu.postgres_pct_of_core} / ${r.cpu.others_pct_of_core} | ${r.cpu.machine_busy_pct}% |`,
    );
  }
  const targets = results.map((r) => ({
    scenario: r.scenario,
    http_p95_under_50ms: r.http_ms.p95 < 50,
    query_p95_under_20ms: r.query_time_ms.p95 < 20,
  }));
  console.log('\ntargets (HTTP p95 < 50 ms, query_time_ms p95 < 20 ms):', JSON.stringify(targets));

  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `players-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt,
        database: DB_URL.replace(/\/\/[^@]*@/, '//***@'),
        connections: CONNECTIONS,
        db_pool_size: Number(POOL),
        duration_s: DURATION,
        seeding,
        perUrl,
        results,
        targets,
      },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
