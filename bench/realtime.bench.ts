/**
 * npm run bench:realtime — one server node (child process) on real Postgres and Redis, 2,000 concurrent
 * socket.io clients (players on /player, admins on /admin subscribed to 'all'), driven by committed credit
 * changes: each publishes CreditsChanged after its commit, which becomes one player_update per admin and one
 * assets_changed for the player. Trigger (BENCH_TRIGGER): 'bench' (default) is the gated route
 * POST /api/v1/admin/realtime/bench/credit-change (REALTIME_BENCH_TRIGGER=true, never in production: one
 * committed UPDATE, no audit row); 'put' uses PUT /api/v1/admin/players/{id}/comprehensive (audited, so
 * bounded by the audit chain's write rate). Trading is not in this branch: the market-to-player path is
 * not measured.
 *
 * Env: BENCH_DATABASE_URL (server, default postgres://postgres@127.0.0.1:5432/postgres; the bench creates
 * and drops sw_bench_realtime on it), BENCH_REDIS_URL (redis://127.0.0.1:6379), BENCH_PLAYERS (1600),
 * BENCH_ADMINS (400), BENCH_RATE (updates/s, 60), BENCH_SECONDS (20).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { verifyEnvelope, type Envelope } from '../src/infrastructure/websocket/envelope.js';

const env = process.env;
const ADMIN_URL = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PLAYERS = Number(env.BENCH_PLAYERS ?? 1600);
const ADMINS = Number(env.BENCH_ADMINS ?? 400);
const RATE = Number(env.BENCH_RATE ?? 60);
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
const TRIGGER = env.BENCH_TRIGGER ?? 'bench'; // 'bench' (the gated trigger route) or 'put' (PUT comprehensive)
const PORT = Number(env.BENCH_PORT ?? 3917);
const DB_NAME = 'sw_bench_realtime';
const SECRET = 'bench-realtime-secret-that-is-long-enough-0123456789';
const BASE = `http://127.0.0.1:${PORT}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function token(sub: string, role: string, pid: string | null): string {
  return jwt.sign({ sub, usr: `bench_${sub.slice(0, 8)}`, role, pid }, SECRET, {
    algorithm: 'HS256',
    issuer: 'sectorwars-gameserver',
    audience: 'sectorwars-clients',
    expiresIn: 3600,
  });
}

function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks of 10 ms
}

async function adminQuery(sql: string): Promise<void> {
  // The Postgres is shared with other work on this machine: retry a terminated session.
  for (let attempt = 1; ; attempt++) {
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    admin.on('error', () => undefined);
    try {
      await admin.connect();
      await admin.query(sql);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      console.warn(`retrying "${sql}": ${(err as Error).message}`);
      await sleep(500);
    } finally {
      await admin.end().catch(() => undefined);
    }
  }
}

async function resetDatabase(): Promise<string> {
  await adminQuery(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${DB_NAME}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
}

async function startServer(databaseUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...env,
      NODE_ENV: 'development',
      REALTIME_BENCH_TRIGGER: TRIGGER === 'bench' ? 'true' : 'false',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      REDIS_KEY_PREFIX: `sw-bench-rt-${process.pid}:`,
      JWT_SECRET: SECRET,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      THROTTLE_LIMIT: '1000000',
      AUTH_THROTTLE_LIMIT: '100000',
      DB_POOL_SIZE: '20',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`${BASE}/health/ready`);
      if (res.ok) return child;
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    await sleep(200);
  }
  throw new Error('server did not become ready');
}

async function fixtures(databaseUrl: string) {
  const db = new pg.Client({ connectionString: databaseUrl });
  db.on('error', (err) => console.warn(`fixtures connection: ${err.message}`));
  await db.connect();
  await db.query(`INSERT INTO sectors (id, name) VALUES (1, 'Sol') ON CONFLICT DO NOTHING`);
  const [adminUser] = (
    await db.query(
      `INSERT INTO users (username, password_hash, role) VALUES ('bench_admin', 'x', 'admin') RETURNING id`,
    )
  ).rows;
  const players = (
    await db.query(
      `WITH u AS (
         INSERT INTO users (username, password_hash, role)
         SELECT 'bench_p' || g, 'x', 'player' FROM generate_series(1, $1) g RETURNING id, username)
       INSERT INTO players (user_id, username, email, current_sector, home_sector)
       SELECT id, username, username || '@bench.test', 1, 1 FROM u RETURNING id, user_id`,
      [PLAYERS],
    )
  ).rows as { id: string; user_id: string }[];
  await db.end();
  return { adminId: adminUser.id as string, players };
}

interface Client {
  socket: Socket;
  key?: Buffer;
}

class Stats {
  received = 0;
  playerUpdates = 0;
  assetsChanged = 0;
  badSignatures = 0;
  verified = 0;
  publishLatency: number[] = [];
  requestLatency: number[] = [];
  measuring = false;
}

async function connectAll(
  specs: { ns: string; token: string }[],
  stats: Stats,
  sentAt: Map<string, number>,
): Promise<Client[]> {
  const clients: Client[] = [];
  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const spec = specs[next++]!;
      const client: Client = {
        socket: io(`${BASE}${spec.ns}`, {
          auth: { token: spec.token },
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
        }),
      };
      let n = 0;
      client.socket.onAny((event: string, env: Envelope) => {
        const now = Date.now();
        if (event === 'connection_established') {
          client.key = Buffer.from((env.data as { session_key: string }).session_key, 'base64url');
        }
        if (!stats.measuring) return;
        stats.received += 1;
        // Verify a sample: the generator shares the 2 cores with the server.
        if (++n % 50 === 0 && client.key) {
          stats.verified += 1;
          if (!verifyEnvelope(env, client.key)) stats.badSignatures += 1;
        }
        if (event === 'player_update') {
          stats.playerUpdates += 1;
          stats.publishLatency.push(now - Date.parse(env.timestamp));
          const d = env.data as { player_id: string; data: { after?: string } };
          const sent = sentAt.get(`${d.player_id}:${d.data.after}`);
          if (sent !== undefined) stats.requestLatency.push(now - sent);
        } else if (event === 'assets_changed') stats.assetsChanged += 1;
      });
      await new Promise<void>((resolve, reject) => {
        client.socket.once('connect_error', reject);
        client.socket.once('connection_established', () => resolve());
      });
      clients.push(client);
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  return clients;
}

async function main(): Promise<void> {
  console.log(
    `bench:realtime: ${PLAYERS} players on /player + ${ADMINS} admins on /admin, ${RATE} credit changes/s for ${SECONDS} s`,
  );
  const databaseUrl = await resetDatabase();
  const server = await startServer(databaseUrl);
  const stats = new Stats();
  const sentAt = new Map<string, number>();
  try {
    const { adminId, players } = await fixtures(databaseUrl);
    const adminToken = token(adminId, 'admin', null);

    let t0 = performance.now();
    const playerClients = await connectAll(
      players.map((p) => ({ ns: '/player', token: token(p.user_id, 'player', p.id) })),
      stats,
      sentAt,
    );
    const adminClients = await connectAll(
      Array.from({ length: ADMINS }, () => ({ ns: '/admin', token: adminToken })),
      stats,
      sentAt,
    );
    const connectSeconds = (performance.now() - t0) / 1000;
    await Promise.all(
      adminClients.map(
        (c) => new Promise((resolve) => c.socket.emit('subscribe', { players: 'all' }, resolve)),
      ),
    );
    const held = playerClients.length + adminClients.length;
    console.log(`connected ${held} clients in ${connectSeconds.toFixed(1)} s`);

    const versions = new Map(players.map((p) => [p.id, 1]));
    let credits = 20_000;
    let failures = 0;
    let updates = 0;
    const statuses: Record<number, number> = {};
    const inflight = new Set<Promise<void>>();
    const change = (playerId: string) => {
      const value = credits++;
      const version = versions.get(playerId)!;
      versions.set(playerId, version + 1);
      sentAt.set(`${playerId}:${value}`, Date.now());
      const p = (
        TRIGGER === 'put'
          ? fetch(`${BASE}/api/v1/admin/players/${playerId}/comprehensive`, {
              method: 'PUT',
              headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
              body: JSON.stringify({ reason: 'bench credit change', version, credits: value }),
            })
          : fetch(`${BASE}/api/v1/admin/realtime/bench/credit-change`, {
              method: 'POST',
              headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
              body: JSON.stringify({ player_id: playerId, credits: value }),
            })
      )
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.ok) updates += 1;
          else {
            failures += 1;
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          }
        })
        .catch(() => {
          failures += 1;
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    };

    // Warm-up, then the measured window, at a fixed arrival rate.
    const run = async (seconds: number) => {
      const start = performance.now();
      let sent = 0;
      while (performance.now() - start < seconds * 1000) {
        const due = Math.floor(((performance.now() - start) / 1000) * RATE);
        while (sent < due) {
          change(players[(sent * 7919) % players.length]!.id);
          sent += 1;
        }
        await sleep(5);
      }
      await Promise.all(inflight);
    };
    await run(3);
    await sleep(500);
    updates = 0;
    failures = 0;
    const benchCpu0 = process.cpuUsage();
    const serverCpu0 = cpuSecondsOf(server.pid!);
    stats.measuring = true;
    t0 = performance.now();
    await run(SECONDS);
    await sleep(1000); // let the last deliveries land
    stats.measuring = false;
    const wall = (performance.now() - t0) / 1000;
    const benchCpu = process.cpuUsage(benchCpu0);
    const serverCpu = cpuSecondsOf(server.pid!) - serverCpu0;

    const pub = [...stats.publishLatency].sort((a, b) => a - b);
    const req = [...stats.requestLatency].sort((a, b) => a - b);
    const expected = updates * (ADMINS + 1);
    const report = {
      clients_held: held,
      players: playerClients.length,
      admins: adminClients.length,
      still_connected: [...playerClients, ...adminClients].filter((c) => c.socket.connected).length,
      window_seconds: Number(wall.toFixed(2)),
      credit_changes_committed: updates,
      credit_changes_failed: failures,
      failed_statuses: statuses,
      delivered_messages: stats.received,
      delivered_per_second: Math.round(stats.received / wall),
      player_updates_received: stats.playerUpdates,
      assets_changed_received: stats.assetsChanged,
      expected_deliveries: expected,
      signatures_verified_sample: stats.verified,
      bad_signatures: stats.badSignatures,
      latency_publish_to_admin_ms: {
        p50: percentile(pub, 50),
        p95: percentile(pub, 95),
        p99: percentile(pub, 99),
        max: pub.at(-1),
      },
      latency_request_to_admin_ms: {
        p50: percentile(req, 50),
        p95: percentile(req, 95),
        p99: percentile(req, 99),
        max: req.at(-1),
      },
      cpu_share_of_2_cores: {
        load_generator: Number(((benchCpu.user + benchCpu.system) / 1e6 / wall / 2).toFixed(2)),
        server: Number((serverCpu / wall / 2).toFixed(2)),
      },
    };
    console.log(JSON.stringify(report, null, 2));
    for (const c of [...playerClients, ...adminClients]) c.socket.disconnect();
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await adminQuery(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
