import { describe, expect, it } from '@jest/globals';
import { inputShapeProblem, MAX_INPUT_DEPTH } from './input-shape.js';

const nested = (levels: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};

describe('inputShapeProblem', () => {
  it('passes ordinary input, binary included', () => {
    expect(inputShapeProblem({ a: 'é 🚀', b: [1, { c: null }], d: true })).toBeNull();
    expect(inputShapeProblem(undefined)).toBeNull();
    expect(inputShapeProblem(Buffer.from([0, 0xd8]))).toBeNull();
    expect(inputShapeProblem(nested(MAX_INPUT_DEPTH - 1))).toBeNull();
  });

  it('refuses nesting past the limit, however deep, without recursing', () => {
    expect(inputShapeProblem({ zz: nested(MAX_INPUT_DEPTH) })?.message).toMatch(/nested too deeply/);
    expect(inputShapeProblem(nested(100_000))?.path).toBe('');
    expect(inputShapeProblem({ a: { b: nested(MAX_INPUT_DEPTH) } })?.path).toBe('a');
  });

  it('names the field holding a NUL or a lone surrogate', () => {
    expect(inputShapeProblem({ username: 'a\u0000b' })).toEqual({
      path: 'username',
      message: 'must not contain NUL characters',
    });
    expect(inputShapeProblem({ target: { ids: ['ok', 'a\ud800@x.io'] } })).toEqual({
      path: 'target.ids[1]',
      message: 'must be well-formed Unicode',
    });
    expect(inputShapeProblem({ s: '\udc00' })?.message).toBe('must be well-formed Unicode');
    expect(inputShapeProblem({ s: 'pair \ud83d\ude80 ok' })).toBeNull();
  });

  it('checks field names too, without echoing them', () => {
    expect(inputShapeProblem({ filter: { 'a\u0000': 1 } })).toEqual({
      path: 'filter',
      message: 'field names must not contain NUL characters',
    });
  });
});
