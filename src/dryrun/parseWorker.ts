// The parse worker: reads one dry-run body (JSON or YAML) and posts its objects back in
// batches, so the main thread can start deciding while the rest is still being parsed and
// never parses a byte itself. One body per worker at a time; the main thread terminates a
// worker whose request ran out of time, which is how a runaway parse is stopped.
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { BodyRejected, prepareBody, type PrepareOptions, type PreparedEntry } from './documents.js';

export interface ParseRequest {
  body: ArrayBuffer;
  options: PrepareOptions;
  /** entries per message: small enough to start deciding early, large enough to keep messages few */
  batchSize: number;
}

export type ParseReply =
  | { type: 'batch'; entries: PreparedEntry[] }
  | { type: 'done' }
  | { type: 'rejected'; message: string }
  | { type: 'failed'; message: string };

function post(reply: ParseReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(reply, transfer);
}

function parse(request: ParseRequest): void {
  let batch: PreparedEntry[] = [];
  let transfer: ArrayBuffer[] = [];
  const flush = () => {
    if (batch.length > 0) post({ type: 'batch', entries: batch }, transfer);
    batch = [];
    transfer = [];
  };
  try {
    for (const entry of prepareBody(new Uint8Array(request.body), request.options)) {
      batch.push(entry);
      if (entry.type === 'externalSecret' && entry.review) transfer.push(entry.review);
      if (batch.length >= request.batchSize) flush();
    }
    flush();
    post({ type: 'done' });
  } catch (error) {
    flush();
    const message = error instanceof Error ? error.message : String(error);
    post(error instanceof BodyRejected ? { type: 'rejected', message } : { type: 'failed', message });
  }
}

// Reading a tenant's YAML must yield the CPU to admissions: on Linux a thread's nice value is
// its own, so this lowers only this worker (elsewhere it would lower the whole process).
if (process.platform === 'linux') {
  try {
    setPriority(0, 10);
  } catch {
    // not permitted: the worker still runs apart from the event loop
  }
}

parentPort?.on('message', (request: ParseRequest) => parse(request));
