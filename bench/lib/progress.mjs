// Progress lines for long runs: at most one line every `everyMs` per label.
import { fmtNum } from './stats.mjs';

export function progressPrinter(label, everyMs = 2000) {
  let last = 0;
  return (m) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    const parts = [];
    if (m.phase) parts.push(m.phase);
    if (m.done !== undefined) parts.push(m.total ? `${fmtNum(m.done)}/${fmtNum(m.total)}` : fmtNum(m.done));
    if (m.elapsedMs !== undefined) parts.push(`${(m.elapsedMs / 1000).toFixed(1)} s`);
    if (m.done !== undefined && m.elapsedMs > 0) parts.push(`${fmtNum(m.done / (m.elapsedMs / 1000))}/s`);
    if (m.outstanding !== undefined) parts.push(`outstanding ${m.outstanding}`);
    if (m.text) parts.push(m.text);
    console.log(`    … ${label}: ${parts.join(' · ')}`);
  };
}
