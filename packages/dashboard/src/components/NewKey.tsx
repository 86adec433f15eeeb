import type { WebhookKey } from '../api/types';
import { CodeBlock } from './CodeBlock';

/**
 * A key as the API answered it: a secret is shown here once and never again; a public key
 * can be read any time (PEM and, for RSA, the XML form seed 004's receivers use).
 */
export function KeyMaterial({ k }: { k: WebhookKey }) {
  return (
    <>
      {k.secret && (
        <>
          <p>
            <strong>Signing secret</strong> — copy it now: Herald shows it only once.
          </p>
          <CodeBlock text={k.secret} label="Signing secret" copy wrap />
        </>
      )}
      {k.public_key && (
        <>
          <p className="key-format">{k.public_key.startsWith('-----BEGIN') ? 'Public key (PEM)' : 'Public key'}</p>
          <CodeBlock text={k.public_key} label={k.public_key.startsWith('-----BEGIN') ? 'Public key PEM' : 'Public key'} copy wrap />
        </>
      )}
      {k.public_key_xml && (
        <>
          <p className="key-format">Public key (XML)</p>
          <CodeBlock text={k.public_key_xml} label="Public key XML" copy wrap />
        </>
      )}
      {!k.secret && !k.public_key && <p className="muted">A shared secret: it was shown once, when the key was made, and is not shown again.</p>}
    </>
  );
}
