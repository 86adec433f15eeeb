/**
 * `herald catalogue …`: load, list and show event types of a running Herald over its HTTP API.
 */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CatalogueError, loadCatalogueFile, shippedCatalogueNames } from '../catalogue/load.js';

const USAGE = `Usage:
  herald catalogue load <salesiq|smarterbot|file.json|file.yaml> [--replace]
                                   import a shipped catalogue or a catalogue file
  herald catalogue list [--json]   the event types Herald knows
  herald catalogue example <type>  the example envelope of an event type

They talk to a running Herald:
  HERALD_URL [http://127.0.0.1:$HERALD_PORT, port 8080 by default]
  HERALD_API_KEY (or HERALD_ADMIN_KEY)  a key with event_types:read; load needs
                                        event_types:write on every org
See docs/catalogue.md.`;

/** A failure to report on stderr with an exit code. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

interface Client {
  base: string;
  key: string;
  keyVar: string;
}

function client(env: NodeJS.ProcessEnv): Client {
  const port = env.HERALD_PORT?.trim() || '8080';
  const base = (env.HERALD_URL?.trim() || `http://127.0.0.1:${port}`).replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  try {
    const u = new URL(base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new CliError(`HERALD_URL is not an http(s) URL: "${base}". Set it to where Herald listens, e.g. http://127.0.0.1:8080`, 2);
  }
  const keyVar = env.HERALD_API_KEY ? 'HERALD_API_KEY' : env.HERALD_ADMIN_KEY ? 'HERALD_ADMIN_KEY' : null;
  if (keyVar === null) {
    throw new CliError(
      'no API key: set HERALD_API_KEY (or HERALD_ADMIN_KEY) to a key of this Herald, such as the admin key it printed when it first started',
      2,
    );
  }
  return { base, key: env[keyVar]!, keyVar };
}

interface ApiError {
  error?: { code?: string; message?: string; details?: unknown };
}

function problemLines(details: unknown): string {
  const d = details as { problems?: { path?: string; message?: string }[]; violations?: { path?: string; message?: string }[] } | null;
  const list = d?.problems ?? d?.violations ?? [];
  return list.map((p) => `\n  ${p.path ?? ''}: ${p.message ?? ''}`).join('');
}

async function call(c: Client, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const url = `${c.base}/api/v1${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${c.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? 'no answer within 30 s' : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new CliError(
      `cannot reach Herald at ${c.base} (${why}). Start it with "herald serve", or set HERALD_URL (or HERALD_PORT) to where it listens.`,
      2,
    );
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    throw new CliError(`${c.base} answered ${method} ${path} with status ${res.status} and a body that is not JSON: is HERALD_URL a Herald?`, 2);
  }
  if (res.ok) return parsed;
  const error = (parsed as ApiError | null)?.error;
  const code = error?.code ?? `HTTP ${res.status}`;
  const message = error?.message ?? text.slice(0, 200);
  if (res.status === 401) {
    throw new CliError(`Herald at ${c.base} refused the API key in ${c.keyVar} (${code}). Set ${c.keyVar} to a key of this Herald.`, 2);
  }
  if (res.status === 403) {
    throw new CliError(
      `the API key in ${c.keyVar} may not do this: ${message} (${code}). "catalogue load" needs a key over every org with event_types:write; list and example need event_types:read.`,
      2,
    );
  }
  if (code === 'HERALD_NOT_FOUND') {
    throw new CliError(`${c.base} has no route ${method} /api/v1${path}: is HERALD_URL a Herald of this version?`, 2);
  }
  throw new CliError(`${message} (${code})${problemLines(error?.details)}`, 1);
}

interface EventTypeView {
  name: string;
  kind: string;
  description: string;
  deprecated?: boolean;
}

interface ImportAnswer {
  catalogue: string | null;
  created: string[];
  updated: string[];
  unchanged: string[];
  skipped: string[];
}

async function load(c: Client, args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { replace: { type: 'boolean', default: false } }, allowPositionals: true });
  const target = positionals[0];
  if (target === undefined || positionals.length > 1) throw new CliError(`"catalogue load" takes one catalogue name or file.\n\n${USAGE}`, 2);
  const replace = values.replace === true;
  const isFile = statSync(target, { throwIfNoEntry: false })?.isFile() === true;
  let body: Record<string, unknown>;
  let label: string;
  if (!isFile && /^[a-z0-9][a-z0-9_-]*$/.test(target)) {
    body = { catalogue: target, replace };
    label = `catalogue ${target}`;
  } else if (isFile) {
    const cat = await loadCatalogueFile(target);
    body = { event_types: cat.event_types, replace };
    label = cat.catalogue ? `catalogue ${cat.catalogue} (${target})` : target;
  } else {
    const shipped = (await shippedCatalogueNames()).join(', ');
    throw new CliError(`no file ${target}, and it is not a catalogue name (shipped: ${shipped})`, 2);
  }
  const r = (await call(c, 'POST', '/event-types/import', body)) as ImportAnswer;
  const total = r.created.length + r.updated.length + r.unchanged.length + r.skipped.length;
  out.write(`Loaded ${label} into ${c.base}: ${total} event types.\n`);
  const rows: [string, string[]][] = [['created', r.created], ['updated', r.updated], ['unchanged', r.unchanged], ['skipped', r.skipped]];
  for (const [what, names] of rows) {
    if (names.length > 0) out.write(`  ${what.padEnd(9)} ${String(names.length).padStart(3)}  ${names.join(', ')}\n`);
  }
  if (r.skipped.length > 0) out.write('Skipped types differ from what Herald has and were kept; run again with --replace to overwrite them.\n');
  return 0;
}

async function list(c: Client, args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: false });
  // Every page (docs/api.md#pagination); a catalogue holds hundreds of types at most.
  const answer: { data: EventTypeView[] } = { data: [] };
  let cursor: string | null = null;
  for (let n = 0; n < 100; n++) {
    const page = (await call(c, 'GET', `/event-types?limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)) as { data: EventTypeView[]; next_cursor: string | null };
    answer.data.push(...page.data);
    cursor = page.next_cursor;
    if (cursor === null) break;
  }
  if (values.json === true) {
    out.write(`${JSON.stringify(answer.data, null, 2)}\n`);
    return 0;
  }
  if (answer.data.length === 0) {
    out.write('No event types yet. Load a catalogue: herald catalogue load salesiq\n');
    return 0;
  }
  const width = Math.max(4, ...answer.data.map((t) => t.name.length));
  out.write(`${'NAME'.padEnd(width)}  KIND   DESCRIPTION\n`);
  for (const t of answer.data) {
    out.write(`${t.name.padEnd(width)}  ${t.kind.padEnd(5)}  ${t.deprecated ? '(deprecated) ' : ''}${t.description}\n`);
  }
  return 0;
}

async function example(c: Client, args: string[], out: NodeJS.WritableStream): Promise<number> {
  const name = args[0];
  if (name === undefined || args.length > 1) throw new CliError(`"catalogue example" takes one event type name.\n\n${USAGE}`, 2);
  if (!/^[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)*$/.test(name)) throw new CliError(`"${name}" is not an event type name (module.action)`, 2);
  const envelope = await call(c, 'GET', `/event-types/${encodeURIComponent(name)}/example`);
  out.write(`${JSON.stringify(envelope, null, 2)}\n`);
  return 0;
}

/** Runs `herald catalogue <argv…>`; answers the exit code (0 ok, 1 Herald refused, 2 usage or connection). */
export async function catalogueCommand(
  argv: string[],
  io: { env?: NodeJS.ProcessEnv; out?: NodeJS.WritableStream; err?: NodeJS.WritableStream } = {},
): Promise<number> {
  const env = io.env ?? process.env;
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? err : out).write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  // Asked before anything else: help needs no API key and is never an argument.
  if (rest.includes('--help') || rest.includes('-h')) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  try {
    switch (sub) {
      case 'load':
        return await load(client(env), rest, out);
      case 'list':
        return await list(client(env), rest, out);
      case 'example':
        return await example(client(env), rest, out);
      default:
        throw new CliError(`unknown catalogue command "${sub}".\n\n${USAGE}`, 2);
    }
  } catch (e) {
    if (e instanceof CliError) {
      err.write(`herald: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof CatalogueError) {
      err.write(`herald: ${e.message}\n`);
      return 1;
    }
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      err.write(`herald: ${(e as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
}
