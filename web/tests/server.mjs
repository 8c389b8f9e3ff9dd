// The real mentorxr-server on 127.0.0.1, ports 0, a fresh data folder, and
// a small API client (bearer token) to seed it with real records.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startServer(binary) {
  const data = mkdtempSync(join(tmpdir(), 'mxr-web-'));
  const child = spawn(binary, ['--data', data, '--http-port', '0', '--port', '0', '--password-hash-cost', 'test',
    '--http-workers', '32', '--init-admin', 'admin@example.org:adminpassword'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no listening line within 30 s: ${stderr}`)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening http=(\d+) udp=(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${stderr}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    base, port, data,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(data, { recursive: true, force: true });
    },
  };
}

export class Api {
  constructor(base) { this.base = base; this.token = ''; }
  async call(method, path, body) {
    const res = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const data = text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return data;
  }
  async login(email, password) {
    this.token = (await this.call('POST', '/login', { email, password })).token;
    return this;
  }
}
