import { expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../src/modules/auth/domain/password.js';
import type { Role } from '../../src/modules/auth/domain/roles.js';
import type { TestApp } from './test-app.js';

export interface Session {
  userId: string;
  playerId: string | null;
  username: string;
  password: string;
  token: string;
  refreshToken: string;
  auth: { Authorization: string };
}

const unique = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

/** Registers a player through the API and returns its session. */
export async function registerPlayer(
  t: TestApp,
  name = unique('pilot'),
  headers: Record<string, string> = {},
): Promise<Session> {
  const password = 'correct-horse-battery';
  const res = await t
    .http()
    .post('/api/v1/auth/register')
    .set(headers)
    .send({ username: name, email: `${name}@example.test`, password })
    .expect(201);
  const d = res.body.data;
  return {
    userId: d.user.id,
    playerId: d.user.player_id,
    username: name,
    password,
    token: d.access_token,
    refreshToken: d.refresh_token,
    auth: { Authorization: `Bearer ${d.access_token}` },
  };
}

/** Creates a staff user with `role` directly in the database and logs it in through the API. */
export async function loginAs(
  t: TestApp,
  role: Exclude<Role, 'player'>,
  name = unique(role),
): Promise<Session> {
  const password = 'staff-password-123';
  await t.db.query(`INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)`, [
    name,
    await hashPassword(password),
    role,
  ]);
  const res = await t.http().post('/api/v1/auth/login').send({ username: name, password }).expect(200);
  const d = res.body.data;
  return {
    userId: d.user.id,
    playerId: null,
    username: name,
    password,
    token: d.access_token,
    refreshToken: d.refresh_token,
    auth: { Authorization: `Bearer ${d.access_token}` },
  };
}

export async function createTeam(t: TestApp, name = unique('team')): Promise<string> {
  const [row] = await t.db.query(`INSERT INTO teams (name, tag) VALUES ($1, $2) RETURNING id`, [
    name,
    name.slice(0, 4),
  ]);
  return row.id;
}

export async function createSector(t: TestApp, id: number): Promise<number> {
  await t.db.query(`INSERT INTO sectors (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
    id,
    `Sector ${id}`,
  ]);
  return id;
}

/** Asserts the standard error body. */
export function expectErrorBody(body: Record<string, unknown>, code: string): void {
  expect(body.error).toBe(code);
  expect(typeof body.detail).toBe('string');
  expect(typeof body.timestamp).toBe('string');
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/); // never a stack trace
}
