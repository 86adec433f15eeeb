/**
 * Inputs for the API fuzz test (fuzz.test.ts): a seeded random source, a valid sample of any
 * request schema from /openapi.json, and the hostile values put in its place. Everything is
 * drawn from the seed, so a failing run is replayed with HERALD_FUZZ_SEED.
 */

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  exclusiveMinimum?: number | boolean;
  minLength?: number;
  minItems?: number;
  nullable?: boolean;
  additionalProperties?: boolean | JsonSchema;
};

/** Raw JSON spliced in where a placeholder string sits: what JSON.stringify cannot write. */
export const SPLICES: Record<string, string> = {
  '\u0001DEEP\u0001': `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '\u0001DEEP_OBJ\u0001': `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
  '\u0001PROTO\u0001': '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
  '\u0001DUP\u0001': '{"a":1,"a":2}',
  '\u0001HUGE_EXP\u0001': '1e400',
  '\u0001LONG_INT\u0001': '123456789012345678901234567890',
  '\u0001NEG_ZERO\u0001': '-0',
  '\u0001NUL_ESC\u0001': '"a\\u0000b"',
  '\u0001LONE_SURROGATE\u0001': '"\\ud800x"',
};

export function serialize(value: unknown): string {
  let text = JSON.stringify(value) ?? '';
  for (const [token, raw] of Object.entries(SPLICES)) text = text.split(JSON.stringify(token)).join(raw);
  return text;
}

/** Values that break a field: NUL, huge numbers, wrong types, long strings, proto keys, deep nesting. */
export function hostileValue(rng: Rng): unknown {
  const r = rng.next();
  // Strings most often: they are what reaches a store's text columns.
  if (r < 0.4) return rng.pick(['a\u0000b', '\u0000', 'x\u0000', '%00', '\ud800', '😀'.repeat(50), '', ' ', 'x'.repeat(rng.pick([129, 257, 2049, 20_000])), '2016-12-31T23:59:60Z', '1e21', 'DROP TABLE orgs;--', '\u202e', '../../etc/passwd', 'http://[::1', 'Z'.repeat(64)]);
  if (r < 0.6) return rng.pick([1e21, -1e21, 1e308, -1, 0, 0.5, 2 ** 53, 2 ** 63, 9.3e18, 1e-7, 253_402_300_800_000, -62_167_219_200_001]);
  if (r < 0.75) return rng.pick([null, true, false, [], {}, [[]], [null], { a: { b: { c: 1 } } }]);
  if (r < 0.92) return rng.pick(Object.keys(SPLICES));
  return Array.from({ length: rng.pick([2, 600, 1001]) }, () => 'a.b');
}

/** A value that matches the schema, so one mutated field is the only thing wrong. */
export function sample(schema: JsonSchema | undefined, rng: Rng, key = '', fixtures: Record<string, string> = {}): unknown {
  if (!schema) return {};
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const usable = branches.filter((b) => b.type !== 'null');
    return sample(usable[0] ?? branches[0], rng, key, fixtures);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(schema.properties ?? {})) {
        // Seed 001's nested webhook form and the body/list either-or would conflict with the plain fields.
        if (name === 'webhook' || name === 'catalogue' || name === 'client_certificate') continue;
        if (schema.required?.includes(name) || rng.chance(0.3)) out[name] = sample(prop, rng, name, fixtures);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () => sample(schema.items, rng, key, fixtures));
    case 'string':
      return sampleString(schema, key, fixtures);
    case 'integer':
    case 'number':
      return schema.minimum ?? (typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return false;
    default:
      return { id: 'e1', name: 'fuzz' };
  }
}

function sampleString(schema: JsonSchema, key: string, fixtures: Record<string, string>): string {
  if (fixtures[key]) return fixtures[key]!;
  if (schema.format === 'email') return 'fuzz@fuzz.test';
  if (schema.format === 'date-time') return '2020-01-01T00:00:00Z';
  switch (schema.pattern) {
    case '^[a-z0-9][a-z0-9_-]{0,62}$':
      return 'fz';
    case '^[a-zA-Z0-9_]+(\\.[a-zA-Z0-9_]+)*$':
      return 'fuzz.created';
    case '^\\d+(ms|s|m|h|d)$':
      return '1h';
    case '^\\d{2}:\\d{2}$':
      return '02:00';
    case undefined:
      break;
    default:
      return 'X-Fuzz-Signature';
  }
  return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
}

/** Every place in a value a mutation can hit: [] is the value itself. */
export function locations(v: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => locations(x, [...path, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) locations(x, [...path, k], out);
  return out;
}

/** A copy of `v` with the value at `path` replaced (or a key added beside it). */
export function replaceAt(v: unknown, path: readonly (string | number)[], value: unknown, addKey?: string): unknown {
  if (path.length === 0) {
    if (addKey !== undefined && v !== null && typeof v === 'object' && !Array.isArray(v)) return { ...v, [addKey]: value };
    return value;
  }
  const [head, ...rest] = path;
  if (Array.isArray(v)) return v.map((x, i) => (i === head ? replaceAt(x, rest, value, addKey) : x));
  const o = v as Record<string, unknown>;
  return { ...o, [head!]: replaceAt(o[head!], rest, value, addKey) };
}

/** Whole bodies that are not what the route wants at all. */
export const RAW_BODIES: readonly (string | Uint8Array)[] = [
  '', ' ', '{', '{"a":1,}', 'null', '[]', '"text"', '1', 'true', '\u0000', '{"a":"\u0000"}',
  '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}',
  `${'['.repeat(10_000)}${']'.repeat(10_000)}`, '{"a":1e400}', 'x'.repeat(70_000),
  new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
];

export const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', ''];

/** Path segments as sent on the wire (already percent-encoded, some wrongly on purpose). */
export const PATH_VALUES = ['%00', 'a%00b', '%E0%A4%A', '%', 'x'.repeat(300), 'x'.repeat(250), '%F0%9F%92%A9', '..', '%2F', '%20', 'A', '-', '1e21', '%E2%80%AE', '%C0%AF', 'null', '%ZZ'];

/** Query values as sent on the wire. */
export const QUERY_VALUES = ['1e21', '-1', '0', 'abc', '2016-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2017-02-29T00:00:00Z', '%00', '%E0%A4%A', 'x'.repeat(5000), '', '1.5', 'true', '%5B%5D', '2020-01-01T00:00:00%2B0530'];
