import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ConfigError } from '../src/config/app-config.js';
import { SeedAdminService } from '../src/modules/auth/seed-admin.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { expectErrorBody, loginAs, registerPlayer, type Session } from './support/factories.js';

// jest.config's per-project testTimeout is not applied (jest 30); app start-up needs more than 5 s on a busy machine.
jest.setTimeout(60_000);

/**
 * Accounts an operator must be able to trust: the configured superadmin never takes over someone else's
 * account, and a ban ends a player's logins whichever admin route set it.
 */
describe('account security', () => {
  let t: TestApp;
  let admin: Session;
  /** SeedAdminService as a boot with these SEED_ADMIN_* variables runs it, on this app's database. */
  const seedAs = (username: string, password: string) =>
    new SeedAdminService(t.db, {
      ...t.config,
      seedAdminUsername: username,
      seedAdminPassword: password,
    }).onApplicationBootstrap();
  const refresh = (token: string) => t.http().post('/api/v1/auth/refresh').send({ refresh_token: token });
  const roleOf = async (username: string) =>
    (
      (await t.db.query('SELECT role FROM users WHERE lower(username) = lower($1)', [username]))[0] as {
        role: string;
      }
    ).role;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await loginAs(t, 'admin');
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses to boot with SEED_ADMIN_USERNAME naming a player or another role, and promotes nobody', async () => {
    const player = await registerPlayer(t);
    await expect(seedAs(player.username.toUpperCase(), 'operator-password-123')).rejects.toThrow(ConfigError);
    expect(await roleOf(player.username)).toBe('player');
    const again = await refresh(player.refreshToken).expect(200);
    expect(again.body.data.user.role).toBe('player');

    const moderator = await loginAs(t, 'moderator');
    await expect(seedAs(moderator.username, 'operator-password-123')).rejects.toThrow(/existing moderator/);
    expect(await roleOf(moderator.username)).toBe('moderator');
  });

  it('creates the superadmin, keeps its sessions across boots, and a changed password revokes them', async () => {
    const name = `ops_${randomUUID().slice(0, 8)}`;
    await seedAs(name, 'first-password-123');
    expect(await roleOf(name)).toBe('superadmin');
    const login = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ username: name, password: 'first-password-123' })
      .expect(200);

    await seedAs(name, 'first-password-123'); // a restart with the same settings
    const rotated = await refresh(login.body.data.refresh_token).expect(200);

    await seedAs(name, 'second-password-456'); // the operator changed the password
    expectErrorBody(
      (await refresh(rotated.body.data.refresh_token).expect(401)).body,
      'AUTH.REFRESH_REVOKED',
    );
    await t
      .http()
      .post('/api/v1/auth/login')
      .send({ username: name, password: 'second-password-456' })
      .expect(200);
  });

  it('a ban through PUT /comprehensive revokes the refresh tokens, as the emergency ban does', async () => {
    const p = await registerPlayer(t);
    const [{ version }] = await t.db.query('SELECT version FROM players WHERE id = $1', [p.playerId]);
    await t
      .http()
      .put(`/api/v1/admin/players/${p.playerId}/comprehensive`)
      .set(admin.auth)
      .send({ reason: 'cheating, confirmed', version, status: 'banned' })
      .expect(200);
    expectErrorBody((await refresh(p.refreshToken).expect(401)).body, 'AUTH.REFRESH_REVOKED');
  });

  it('a refresh is refused while a ban is in force, however the ban was set', async () => {
    const p = await registerPlayer(t);
    // A ban written without revoking anything (an operator's SQL, an older node): the refresh itself refuses.
    await t.db.query(
      `UPDATE players SET status = 'banned', ban_until = now() + interval '1 day' WHERE id = $1`,
      [p.playerId],
    );
    expectErrorBody((await refresh(p.refreshToken).expect(403)).body, 'AUTH.PLAYER_BANNED');
    // Once the ban has ended, the same token works again.
    await t.db.query(`UPDATE players SET ban_until = now() - interval '1 second' WHERE id = $1`, [
      p.playerId,
    ]);
    await refresh(p.refreshToken).expect(200);
  });
});
