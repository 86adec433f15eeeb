// Process bookkeeping for the orchestrator: every child is registered here and killed at the
// end, on error and on SIGINT/SIGTERM. Cleanup hooks (drop databases, restore Redis settings,
// remove temp dirs) run once, last registered first.
import { fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { HOST } from './constants.mjs';

const live = new Map(); // pid -> { child, name }
const cleanups = [];
let logDir = null;
let shuttingDown = false;

export function setLogDir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  logDir = dir;
}
export function getLogDir() {
  return logDir;
}

function logStream(name) {
  if (!logDir) return 'ignore';
  const file = path.join(logDir, `${name}.log`);
  return fs.openSync(file, 'a');
}

function register(child, name, fds) {
  if (!child.pid) throw new Error(`failed to start ${name}`);
  const entry = { child, name, exited: false, code: null, signal: null };
  live.set(child.pid, entry);
  entry.exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      entry.exited = true;
      entry.code = code;
      entry.signal = signal;
      live.delete(child.pid);
      for (const fd of fds) if (typeof fd === 'number') try { fs.closeSync(fd); } catch { /* closed */ }
      resolve({ code, signal });
    });
  });
  child.bench = entry;
  return child;
}

export function isShuttingDown() {
  return shuttingDown;
}

function refuseIfShuttingDown(name) {
  if (shuttingDown) throw new Error(`not starting ${name}: the bench is shutting down`);
}

/** Start a node script with an IPC channel (receiver, load, baseline parts, pg proxy). */
export function forkTracked(script, args, { name, env } = {}) {
  refuseIfShuttingDown(name);
  const out = logStream(name);
  const child = fork(script, args ?? [], {
    stdio: ['ignore', out, out, 'ipc'],
    env: { ...process.env, ...(env ?? {}) },
    serialization: 'advanced',
  });
  return register(child, name, [out]);
}

/** Start any command without IPC (Herald). stdout/stderr go to the run's log dir. */
export function spawnTracked(cmd, args, { name, env, cwd } = {}) {
  refuseIfShuttingDown(name);
  const out = logStream(name);
  const child = spawn(cmd, args, { stdio: ['ignore', out, out], env: { ...process.env, ...(env ?? {}) }, cwd });
  return register(child, name, [out]);
}

/** SIGTERM, wait up to graceMs, then SIGKILL. Resolves with the exit info. */
export async function stopChild(child, { signal = 'SIGTERM', graceMs = 15000 } = {}) {
  const entry = child.bench;
  if (!entry || entry.exited) return entry ? { code: entry.code, signal: entry.signal, killed: false } : null;
  try { child.kill(signal); } catch { /* gone */ }
  let timer;
  const timedOut = new Promise((r) => { timer = setTimeout(() => r('timeout'), graceMs); });
  const res = await Promise.race([entry.exitPromise, timedOut]);
  clearTimeout(timer);
  if (res === 'timeout') {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
    const r2 = await entry.exitPromise;
    return { ...r2, killed: true };
  }
  return { ...res, killed: false };
}

export function liveChildren() {
  return [...live.values()];
}

export async function killAll(graceMs = 3000) {
  await Promise.all([...live.values()].map((e) => stopChild(e.child, { graceMs })));
}

export function onCleanup(fn) {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

export async function runCleanups() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await Promise.race([fn(), new Promise((r) => setTimeout(r, 20000))]);
    } catch (err) {
      console.error(`cleanup failed: ${err?.message ?? err}`);
    }
  }
}

export async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  await killAll();
  await runCleanups();
  process.exit(code);
}

export function installSignalHandlers() {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping all bench processes and cleaning up...`);
      shutdown(130);
    });
  }
  process.on('uncaughtException', (err) => {
    console.error('uncaught exception:', err);
    shutdown(1);
  });
  process.on('unhandledRejection', (err) => {
    console.error('unhandled rejection:', err);
    shutdown(1);
  });
  // Last resort if the event loop is already going down: never leave children behind.
  process.on('exit', () => {
    for (const { child } of live.values()) try { child.kill('SIGKILL'); } catch { /* gone */ }
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
