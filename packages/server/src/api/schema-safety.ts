/**
 * Keeps event type schemas from stalling ingest. Entity schemas run on the API thread for
 * every event of their type, and ajv compiles `pattern` to a JavaScript RegExp, a
 * backtracking engine: `^(a+)+$` takes seconds on a 30-character entity string, during
 * which no other org's request is served. Herald refuses such patterns when a schema is
 * saved (422 HERALD_SCHEMA_UNSAFE) rather than timing them out later:
 *
 * - nested quantifiers: a group repeated more than once that holds a quantifier of its own
 *   (`(a+)+`, `(a*b)*`, `(?:x{2,})+`, `(a?){30}`), the cause of exponential backtracking.
 *   This is stricter than star height (it also refuses some safe forms such as `(ab?)*`):
 *   a syntax check cannot tell those apart, and a schema author can always rewrite them;
 * - a repeated group with alternatives (`(a|ab)*`): overlapping alternatives backtrack
 *   exponentially too, and telling overlap apart needs more than a syntax check;
 * - backreferences (`\1`, `\k<name>`), which no bound on backtracking covers;
 * - `uniqueItems` unless the items have a scalar type: ajv then compares every pair of items,
 *   quadratic in the array's length (50,000 objects in a 5 MiB body take seconds);
 * - patterns longer than MAX_PATTERN_LENGTH, and schemas larger or deeper than the limits below.
 *
 * Single repeats, classes, anchors, bounded counts and alternatives outside repeats stay
 * allowed: `^[a-z0-9_-]{1,64}$`, `^(foo|bar)-\d+$`, `^\S+@\S+$`.
 */
import { HeraldError } from '../errors.js';

export const MAX_PATTERN_LENGTH = 1000;
/** Largest schema, as JSON text, and deepest nesting a schema may have. */
export const MAX_SCHEMA_BYTES = 64 * 1024;
export const MAX_SCHEMA_DEPTH = 32;

interface Group {
  /** Something inside has a quantifier (?, *, +, {n,m}). */
  quantified: boolean;
  /** The group has alternatives at its own level. */
  alternatives: boolean;
}

/** Length of the quantifier at `i` and whether it allows more than one repetition; null if none. */
function quantifierAt(p: string, i: number): { length: number; many: boolean } | null {
  const c = p[i];
  let length = 0;
  let many = false;
  if (c === '*' || c === '+') {
    length = 1;
    many = true;
  } else if (c === '?') {
    length = 1;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
    if (!m) return null;
    length = m[0].length;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    many = max > 1;
  } else {
    return null;
  }
  if (p[i + length] === '?' || p[i + length] === '+') length++;
  return { length, many };
}

/** Why a pattern could backtrack without bound, or null when it is safe by these rules. */
export function unsafePatternReason(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `the pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  const stack: Group[] = [{ quantified: false, alternatives: false }];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    let atomEnd = i + 1;
    let closed: Group | null = null;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'backreferences are not allowed';
      atomEnd = i + 2;
      if (next === 'u' && pattern[i + 2] === '{') atomEnd = pattern.indexOf('}', i) + 1 || pattern.length;
    } else if (c === '[') {
      // A class is one atom: skip to its closing bracket (a leading ] or ^] is literal).
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      atomEnd = j + 1;
    } else if (c === '(') {
      stack.push({ quantified: false, alternatives: false });
      i += pattern[i + 1] === '?' ? (pattern[i + 2] === '<' && pattern[i + 3] !== '=' && pattern[i + 3] !== '!' ? pattern.indexOf('>', i) + 1 - i : 3) : 1;
      continue;
    } else if (c === ')') {
      if (stack.length === 1) return null; // unbalanced: the compiler refuses it with its own message
      closed = stack.pop()!;
    } else if (c === '|') {
      stack.at(-1)!.alternatives = true;
      i++;
      continue;
    }
    const q = quantifierAt(pattern, atomEnd);
    const top = stack.at(-1)!;
    if (closed) {
      if (q?.many && closed.quantified) return 'nested quantifiers (a repeated group that holds a quantifier, like (a+)+) can take exponential time';
      if (q?.many && closed.alternatives) return 'a repeated group with alternatives (like (a|ab)*) can take exponential time';
      top.quantified ||= closed.quantified || q !== null;
    } else if (q) {
      top.quantified = true;
    }
    i = atomEnd + (q?.length ?? 0);
  }
  return null;
}

/** ajv checks uniqueItems of scalar items with a hash, in linear time. */
function hasScalarItems(schema: Record<string, unknown>): boolean {
  const items = schema.items as { type?: unknown } | undefined;
  const types = Array.isArray(items?.type) ? items.type : [items?.type];
  return types.length > 0 && types.every((t) => t === 'string' || t === 'number' || t === 'integer' || t === 'boolean');
}

/**
 * Every reason a schema could make validation slow, with the JSON pointer of each
 * offending `pattern` / `patternProperties` key. Walks without recursion.
 */
export function schemaSafetyProblems(schema: unknown): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (schema === null || schema === undefined) return problems;
  if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) return [{ path: '/', message: `the schema is larger than ${MAX_SCHEMA_BYTES} bytes` }];
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: schema, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_SCHEMA_DEPTH) {
      problems.push({ path: path || '/', message: `the schema nests deeper than ${MAX_SCHEMA_DEPTH} levels` });
      break;
    }
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
    for (const [key, child] of entries) {
      const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!Array.isArray(v) && key === 'pattern' && typeof child === 'string') {
        const reason = unsafePatternReason(child);
        if (reason) problems.push({ path: at, message: reason });
      }
      if (!Array.isArray(v) && key === 'uniqueItems' && child === true && !hasScalarItems(v as Record<string, unknown>)) {
        problems.push({ path: at, message: 'uniqueItems compares every pair of items unless items have a scalar type (string, number, integer, boolean)' });
      }
      if (!Array.isArray(v) && key === 'patternProperties' && child !== null && typeof child === 'object') {
        for (const p of Object.keys(child)) {
          const reason = unsafePatternReason(p);
          if (reason) problems.push({ path: `${at}/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: reason });
        }
      }
      stack.push({ v: child, path: at, depth: depth + 1 });
    }
  }
  return problems;
}

/** Throws 422 HERALD_SCHEMA_UNSAFE listing every problem; `at` is where the schema sits in the body. */
export function refuseUnsafeSchema(schema: unknown, at: string): void {
  const problems = schemaSafetyProblems(schema).map((p) => ({ path: p.path === '/' ? at : `${at}${p.path}`, message: p.message }));
  if (problems.length > 0) throw new HeraldError('HERALD_SCHEMA_UNSAFE', [`${problems[0]!.path}: ${problems[0]!.message}`], { part: 'body', problems });
}
