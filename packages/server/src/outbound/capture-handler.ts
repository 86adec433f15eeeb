import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import { printable, readCapped } from './response-body.js';

/** What one request ended with: a response (body read up to the cap) or an error. */
export type Captured =
  | { ok: true; status: number; headers: Record<string, string>; body: string; truncated: boolean }
  | { ok: false; error: unknown };

/**
 * Headers that manage the connection between Herald and the receiver rather than describe the
 * response (RFC 9110 §7.6.1: a proxy drops them too). They are not kept: every attempt row
 * would carry `connection: keep-alive` and `keep-alive: timeout=5` from most servers.
 */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection']);

type Controller = Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestStart']>>[0];

/**
 * An undici dispatch handler that keeps a response: status, headers (repeated ones joined
 * with ", ") and the body up to `limit` bytes. It is the cheap path (no response stream, no
 * AbortSignal, no promise per chunk): on a fast receiver it costs less than half of
 * `request()` per attempt. A body over the cap ends the request (the rest is never read).
 * A compressed body goes through readCapped, which inflates it within the same cap.
 *
 * `end()` settles it from outside: the attempt deadline calls it, and the request is aborted
 * as soon as undici hands over its controller (a request still waiting for a socket is
 * aborted when it gets one; its caller has its answer already).
 */
export class CaptureHandler implements Dispatcher.DispatchHandler {
  private controller: Controller | null = null;
  private settled = false;
  private abortReason: Error | null = null;
  private status = 0;
  private headers: Record<string, string> = {};
  private chunks: Buffer[] = [];
  private size = 0;
  /** Set for a compressed body: chunks go to readCapped through this stream. */
  private inflating: PassThrough | null = null;

  constructor(
    private readonly limit: number,
    private readonly settle: (c: Captured) => void,
  ) {}

  /** Ends the request now with `reason` (the deadline passed, or the worker stops). */
  end(reason: Error): void {
    this.abortReason = reason;
    this.finish({ ok: false, error: reason });
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_c: Controller, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx informational: the real answer follows
    this.status = statusCode;
    const flat: Record<string, string> = {};
    for (const k in headers) {
      const v = headers[k];
      if (v !== undefined && !CONNECTION_HEADERS.has(k)) flat[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    this.headers = flat;
    const encoding = flat['content-encoding']?.trim().toLowerCase();
    if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate' || encoding === 'br') {
      const raw = new PassThrough();
      this.inflating = raw;
      readCapped(raw, this.limit, encoding).then(
        ({ text, truncated }) => this.finish(this.response(text, truncated)),
        (error: unknown) => this.finish({ ok: false, error }),
      );
    }
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.settled) return;
    if (this.inflating) {
      // readCapped bounds the compressed bytes it reads and ends the stream past them.
      if (this.inflating.destroyed) controller.abort(new Error('response body cut off at the cap'));
      else this.inflating.write(chunk);
      return;
    }
    if (this.size + chunk.length > this.limit) {
      this.chunks.push(chunk.subarray(0, this.limit - this.size));
      this.size = this.limit;
      this.finish(this.response(this.text(), true));
      controller.abort(new Error('response body cut off at the cap'));
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    if (this.inflating) {
      this.inflating.end();
      return;
    }
    this.finish(this.response(this.text(), false));
  }

  onResponseError(_c: Controller, error: Error): void {
    if (this.inflating && !this.inflating.destroyed) {
      this.inflating.destroy(error);
      return;
    }
    this.finish({ ok: false, error });
  }

  private response(body: string, truncated: boolean): Captured {
    return { ok: true, status: this.status, headers: this.headers, body, truncated };
  }

  private text(): string {
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    return printable(bytes);
  }

  private finish(c: Captured): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(c);
  }
}
