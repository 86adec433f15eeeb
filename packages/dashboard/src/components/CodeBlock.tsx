import { CopyButton } from './CopyButton';

/**
 * Preformatted text (JSON, keys) that scrolls inside itself (or wraps, for keys); focusable so a
 * keyboard can scroll it, and labelled so a screen reader says what it is.
 */
export function CodeBlock({ text, label, copy = false, wrap = false }: { text: string; label: string; copy?: boolean; wrap?: boolean }) {
  return (
    <div className="code-block">
      {copy && (
        <div className="code-tools">
          <CopyButton text={text} label={`Copy ${label.charAt(0).toLowerCase()}${label.slice(1)}`} />
        </div>
      )}
      <pre tabIndex={0} aria-label={label} className={wrap ? 'wrap' : undefined}>
        <code>{text === '' ? '(empty)' : text}</code>
      </pre>
    </div>
  );
}
