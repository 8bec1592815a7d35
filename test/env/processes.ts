// Child processes of the test stack: each writes its output to a log file in the stack's
// directory, and every one still alive is killed when this process exits, so a failing or
// interrupted test never leaves a server running.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // Someone else (make dev) stops things gracefully; otherwise kill and go.
      if (process.listenerCount(signal) > 1) return;
      for (const child of live) child.kill('SIGKILL');
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

export class ServerProcess {
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** how the last run ended (undefined while it runs) */
  exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv = {},
  ) {
    this.logFile = join(dir, `${name}.log`);
  }

  start(): void {
    installExitHook();
    const log = openSync(this.logFile, 'a');
    const child = spawn(this.command, this.args, {
      cwd: this.dir,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...this.env },
    });
    closeSync(log);
    live.add(child);
    this.child = child;
    this.exitStatus = undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.exitStatus = { code, signal };
        resolve();
      });
      child.once('error', () => {
        live.delete(child);
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Sends a signal and returns at once (stop() is the graceful way that waits). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child?.kill(signal);
  }

  /** Resolves when the process has exited. */
  waitExit(): Promise<void> {
    return this.exited;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return this.exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/**
 * Ports below the kernel's ephemeral range: a port found free there is not taken a moment
 * later as the local port of some outgoing connection (tests open thousands), which ports
 * the kernel hands out from that range are. Chosen at random, so test files running in
 * parallel rarely pick the same one.
 */
const LISTEN_PORTS = (() => {
  let ephemeralLow = Number.NaN;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // not Linux: the kernel picks below
  }
  const high = Number.isInteger(ephemeralLow) && ephemeralLow > 12_000 ? ephemeralLow - 1 : 0;
  return { low: 10_000, high };
})();

export async function freePort(): Promise<number> {
  if (LISTEN_PORTS.high > 0) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = LISTEN_PORTS.low + Math.floor(Math.random() * (LISTEN_PORTS.high - LISTEN_PORTS.low + 1));
      if (await portIsFree(port)) return port;
    }
  }
  // No usable range known: let the kernel choose.
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Two adjacent free ports (OpenBao dev mode puts its cluster listener on port + 1). */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await portIsFree(port + 1))) return port;
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; process?: ServerProcess } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    if (options.process && !options.process.running) {
      throw new Error(`${options.process.name} exited while waiting for ${what}:\n${options.process.logTail()}`);
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? lastError.message : String(lastError ?? 'not ready');
      const log = options.process ? `\n${options.process.logTail()}` : '';
      throw new Error(`timed out waiting for ${what}: ${detail}${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
