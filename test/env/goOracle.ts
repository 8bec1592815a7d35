// The Go oracle (test/env/oracle): a small Go program that answers, one JSON line per JSON
// request, what the real Go libraries say (gjson, regexp, time.ParseDuration, path,
// strconv, text/template with ESO's sprig, base64/base32). Unit tests compare vaultgate's
// ports with it. This module loads no Kubernetes client, so unit tests stay server-free.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { repoRoot } from './repoRoot.js';

export type OracleAnswer = Record<string, unknown>;

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { ...options, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (!error) resolve(stdout);
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error(`${command} not found on PATH: the Go oracle needs Go (see README prerequisites)`));
      else reject(new Error(`${command} ${args.join(' ')} failed: ${stderr || error.message}`));
    });
  });
}

/** The oracle binary, built into .cache/oracle/ under a name keyed by its module's files. */
async function oracleBinary(): Promise<string> {
  const source = join(repoRoot, 'test/env/oracle');
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join(source, file)));
  const binary = join(repoRoot, '.cache/oracle', `oracle-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(binary)) return binary;
  await run('go', ['version']);
  await mkdir(dirname(binary), { recursive: true });
  // Two test files may build at once: each writes its own file and renames it into place.
  const partial = `${binary}.${process.pid}.partial`;
  const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly', GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local' };
  try {
    await run('go', ['build', '-trimpath', '-o', partial, '.'], { cwd: source, env });
    await rename(partial, binary);
  } finally {
    await rm(partial, { force: true });
  }
  return binary;
}

/** One oracle process, every request on its stdin, one answer line per request. */
export async function askGo(requests: readonly object[]): Promise<OracleAnswer[]> {
  const binary = await oracleBinary();
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`oracle exited ${code}: ${Buffer.concat(err).toString()}`));
      const lines = Buffer.concat(out).toString('utf8').split('\n').filter((line) => line !== '');
      if (lines.length !== requests.length) return reject(new Error(`oracle answered ${lines.length} of ${requests.length} requests`));
      resolve(lines.map((line) => JSON.parse(line) as OracleAnswer));
    });
    child.stdin.end(requests.map((request) => JSON.stringify(request)).join('\n') + '\n');
  });
}

/**
 * JSON with sorted keys and every line separator escaped: U+2028, U+2029 and NEL (which
 * JSON.stringify leaves raw) end a TAP stream early when they reach it.
 */
export function tapSafeJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sorted(x)]))
      : v;
  return (JSON.stringify(sorted(value)) ?? 'undefined').replace(/[\u0085\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
