import type { ReactNode } from 'react';

/**
 * A form field's hint and errors, tied to its input: spread `describedField(id, invalid)` on the
 * input, and render `<FieldMessages id={id} …>` after it.
 */
export function describedField(id: string, invalid: boolean) {
  return {
    id,
    'aria-invalid': invalid ? (true as const) : undefined,
    'aria-describedby': `${id}-hint${invalid ? ` ${id}-err` : ''}`,
  };
}

export function FieldMessages({ id, hint, errors }: { id: string; hint: ReactNode; errors: string | readonly string[] | undefined }) {
  const list = errors === undefined ? [] : typeof errors === 'string' ? [errors] : errors;
  return (
    <>
      <p id={`${id}-hint`} className="hint">
        {hint}
      </p>
      {list.length > 0 && (
        <div id={`${id}-err`}>
          {list.map((m) => (
            <p key={m} className="field-error">
              {m}
            </p>
          ))}
        </div>
      )}
    </>
  );
}
