import { describe, expect, it } from '@jest/globals';
import { nextBatchSql, sliceBounds } from './bulk-target.js';

describe('bulk targets', () => {
  it('pages explicit ids by id after the cursor', () => {
    const ids = ['0b6f1a7e-3c1d-4a53-9d43-3f5a1f1f0c11'];
    const slice = {
      lower: '00000000-0000-0000-0000-000000000000',
      upper: '80000000-0000-0000-0000-000000000000',
      cursor: ids[0]!,
    };
    const { sql, params } = nextBatchSql({ player_ids: ids }, slice, 100);
    expect(sql).toContain('WHERE p.id = ANY($1::uuid[]) AND p.id > $2::uuid AND p.id < $3::uuid');
    expect(sql).toContain('ORDER BY p.id LIMIT $4 FOR UPDATE OF p');
    expect(params).toEqual([ids, ids[0], slice.upper, 100]);
  });

  it('reuses the enhanced filters', () => {
    const slice = { lower: 'c0000000-0000-0000-0000-000000000000', upper: null, cursor: null };
    const { sql, params } = nextBatchSql({ filter: { status: 'active', min_credits: 5 } }, slice, 10, false);
    expect(sql).toContain(
      'WHERE p.status = $1 AND p.credits >= $2 AND p.id >= $3::uuid ORDER BY p.id LIMIT $4',
    );
    expect(sql).not.toContain('FOR UPDATE');
    expect(params).toEqual(['active', 5, slice.lower, 10]);
  });

  it('splits the id space into equal slices', () => {
    expect(sliceBounds(4)).toEqual([
      { lower: '00000000-0000-0000-0000-000000000000', upper: '40000000-0000-0000-0000-000000000000' },
      { lower: '40000000-0000-0000-0000-000000000000', upper: '80000000-0000-0000-0000-000000000000' },
      { lower: '80000000-0000-0000-0000-000000000000', upper: 'c0000000-0000-0000-0000-000000000000' },
      { lower: 'c0000000-0000-0000-0000-000000000000', upper: null },
    ]);
    expect(sliceBounds(1)).toEqual([{ lower: '00000000-0000-0000-0000-000000000000', upper: null }]);
  });
});
