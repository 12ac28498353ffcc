import { describe, expect, it } from '@jest/globals';
import { nextBatchSql } from './bulk-target.js';

describe('bulk targets', () => {
  it('pages explicit ids by id after the cursor', () => {
    const ids = ['0b6f1a7e-3c1d-4a53-9d43-3f5a1f1f0c11'];
    const { sql, params } = nextBatchSql({ player_ids: ids }, ids[0]!, 100);
    expect(sql).toContain('WHERE p.id = ANY($1::uuid[]) AND p.id > $2::uuid');
    expect(sql).toContain('ORDER BY p.id LIMIT $3 FOR UPDATE OF p');
    expect(params).toEqual([ids, ids[0], 100]);
  });

  it('reuses the enhanced filters', () => {
    const { sql, params } = nextBatchSql({ filter: { status: 'active', min_credits: 5 } }, null, 10);
    expect(sql).toContain('WHERE p.status = $1 AND p.credits >= $2 ORDER BY p.id LIMIT $3');
    expect(params).toEqual(['active', 5, 10]);
  });
});
