/** HTTP headers as a two-column table. */
export function HeadersTable({ headers, caption }: { headers: Record<string, string> | null | undefined; caption: string }) {
  const rows = Object.entries(headers ?? {});
  if (rows.length === 0) return <p className="muted">{caption}: none</p>;
  return (
    <div className="table-scroll" tabIndex={0} role="group" aria-label={caption}>
      <table className="headers">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Header</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>
                <code>{v}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
