import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

// Tiny request/response over the Node IPC channel.
// Parent: `await request(child, 'stats', {...})`; child: `serveIpc({ stats: async (args) => ... })`.
// Children may also push `{ type: 'progress', ... }` notes; parents subscribe with onNote().

let nextId = 1;

export function request(child, cmd, args = {}, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    if (!child.connected) return reject(new Error(`${child.bench?.name ?? 'child'} is not connected (cmd ${cmd})`));
    const rid = nextId++;
    const timer = setTimeout(() => {
      child.off('message', onMsg);
      child.off('exit', onExit);
      reject(new Error(`${child.bench?.name ?? 'child'}: no answer to ${cmd} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onExit = (code, signal) => {
      clearTimeout(timer);
      child.off('message', onMsg);
      reject(new Error(`${child.bench?.name ?? 'child'} exited (${code ?? signal}) before answering ${cmd}`));
    };
    const onMsg = (m) => {
      if (!m || m.rid !== rid) return;
      clearTimeout(timer);
      child.off('message', onMsg);
      child.off('exit', onExit);
      if (m.error) reject(new Error(`${child.bench?.name ?? 'child'}: ${cmd} failed: ${m.error}`));
      else resolve(m.result);
    };
    child.on('message', onMsg);
    child.once('exit', onExit);
    child.send({ rid, cmd, args });
  });
}

export function onNote(child, fn) {
  const h = (m) => {
    if (m && m.type === 'note') fn(m);
  };
  child.on('message', h);
  return () => child.off('message', h);
}

/** Wait for a child's first `{type:'ready', ...}` message. */
export function waitReady(child, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${child.bench?.name ?? 'child'} not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMsg = (m) => {
      if (m && m.type === 'ready') {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`${child.bench?.name ?? 'child'} exited (${code ?? signal}) before ready`));
    };
    function cleanup() {
      clearTimeout(timer);
      child.off('message', onMsg);
      child.off('exit', onExit);
    }
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

// ---- child side ----

export function serveIpc(handlers) {
  process.on('message', async (m) => {
    if (!m || typeof m.cmd !== 'string') return;
    const h = handlers[m.cmd];
    if (!h) {
      process.send?.({ rid: m.rid, error: `unknown command ${m.cmd}` });
      return;
    }
    try {
      const result = await h(m.args ?? {});
      process.send?.({ rid: m.rid, result });
    } catch (err) {
      process.send?.({ rid: m.rid, error: String(err?.stack ?? err) });
    }
  });
  // The orchestrator is gone: do not linger.
  process.on('disconnect', () => process.exit(0));
}

export function note(payload) {
  process.send?.({ type: 'note', ...payload });
}

export function ready(payload = {}) {
  process.send?.({ type: 'ready', ...payload });
}

export function isMain(importMetaUrl) {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(fileURLToPath(importMetaUrl)) === fs.realpathSync(process.argv[1]);
  } catch {
    return false;
  }
}
