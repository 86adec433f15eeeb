import { useState } from 'react';

/** Copies text to the clipboard and says so (politely, to screen readers too). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<'copied' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('copied');
    } catch {
      // Clipboard access can be refused (insecure origin, frame policy): select-and-copy instead.
      setDone(fallbackCopy(text) ? 'copied' : 'failed');
    }
    window.setTimeout(() => setDone(null), 2500);
  };
  return (
    <span className="copy">
      <button type="button" className="button small" onClick={() => void copy()}>
        {label}
      </button>
      <span role="status" className="copy-status">
        {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed: select the text and copy it' : ''}
      </span>
    </span>
  );
}

function fallbackCopy(text: string): boolean {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}
