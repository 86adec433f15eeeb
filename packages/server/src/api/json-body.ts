import type { FastifyInstance } from 'fastify';
import { HeraldError } from '../errors.js';

/**
 * Deepest nesting a JSON body may have. JSON.stringify recurses: an entity thousands of
 * levels deep overflows the stack when it is stored or sent, so it is refused on the way in.
 * 64 levels is far beyond any real payload and far below the stack's limit.
 */
export const MAX_JSON_DEPTH = 64;

/** A value met during the walk; the path is rebuilt from parents only when reporting. */
interface Node {
  v: unknown;
  depth: number;
  key: string | number | null;
  parent: Node | null;
}

/** Where a NUL or a too-deep value sits, as a JSON pointer into the body. */
function pointer(node: Node): string {
  const parts: string[] = [];
  for (let n: Node | null = node; n && n.key !== null; n = n.parent) parts.unshift(`/${String(n.key).replace(/~/g, '~0').replace(/\//g, '~1')}`);
  return parts.length === 0 ? '/' : parts.join('');
}

/**
 * Walks a parsed value without recursion (a deep value must not overflow the stack here
 * either) and throws on the first value nested deeper than `maxDepth`, and on the first
 * string or key holding a NUL: PostgreSQL's text cannot store one, so both stores refuse
 * it alike.
 */
export function checkJsonValue(value: unknown, maxDepth = MAX_JSON_DEPTH): void {
  const stack: Node[] = [{ v: value, depth: 0, key: null, parent: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.v;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) throw new HeraldError('HERALD_NUL_CHARACTER', [`body ${pointer(node)}`], { part: 'body', path: pointer(node) });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (node.depth >= maxDepth) throw new HeraldError('HERALD_JSON_TOO_DEEP', [maxDepth], { part: 'body', path: pointer(node), max_depth: maxDepth });
    const depth = node.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth, key: i, parent: node });
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key.includes('\u0000')) throw new HeraldError('HERALD_NUL_CHARACTER', [`body ${pointer(node)} (a key)`], { part: 'body', path: pointer(node) });
      stack.push({ v: (v as Record<string, unknown>)[key], depth, key, parent: node });
    }
  }
}

/**
 * Parses JSON bodies for every route.
 * - JSON.parse keeps `__proto__` and `constructor` keys as own data properties (it never
 *   calls the prototype setter), so they are stored and delivered as the data they are;
 *   Fastify's default parser refused such bodies as "not valid JSON".
 * - An empty body with `Content-Type: application/json` is no body: bodyless operations
 *   (retry, new key, DELETE…) accept it, and routes that need a body refuse it by schema.
 * - Depth and NUL characters are checked here, once, for every route.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    const source = typeof text === 'string' ? text : text.toString('utf8');
    if (source.trim() === '') {
      done(null, undefined);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch {
      done(new HeraldError('HERALD_INVALID_JSON'), undefined);
      return;
    }
    try {
      checkJsonValue(value);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    done(null, value);
  });
}
