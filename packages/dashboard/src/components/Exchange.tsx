import type { DirectResult } from '../api/types';
import { formatMs, prettyBody } from '../format';
import { CodeBlock } from './CodeBlock';
import { HeadersTable } from './HeadersTable';

/** The full exchange of a test send or trial run: what went out and what came back. */
export function Exchange({ result, title }: { result: DirectResult; title: string }) {
  const r = result.response;
  return (
    <section className="exchange" aria-label={title}>
      <p className="exchange-verdict">
        <span className={`badge ${result.succeeded ? 'ok' : 'bad'}`}>{result.succeeded ? 'Succeeded' : 'Failed'}</span>{' '}
        {r ? `HTTP ${r.status}` : 'No response'} in {formatMs(result.duration_ms)}
        {result.error && (
          <span className="error">
            {' '}
            — {result.error.code}: {result.error.message}
          </span>
        )}
      </p>
      <div className="exchange-grid">
        <div>
          <h4>Request</h4>
          {result.request ? (
            <>
              <p className="break">
                <code>
                  {result.request.method} {result.request.url}
                </code>
              </p>
              <HeadersTable headers={result.request.headers} caption="Request headers" />
              <CodeBlock text={prettyBody(result.request.body)} label="Request body" copy />
            </>
          ) : (
            <p>No request was made.</p>
          )}
        </div>
        <div>
          <h4>Response</h4>
          {r ? (
            <>
              <p>
                Status <strong>{r.status}</strong>
              </p>
              <HeadersTable headers={r.headers} caption="Response headers" />
              <CodeBlock text={prettyBody(r.body)} label="Response body" />
              {r.truncated && <p className="muted small-text">The body was longer than Herald keeps; it is cut.</p>}
            </>
          ) : (
            <p>No response: {result.error?.message ?? 'the request did not complete'}.</p>
          )}
        </div>
      </div>
    </section>
  );
}
