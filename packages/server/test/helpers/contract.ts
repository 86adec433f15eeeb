import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ApiResponse, TestHerald } from './herald.js';

interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
}
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; headers?: Record<string, { required?: boolean }> };
}

const API_PREFIX = '/api/v1';
/** Response headers Herald sends that the document must then name. */
const DOCUMENTED_HEADERS = ['idempotent-replayed', 'etag', 'x-request-id'];

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * Holds real answers to Herald's own OpenAPI document: the status must be documented for the
 * operation, and the body must validate against that status's schema (JSON Schema 2020-12, as
 * OpenAPI 3.1 says). Records which operations answered what, so a test can demand every one.
 */
export class ContractChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  /** operationId → statuses seen. */
  readonly seen = new Map<string, Set<number>>();

  constructor(readonly doc: OpenApiDocument) {
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema(doc as object, 'openapi');
  }

  static async load(h: TestHerald): Promise<ContractChecker> {
    const res = await fetch(`${h.url}/openapi.json`);
    assert.equal(res.status, 200);
    return new ContractChecker((await res.json()) as OpenApiDocument);
  }

  operations(): { method: string; path: string; op: Operation }[] {
    return Object.entries(this.doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op })));
  }

  /** The validator of a documented answer, or undefined when the status is not documented (or has no body). */
  validator(method: string, template: string, status: number): { operationId: string; validate: ValidateFunction | null } | undefined {
    const path = API_PREFIX + template;
    const op = this.doc.paths[path]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${path} is not in the document`);
    const key = [String(status), `${String(status)[0]}XX`].find((k) => op.responses[k]);
    if (!key) return undefined;
    const ref = `openapi#/${pointer('paths', path, method.toLowerCase(), 'responses', key, 'content', 'application/json', 'schema')}`;
    if (!op.responses[key]!.content) return { operationId: op.operationId, validate: null };
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.getSchema(ref);
      assert.ok(validate, `no schema at ${ref}`);
      this.validators.set(ref, validate);
    }
    return { operationId: op.operationId, validate };
  }

  /** Asserts one real answer conforms; `template` is the route as documented, e.g. /orgs/{org}. */
  check(method: string, template: string, res: ApiResponse): void {
    const where = `${method} ${template} → ${res.status}`;
    const found = this.validator(method, template, res.status);
    assert.ok(found, `${where}: this status is not documented (body ${JSON.stringify(res.body)})`);
    const statuses = this.seen.get(found.operationId) ?? new Set<number>();
    statuses.add(res.status);
    this.seen.set(found.operationId, statuses);
    if (found.validate === null) {
      assert.equal(res.body, null, `${where}: documented without a body, answered ${JSON.stringify(res.body)}`);
    } else {
      const ok = found.validate(res.body);
      assert.ok(ok, `${where}: the body does not match the document: ${this.ajv.errorsText(found.validate.errors)}\n${JSON.stringify(res.body)}`);
    }
    const named = this.responseHeaders(method, template, res.status);
    const documented = Object.keys(named).map((h) => h.toLowerCase());
    for (const header of DOCUMENTED_HEADERS) {
      if (res.headers.has(header)) assert.ok(documented.includes(header), `${where}: sends ${header}, which the document does not name`);
    }
    // A header the document says is always there (x-request-id, ETag) must be.
    for (const [name, ref] of Object.entries(named)) {
      const target = (ref as { $ref?: string }).$ref?.split('/').pop();
      const header = target === undefined ? (ref as { required?: boolean }) : this.doc.components.headers?.[target];
      if (header?.required) assert.ok(res.headers.has(name), `${where}: the document says ${name} is always sent; it was not`);
    }
  }

  private responseHeaders(method: string, template: string, status: number): Record<string, unknown> {
    const op = this.doc.paths[API_PREFIX + template]![method.toLowerCase()]!;
    const r = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`];
    return r?.headers ?? {};
  }
}

/** Calls Herald and checks the answer against the document in one step. */
export function contractClient(h: TestHerald, contract: ContractChecker) {
  return async <T = any>(
    method: string,
    template: string,
    params: Record<string, string> = {},
    body?: unknown,
    opts: Parameters<TestHerald['api']>[3] & { query?: string } = {},
  ): Promise<ApiResponse<T>> => {
    const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
      const v = params[name];
      assert.ok(v !== undefined, `no value for {${name}} in ${template}`);
      return encodeURIComponent(v);
    });
    const { query, ...rest } = opts;
    const res = await h.api<T>(method, path + (query ?? ''), body, rest);
    contract.check(method, template, res);
    return res;
  };
}
