import { describe, expect, it } from '@jest/globals';
import { deniedTarget } from './denied-target.js';

const ID = '5B3C2A10-8F4E-4C1D-9A2B-3C4D5E6F7A8B';
const ROUTE = '/api/v1/admin/players/:id/comprehensive';

describe('deniedTarget', () => {
  it('names the entity of the declared id parameter, lower-cased', () => {
    expect(deniedTarget({ type: 'player', param: 'id' }, { id: ID }, ROUTE)).toEqual({
      targetType: 'player',
      targetId: ID.toLowerCase(),
    });
    expect(deniedTarget({ type: 'bulk_operation', param: 'opId' }, { opId: ID }, ROUTE)).toEqual({
      targetType: 'bulk_operation',
      targetId: ID.toLowerCase(),
    });
  });

  it('falls back to the route pattern without a declaration, or when the parameter is not a UUID', () => {
    const route = { targetType: 'route', targetId: ROUTE };
    expect(deniedTarget(undefined, { id: ID }, ROUTE)).toEqual(route);
    expect(deniedTarget({ type: 'player', param: 'id' }, { id: 'Not-A-Uuid' }, ROUTE)).toEqual(route);
    expect(deniedTarget({ type: 'player', param: 'id' }, {}, ROUTE)).toEqual(route);
    expect(deniedTarget({ type: 'player', param: 'id' }, undefined, ROUTE)).toEqual(route);
  });
});
