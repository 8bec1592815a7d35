// The main thread's side of the parse workers: each body being parsed has a worker of its
// own (so stopping one request's runaway parse, by terminating its worker, never disturbs
// another), idle workers are kept for the next body, and every worker has a memory cap so a
// hostile body exhausts a worker, not the server. Batches arrive as an async iterator.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { BodyRejected, type PrepareOptions, type PreparedEntry } from './documents.js';
import type { ParseReply, ParseRequest } from './parseWorker.js';

export interface ParserPoolOptions {
  /** idle workers kept for the next body */
  maxIdle: number;
  /** heap of one worker; a body needing more is refused with a 413 */
  memoryLimitMb: number;
  batchSize: number;
}

/** The body needs more memory to read than one request may use. */
export class BodyTooDemanding extends Error {
  readonly statusCode = 413;
}

export class ParserPool {
  private readonly idle: Worker[] = [];
  private closed = false;

  constructor(
    private readonly options: ParserPoolOptions,
    private readonly log: Logger,
  ) {}

  private acquire(): Worker {
    const reused = this.idle.pop();
    if (reused) {
      reused.removeAllListeners('exit');
      return reused;
    }
    return this.spawn();
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./parseWorker.js', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryLimitMb },
    });
    worker.unref();
    return worker;
  }

  /** Starts a worker ahead of the first body: loading one takes a few hundred milliseconds. */
  warm(): void {
    if (this.idle.length === 0 && !this.closed) this.release(this.spawn());
  }

  private release(worker: Worker): void {
    if (this.closed || this.idle.length >= this.options.maxIdle) {
      void worker.terminate();
      return;
    }
    this.idle.push(worker);
    // A worker that dies while idle must not be handed the next body.
    worker.once('exit', () => {
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
    });
  }

  /** The body's objects in batches, in order. Aborting the signal stops the parse (the worker is terminated). */
  async *parse(body: Buffer, options: PrepareOptions, signal: AbortSignal): AsyncGenerator<PreparedEntry[]> {
    signal.throwIfAborted();
    const worker = this.acquire();
    const replies: ParseReply[] = [];
    let exit: { code: number; error?: Error } | undefined;
    let wake: (() => void) | undefined;
    const notify = () => wake?.();
    const onMessage = (reply: ParseReply) => {
      replies.push(reply);
      notify();
    };
    let workerError: Error | undefined;
    const onError = (error: Error) => {
      workerError = error;
    };
    const onExit = (code: number) => {
      exit = { code, ...(workerError ? { error: workerError } : {}) };
      notify();
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    signal.addEventListener('abort', notify);
    let finished = false;
    try {
      // Copy out of the (possibly pooled) Buffer into an ArrayBuffer the worker can own.
      const bytes = new Uint8Array(body.byteLength);
      bytes.set(body);
      worker.postMessage({ body: bytes.buffer, options, batchSize: this.options.batchSize } satisfies ParseRequest, [bytes.buffer]);
      for (;;) {
        signal.throwIfAborted();
        const reply = replies.shift();
        if (!reply) {
          if (exit) throw this.exitError(exit);
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (reply.type === 'batch') yield reply.entries;
        else if (reply.type === 'done') {
          finished = true;
          return;
        } else if (reply.type === 'rejected') throw new BodyRejected(reply.message);
        else throw new Error(`parse worker failed: ${reply.message}`);
      }
    } finally {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      signal.removeEventListener('abort', notify);
      if (finished && !exit) this.release(worker);
      else void worker.terminate();
    }
  }

  private exitError(exit: { code: number; error?: Error }): Error {
    if ((exit.error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return new BodyTooDemanding(`the body needs more than ${this.options.memoryLimitMb} MB to read; send a smaller one`);
    }
    this.log.error({ code: exit.code, err: exit.error }, 'parse worker exited');
    return new Error(`parse worker exited (code ${exit.code})`);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((worker) => worker.terminate()));
  }
}
