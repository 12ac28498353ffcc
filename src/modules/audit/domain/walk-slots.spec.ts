import { describe, expect, it } from '@jest/globals';
import { WalkSlots } from './walk-slots.js';

describe('WalkSlots', () => {
  it('refuses a user beyond its own slots before the node is full, and another user still gets one', () => {
    const slots = new WalkSlots({ perUser: 1, total: 2 });
    const first = slots.take('a');
    expect(first.taken).toBe(true);
    expect(slots.take('a')).toEqual({ taken: false, refusal: 'user' });
    expect(slots.take('b').taken).toBe(true);
    expect(slots.take('c')).toEqual({ taken: false, refusal: 'node' });
    expect(slots.running).toBe(2);
  });

  it('frees a slot once, however often it is released', () => {
    const slots = new WalkSlots({ perUser: 2, total: 2 });
    const first = slots.take('a');
    if (!first.taken) throw new Error('expected a slot');
    expect(slots.take('a').taken).toBe(true);
    first.release();
    first.release();
    expect(slots.running).toBe(1);
    expect(slots.take('b').taken).toBe(true);
    expect(slots.take('a')).toEqual({ taken: false, refusal: 'node' });
  });
});
