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

/** Busy and total CPU seconds of the whole machine since boot (/proc/stat, all cpus). */
export function systemCpu() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice
    // Process-attributable time is user+nice+system; irq/softirq (loopback networking is
    // largely softirq) and steal are not charged to processes, so they are kept apart.
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const proc = v[0] + v[1] + v[2];
    return { busyS: proc / CLK_TCK, irqS: ((v[5] ?? 0) + (v[6] ?? 0)) / CLK_TCK, stealS: (v[7] ?? 0) / CLK_TCK, totalS: total / CLK_TCK };
  } catch {
    return null;
  }
}

function allProcCpu() {
  const m = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      m.set(Number(d), { comm, cpuS: (Number(rest[11]) + Number(rest[12])) / CLK_TCK });
    } catch { /* gone */ }
  }
  return m;
}

/** Machine busy fraction over `ms` and the processes that used the most CPU meanwhile. */
export async function busyReport(ms = 1000) {
  const a = systemCpu();
  const pa = allProcCpu();
  await new Promise((r) => setTimeout(r, ms));
  const b = systemCpu();
  const pb = allProcCpu();
  const top = [];
  for (const [pid, v] of pb) {
    const d = v.cpuS - (pa.get(pid)?.cpuS ?? v.cpuS);
    if (d > 0) top.push({ pid, comm: v.comm, cpu_s: Math.round(d * 100) / 100 });
  }
  top.sort((x, y) => y.cpu_s - x.cpu_s);
  const frac = !a || !b || b.totalS === a.totalS ? 0 : (b.busyS + b.irqS - a.busyS - a.irqS) / (b.totalS - a.totalS);
  return { busy: frac, top: top.slice(0, 4) };
}

/** Fraction of the machine's CPU busy over `ms` (0..1). */
export async function busyFraction(ms = 500) {
  const a = systemCpu();
  await new Promise((r) => setTimeout(r, ms));
  const b = systemCpu();
  if (!a || !b || b.totalS === a.totalS) return 0;
  return (b.busyS - a.busyS) / (b.totalS - a.totalS);
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
    this.sys0 = systemCpu();
    this.procs0 = allProcCpu();
    this.self0 = process.cpuUsage();
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

  /**
   * CPU the machine spent outside the measured processes and this orchestrator during the
   * phase (other users of the machine, kernel threads, processes the meter does not know).
   */
  unaccounted(figures) {
    const sys1 = systemCpu();
    if (!this.sys0 || !sys1) return null;
    const self = process.cpuUsage(this.self0);
    const ours = Object.values(figures).reduce((a, r) => a + r.cpu_s, 0) + (self.user + self.system) / 1e6;
    // a process's stime includes the softirq work done on its behalf (loopback TCP), which
    // /proc/stat books under softirq: compare against busy + irq so a quiet machine gives ~0
    const busy = sys1.busyS - this.sys0.busyS + (sys1.irqS - this.sys0.irqS);
    const capacity = sys1.totalS - this.sys0.totalS;
    // who else used the CPU (long-lived processes only; short-lived ones escape this)
    const mine = new Set([process.pid, ...[...this.items.values()].map((i) => i.pid)]);
    for (const g of this.groups.values()) for (const pid of g.last.keys()) mine.add(pid);
    const others = [];
    for (const [pid, v] of allProcCpu()) {
      if (mine.has(pid)) continue;
      const d = v.cpuS - (this.procs0.get(pid)?.cpuS ?? 0);
      if (d >= 0.05) others.push(`${v.comm}[${pid}] ${round2(d)}s`);
    }
    others.sort((a, b) => parseFloat(b.split('] ')[1]) - parseFloat(a.split('] ')[1]));
    return {
      top_others: others.slice(0, 5),
      busy_s: round2(busy),
      capacity_s: round2(capacity),
      irq_s: round2(sys1.irqS - this.sys0.irqS),
      steal_s: round2(sys1.stealS - this.sys0.stealS),
      unaccounted_s: round2(busy - ours),
    };
  }

  stop() {
    if (this.stopped) return this.stopped;
    const out = this.snapshot();
    clearInterval(this.timer);
    const u = this.unaccounted(out);
    if (u) out._machine = u;
    this.stopped = out;
    return out;
  }
}

const round1 = (x) => Math.round(x * 10) / 10;
const round2 = (x) => Math.round(x * 100) / 100;
