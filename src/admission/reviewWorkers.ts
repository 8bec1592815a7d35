// The main thread's side of the review worker: large AdmissionReview bodies are handed to
// a worker thread (the bytes are transferred, not copied) and decided through it. Each
// review has its own id and at most one call in flight (parse, analyze, decide, patch, in
// that order), so a reply always finds its one waiter. A worker that dies fails its pending
// calls (the failure mode then decides) and is replaced.
import { Worker } from 'node:worker_threads';
import type { DecisionFacts, JsonPatchOperation, VaultAnswer, VaultRequest, Verdict } from '../core/facts.js';
import type { Logger } from '../log.js';
import type { AdmissionHeader, RemoteReview } from './subject.js';

export type WorkerRequest =
  | { id: number; op: 'parse'; body: ArrayBuffer }
  | { id: number; op: 'analyze'; facts: DecisionFacts }
  | { id: number; op: 'decide'; answers: Map<string, VaultAnswer> }
  | { id: number; op: 'patch' }
  | { id: number; op: 'release' };

export type WorkerReply =
  | { id: number; ok: false; message: string }
  | { id: number; ok: true; header: AdmissionHeader }
  | { id: number; ok: true; vault?: VaultRequest }
  | { id: number; ok: true; verdict: Verdict }
  | { id: number; ok: true; operations: JsonPatchOperation[] };

type Waiter = { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void };

export class ReviewWorker {
  private worker: Worker;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly log: Logger) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./reviewWorker.js', import.meta.url));
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      waiter?.resolve(reply);
    });
    worker.on('error', (error) => this.log.error({ err: error }, 'review worker failed'));
    worker.on('exit', (code) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`review worker exited (code ${code})`));
      this.waiting.clear();
      if (!this.closed) this.worker = this.spawn();
    });
    return worker;
  }

  private call(message: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.waiting.set(message.id, { resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }

  /** Hands a body to the worker; the review then lives there until released. */
  async parse(body: Buffer): Promise<{ ok: true; review: RemoteReview } | { ok: false; message: string }> {
    const id = ++this.nextId;
    // Copy out of the (possibly pooled) Buffer into an ArrayBuffer the worker can own.
    const bytes = new Uint8Array(body.byteLength);
    bytes.set(body);
    const reply = await this.call({ id, op: 'parse', body: bytes.buffer }, [bytes.buffer]);
    if (!reply.ok) return { ok: false, message: reply.message };
    if (!('header' in reply)) return { ok: false, message: 'review worker answered out of turn' };
    const expect = <T>(value: T | undefined, what: string): T => {
      if (value === undefined) throw new Error(`review worker returned no ${what}`);
      return value;
    };
    const fail = (reply: WorkerReply) => {
      if (!reply.ok) throw new Error(`review worker: ${reply.message}`);
      return reply;
    };
    return {
      ok: true,
      review: {
        header: reply.header,
        analyzer: {
          analyze: async (facts) => {
            const answered = fail(await this.call({ id, op: 'analyze', facts }));
            return 'vault' in answered && answered.vault ? { vault: answered.vault } : {};
          },
          decide: async (answers) => {
            const answered = fail(await this.call({ id, op: 'decide', answers }));
            return expect('verdict' in answered ? answered.verdict : undefined, 'verdict');
          },
        },
        defaultingPatch: async () => {
          const answered = fail(await this.call({ id, op: 'patch' }));
          return expect('operations' in answered ? answered.operations : undefined, 'patch');
        },
        release: () => {
          if (!this.closed) this.worker.postMessage({ id, op: 'release' } satisfies WorkerRequest);
        },
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }
}
