import jexlModule from 'jexl';

/**
 * Webhook rules (seed 001): a boolean expression over the envelope, such as
 * `entity.rating <= 2 and event == "conversation.rated"`. jexl interprets its own syntax tree
 * (no eval, no generated code) and can call only the functions registered here.
 * Operators: == != < <= > >=, in (list or string), and/or/not (also && || !), + - * /,
 * nested fields with dots, lists ["a", "b"], and exists(x).
 */
const engine = new jexlModule.Jexl();
// Below comparisons (20) and jexl's own && || (10): `a == 1 and b == 2 or c` reads as expected.
engine.addBinaryOp('or', 8, (l: unknown, r: unknown) => Boolean(l) || Boolean(r));
engine.addBinaryOp('and', 9, (l: unknown, r: unknown) => Boolean(l) && Boolean(r));
engine.addUnaryOp('not', (v: unknown) => !v);
engine.addFunction('exists', (v: unknown) => v !== undefined && v !== null);

export class FilterError extends Error {
  readonly code = 'HERALD_FILTER_INVALID';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

export interface CompiledFilter {
  matches(envelope: Record<string, unknown>): boolean;
}

const MAX_LENGTH = 2000;
const cache = new Map<string, CompiledFilter>();

/** Where a jexl error happened: jexl names the offending token, so it is found in the text. */
function errorPosition(expr: string, message: string): number {
  if (/end of expression/i.test(message)) return expr.length;
  const m = /Token (.+?) \(/.exec(message) ?? /character: (.)/i.exec(message);
  const at = m ? expr.indexOf(m[1]!) : -1;
  return at >= 0 ? at : 0;
}

/** jexl accepts an unclosed "(": brackets are checked here, outside string literals. */
function checkBrackets(expr: string): void {
  const open: { ch: string; at: number }[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  let quote: string | null = null;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') open.push({ ch, at: i });
    else if (ch in pairs) {
      if (open.pop()?.ch !== pairs[ch]) throw new FilterError(`"${ch}" closes nothing`, i);
    }
  }
  if (quote) throw new FilterError('a string is not closed', expr.length);
  const last = open.pop();
  if (last) throw new FilterError(`"${last.ch}" is not closed`, last.at);
}

/** Parses a rule, or throws FilterError with the position (0-based) of the problem. */
export function compileFilter(expr: string): CompiledFilter {
  const hit = cache.get(expr);
  if (hit) return hit;
  if (expr.length > MAX_LENGTH) throw new FilterError(`a rule is at most ${MAX_LENGTH} characters`, MAX_LENGTH);
  if (expr.trim() === '') throw new FilterError('the rule is empty', 0);
  checkBrackets(expr);
  let compiled: ReturnType<typeof engine.compile>;
  try {
    compiled = engine.compile(expr);
    // Parse errors surface on first evaluation in some jexl versions: evaluate once on an empty envelope.
    compiled.evalSync({});
  } catch (err) {
    const message = (err as Error).message;
    if (/unexpected|invalid|end of expression|not defined|missing/i.test(message)) {
      throw new FilterError(message, errorPosition(expr, message));
    }
    // A runtime error on the empty envelope (e.g. a function of a missing field) is not a syntax error.
  }
  const filter: CompiledFilter = {
    matches(envelope) {
      try {
        return Boolean(compiled.evalSync(envelope));
      } catch {
        // A rule that cannot be evaluated on this event (a field of the wrong type) does not match.
        return false;
      }
    },
  };
  if (cache.size > 10_000) cache.clear();
  cache.set(expr, filter);
  return filter;
}
