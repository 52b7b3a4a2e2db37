#!/usr/bin/env node
// CTest driver of the browser tests: starts the real hbf on a free loopback
// port with a fresh storage folder, creates a henv and its owner through
// POST /new, runs admin_test.mjs against it in Debian's chromium, and stops
// hbf. Usage: node run.mjs <path to hbf> <screenshot folder>
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [hbfPath, shotDir] = process.argv.slice(2);
if (!hbfPath || !shotDir) {
  console.error('usage: node run.mjs <hbf> <screenshot dir>');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// node:http, not fetch: fetch may not set Host, and routing is by Host.
function request(port, host, method, urlPath, body) {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, timeout: 10000,
        headers: { host, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(data);
  });
}

const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'hbf-browser-'));
const port = await freePort();
const hbf = spawn(hbfPath, ['--port', String(port), '--storage_dir', storage, '--base_domain', 'localhost'], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
let exitCode = 1;
try {
  // Ready within 10 s (bounded: 100 tries).
  let ready = false;
  for (let i = 0; i < 100 && !ready; i++) {
    try {
      ready = (await request(port, 'localhost', 'GET', '/health')).status === 200;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (!ready) throw new Error('hbf did not become ready');
  const owner = { username: 'browser-owner', email: 'owner@example.com', password: 'correct-horse-battery' };
  const created = await request(port, 'localhost', 'POST', '/new', owner);
  if (created.status !== 201 && created.status !== 200) throw new Error(`POST /new: ${created.status} ${created.body}`);
  const hash = JSON.parse(created.body).user_hash;
  const child = spawn(process.execPath, [path.join(here, 'admin_test.mjs')], {
    stdio: 'inherit',
    env: {
      ...process.env,
      HBF_URL: `http://${hash}.localhost:${port}`,
      HBF_USER: owner.username,
      HBF_PASSWORD: owner.password,
      SHOT_DIR: shotDir,
    },
  });
  exitCode = await new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
} catch (e) {
  console.error(`browser test: ${e.message}`);
} finally {
  hbf.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  fs.rmSync(storage, { recursive: true, force: true });
}
process.exit(exitCode);
