// CPU seconds and peak RSS of processes, read from /proc.
//   /proc/<pid>/stat   fields 14/15 utime/stime in clock ticks (all threads of the process)
//   /proc/<pid>/status VmHWM (peak resident set) and VmRSS
// A Meter samples its processes every 250 ms so figures survive a process that exits before
// the phase ends (the last sample is kept). For processes the bench owns, the peak can be
// reset at phase start by writing "5" to /proc/<pid>/clear_refs.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch { /* keep 100 */ }

export function readProc(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime is field 14 -> rest[11], stime field 15 -> rest[12]
    const ticks = Number(rest[11]) + Number(rest[12]);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    return {
      cpuS: ticks / CLK_TCK,
      hwmKb: hwm ? Number(hwm[1]) : 0,
      rssKb: rss ? Number(rss[1]) : 0,
      state: rest[0],
    };
  } catch {
    return null;
  }
}

export function resetPeak(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** PIDs of every process whose comm is `name` (e.g. the postgres server and its backends). */
export function pidsByComm(name) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === name) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

/**
 * Measures a set of named processes over one phase.
 *   meter.add('herald', pid, { resetPeak: true })
 *   meter.addGroup('postgres', () => pidsByComm('postgres'))   // CPU only, summed
 *   const figures = meter.stop()  // { herald: { cpu_s, peak_rss_mb }, ... }
 */
export class Meter {
  constructor(intervalMs = 250) {
    this.items = new Map();
    this.groups = new Map();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /**
   * reset:        clear the process's VmHWM now (only for processes the bench started)
   * fresh:        the process started for this phase: its VmHWM is the phase peak
   * cpuFromStart: count CPU since the process started (e.g. a worker spawned by the phase)
   */
  add(name, pid, { reset = false, fresh = false, cpuFromStart = false } = {}) {
    if (!pid) return;
    const resetOk = reset ? resetPeak(pid) : false;
    const first = readProc(pid);
    this.items.set(name, {
      pid,
      cpu0: cpuFromStart ? 0 : first?.cpuS ?? 0,
      last: first,
      peakRssKb: first?.rssKb ?? 0,
      peakHwmKb: first?.hwmKb ?? 0,
      peakValid: resetOk || fresh || cpuFromStart,
    });
  }

  addGroup(name, listPids) {
    const start = new Map();
    for (const pid of listPids()) {
      const r = readProc(pid);
      if (r) start.set(pid, r.cpuS);
    }
    this.groups.set(name, { listPids, start, last: new Map(start), peakRssKb: 0 });
  }

  sample() {
    for (const it of this.items.values()) {
      const r = readProc(it.pid);
      if (!r || r.state === 'Z') continue;
      it.last = r;
      it.peakRssKb = Math.max(it.peakRssKb, r.rssKb);
      it.peakHwmKb = Math.max(it.peakHwmKb, r.hwmKb);
    }
    for (const g of this.groups.values()) {
      let rss = 0;
      for (const pid of g.listPids()) {
        const r = readProc(pid);
        if (!r) continue;
        g.last.set(pid, r.cpuS);
        rss += r.rssKb;
      }
      g.peakRssKb = Math.max(g.peakRssKb, rss);
    }
  }

  /** Figures so far without stopping. */
  snapshot() {
    this.sample();
    const out = {};
    for (const [name, it] of this.items) {
      // VmHWM is the kernel's exact peak; for processes whose peak could not be reset we fall
      // back to the sampled VmRSS maximum (the lifetime VmHWM would predate the phase).
      const peakKb = it.peakValid ? Math.max(it.peakHwmKb, it.peakRssKb) : it.peakRssKb;
      out[name] = {
        cpu_s: round2((it.last?.cpuS ?? it.cpu0) - it.cpu0),
        peak_rss_mb: round1(peakKb / 1024),
      };
    }
    for (const [name, g] of this.groups) {
      let cpu = 0;
      for (const [pid, c] of g.last) cpu += c - (g.start.get(pid) ?? 0);
      out[name] = { cpu_s: round2(cpu), peak_rss_mb: round1(g.peakRssKb / 1024), summed: true };
    }
    return out;
  }

  stop() {
    const out = this.snapshot();
    clearInterval(this.timer);
    return out;
  }
}

const round1 = (x) => Math.round(x * 10) / 10;
const round2 = (x) => Math.round(x * 100) / 100;
