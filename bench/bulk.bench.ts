/**
 * npm run bench:bulk — bulk operations on a real Postgres, end to end through the HTTP API.
 *
 *  1. 100,000 players inserted with generate_series into a database of its own (sw_bench_bulk, recreated).
 *  2. adjust_credits over all of them (target: filter {}): time from POST to status "completed", checked by
 *     the sum of balances.
 *  3. Cancel: start another run, cancel it mid-way, time from the cancel request to the job's stop
 *     (server-side finished_at - cancel_requested_at, and as the client saw it), several times.
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the server; BENCH_PLAYERS,
 * BULK_BATCH_SIZE and BULK_WORKER_CONCURRENCY override the defaults. The app runs in this process (one node); the "load generator" is
 * a status poll every 25 ms, so the process CPU share reported is essentially the server's.
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { loadConfig } from '../src/config/app-config.js';
import { createApp } from '../src/bootstrap.js';
import { hashPassword } from '../src/modules/auth/domain/password.js';
import { percentile } from './support.js';

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'sw_bench_bulk';
const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 100_000);
// Unset: the server's defaults (loadConfig).
const TUNING = Object.fromEntries(
  ['BULK_BATCH_SIZE', 'BULK_WORKER_CONCURRENCY', 'BULK_SLICES']
    .filter((k) => process.env[k] !== undefined)
    .map((k) => [k, process.env[k]!]),
);
const CANCEL_RUNS = 5;

interface OpStatus {
  status: string;
  batches_done: number;
  counts: { total: number; processed: number; succeeded: number; failed: number; skipped: number };
  created_at: string;
  finished_at: string;
  cancel_requested_at: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(values: number[], p: number): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    p,
  );
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;

  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: url.toString(),
    JWT_SECRET: 'bench-secret-that-is-long-enough-0123456789abcdef',
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    THROTTLE_LIMIT: '1000000',
    SWAGGER_ENABLED: 'false',
    ...TUNING,
    BULK_POLL_MS: '100',
    DB_POOL_SIZE: '10',
  });
  const app = await createApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}/api/v1`;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();

  const seedStarted = performance.now();
  await db.query(
    `INSERT INTO players (username, email, credits, current_sector, home_sector)
     SELECT 'bench_' || g, 'bench_' || g || '@example.test', 10000, 1, 1 FROM generate_series(1, $1) g`,
    [PLAYERS],
  );
  await db.query('ANALYZE players');
  console.log(`seeded ${PLAYERS} players in ${Math.round(performance.now() - seedStarted)} ms`);

  await db.query(`INSERT INTO users (username, password_hash, role) VALUES ('bench_admin', $1, 'admin')`, [
    await hashPassword('bench-admin-password'),
  ]);
  const login = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench_admin', password: 'bench-admin-password' }),
  }).then((r) => r.json() as Promise<{ data: { access_token: string } }>);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${login.data.access_token}` };
  const start = async (amount: number) => {
    const res = await fetch(`${base}/admin/players/bulk-operations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        operation_type: 'adjust_credits',
        parameters: { amount },
        target: { filter: {} },
        reason: 'benchmark',
      }),
    });
    if (res.status !== 202) throw new Error(`create failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { data: { operation_id: string } }).data.operation_id;
  };
  const status = async (id: string): Promise<OpStatus> => {
    const res = await fetch(`${base}/admin/players/bulk-operations/${id}/status?errors_limit=1`, { headers });
    return ((await res.json()) as { data: OpStatus }).data;
  };

  // --- 1. adjust_credits over everyone, end to end ---
  const loadAtStart = loadavg()[0]!.toFixed(2);
  const [{ before }] = (await db.query('SELECT sum(credits)::text AS before FROM players')).rows;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const opId = await start(5);
  const accepted = performance.now() - t0;
  let s = await status(opId);
  while (!['completed', 'failed', 'cancelled'].includes(s.status)) {
    await sleep(25);
    s = await status(opId);
  }
  const total = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const [{ after }] = (await db.query('SELECT sum(credits)::text AS after FROM players')).rows;
  const delta = BigInt(after) - BigInt(before);
  const serverMs = Date.parse(s.finished_at) - Date.parse(s.created_at);
  console.log(
    JSON.stringify(
      {
        adjust_credits: {
          players: PLAYERS,
          batch_size: config.bulkBatchSize,
          batch_loops: config.bulkWorkerConcurrency,
          slices: config.bulkSlices,
          load_average_at_start: loadAtStart,
          batches: s.batches_done,
          status: s.status,
          counts: s.counts,
          accepted_ms: Math.round(accepted),
          end_to_end_ms: Math.round(total),
          server_created_to_finished_ms: serverMs,
          players_per_second: Math.round(PLAYERS / (total / 1000)),
          credits_delta_ok: delta === BigInt(PLAYERS) * 5n,
          process_cpu_share_of_one_core: Math.round(((cpu.user + cpu.system) / 1000 / total) * 100) / 100,
        },
      },
      null,
      2,
    ),
  );

  // --- 2. cancel to stop ---
  const serverStops: number[] = [];
  const clientStops: number[] = [];
  for (let i = 0; i < CANCEL_RUNS; i++) {
    const id = await start(1);
    const stopAt = 5 + i * 15; // cancel at different depths into the job
    let st = await status(id);
    while (st.batches_done < stopAt && st.status !== 'completed') {
      await sleep(10);
      st = await status(id);
    }
    const c0 = performance.now();
    await fetch(`${base}/admin/players/bulk-operations/${id}/cancel`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ reason: 'benchmark cancel' }),
    });
    st = await status(id);
    while (st.status === 'running' || st.status === 'pending') {
      await sleep(5);
      st = await status(id);
    }
    clientStops.push(performance.now() - c0);
    serverStops.push(Date.parse(st.finished_at) - Date.parse(st.cancel_requested_at));
    const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM players WHERE credits = 10006`)).rows;
    if (n !== st.counts.succeeded)
      throw new Error(`cancel run ${i}: ${n} players changed, ${st.counts.succeeded} reported`);
    await db.query(`UPDATE players SET credits = 10005 WHERE credits = 10006`); // reset for the next run
    console.log(
      `cancel ${i + 1}: ${st.status} after ${st.counts.processed} players (${st.batches_done} batches)`,
    );
  }
  console.log(
    JSON.stringify(
      {
        cancel_to_stop_ms: {
          runs: CANCEL_RUNS,
          server_p50: pct(serverStops, 50),
          server_max: Math.max(...serverStops),
          client_observed_p50: Math.round(pct(clientStops, 50)),
          client_observed_max: Math.round(Math.max(...clientStops)),
          done_work_matches_report: true,
        },
      },
      null,
      2,
    ),
  );

  await db.end();
  await app.close();
  if (process.env.BENCH_KEEP_DB === 'true') return; // for EXPLAIN and friends afterwards
  const drop = new pg.Client({ connectionString: ADMIN_URL });
  await drop.connect();
  await drop.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await drop.end();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
