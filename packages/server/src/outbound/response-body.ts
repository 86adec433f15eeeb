import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/**
 * Reads at most `limit` bytes of a response body and drops the rest unread. Herald asks for
 * no compression, but a receiver may compress anyway: a gzip, deflate or br body is inflated
 * for the log and the cap counts inflated bytes, so a gzip bomb stops at the cap. Compressed
 * bytes read are bounded too (a stream that inflates to almost nothing is cut off).
 */
export async function readCapped(
  body: Readable,
  limit: number,
  contentEncoding: string | undefined,
): Promise<{ text: string; truncated: boolean }> {
  const decoder = decompressorFor(contentEncoding);
  let bodyFailed = false;
  body.once('error', () => (bodyFailed = true));
  if (decoder) {
    const rawLimit = limit * 8 + 65_536;
    let raw = 0;
    body.on('data', (chunk: Buffer) => {
      raw += chunk.length;
      if (raw > rawLimit) body.destroy(); // ends the loop below as a truncated body
    });
  }
  const source: Readable = decoder ? pipeline(body, decoder, () => undefined) : body;
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (size + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - size));
        size = limit;
        truncated = true;
        break; // leaving the loop destroys the stream: the rest is never read into memory
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (err) {
    // A body that says gzip but is not: keep what was inflated, note why the rest is missing.
    if (!decoder || bodyFailed) throw err;
    truncated = true;
  }
  if (truncated) {
    source.destroy();
    body.destroy();
  }
  return { text: printable(Buffer.concat(chunks)), truncated };
}

function decompressorFor(encoding: string | undefined) {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return null;
  }
}

/** UTF-8 text of the bytes, with NUL (which PostgreSQL text cannot hold) shown as U+FFFD. */
export function printable(bytes: Buffer): string {
  // eslint-disable-next-line no-control-regex
  return bytes.toString('utf8').replace(/\u0000/g, '\uFFFD');
}
