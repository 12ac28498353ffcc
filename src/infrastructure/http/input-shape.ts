/** Deeper than any request DTO (the deepest is 4 levels) by far, and far below what a recursive walk survives. */
export const MAX_INPUT_DEPTH = 32;

/** A UTF-16 surrogate without its pair: not a character, and not encodable as UTF-8 (Postgres, encodeURI). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface InputShapeProblem {
  /** The field's path (`a.b[2]`), or '' for the input as a whole. */
  path: string;
  message: string;
}

function problemWith(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must be well-formed Unicode';
  return null;
}

/**
 * What no request to this server may carry, whatever its DTO: nesting deeper than MAX_INPUT_DEPTH (the
 * validators recurse, and a 7 KB body of brackets overflows their stack), NUL characters (Postgres refuses
 * them in text and jsonb) and lone surrogates (not UTF-8; some validators throw on them). Checked on the raw
 * input before validation, iteratively, keys as well as values; returns the first problem or null.
 */
export function inputShapeProblem(value: unknown): InputShapeProblem | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const message = problemWith(v);
      if (message) return { path, message };
      continue;
    }
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) continue; // binary: bytes, not text
    if (depth >= MAX_INPUT_DEPTH) {
      // Named by its top-level field: the full path would be dozens of [0]s.
      const top = /^[^.[]*/.exec(path)?.[0] ?? '';
      return { path: top, message: `is nested too deeply (at most ${MAX_INPUT_DEPTH} levels)` };
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(v)) {
      const keyProblem = problemWith(key);
      // The bad name is not echoed back: the problem is reported on the object that holds it.
      if (keyProblem) return { path, message: `field names ${keyProblem}` };
      stack.push({ value: item, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return null;
}
