import { describe, expect, it } from '@jest/globals';
import { DatabaseUnreachableError } from './database.module.js';

describe('DatabaseUnreachableError (the one line a start that cannot reach DATABASE_URL prints)', () => {
  const cause = Object.assign(new Error('password authentication failed for user "u"'), { code: '28P01' });

  it('names the URL and the driver’s reason and code, never the password', () => {
    const { message } = new DatabaseUnreachableError('postgres://u:s3cret@db.internal:5432/game', cause);
    expect(message).toContain('postgres://u:***@db.internal:5432/game');
    expect(message).toContain('password authentication failed for user "u" (28P01)');
    expect(message).not.toContain('s3cret');
  });

  it('hides a password given as a query parameter too', () => {
    const { message } = new DatabaseUnreachableError(
      'postgres://u@db/game?password=s3cret&sslmode=require',
      cause,
    );
    expect(message).not.toContain('s3cret');
    expect(message).toContain('sslmode=require');
  });
});
