// A worker thread that holds large AdmissionReviews: it parses the body, and runs the pure
// core (analysis, then the verdict once the main thread has asked Vault) and the defaulting
// patch on the object it holds, so the main thread never parses or walks a megabyte
// object. Nothing here does I/O; the main thread supplies every fact.
import { parentPort } from 'node:worker_threads';
import sjson from 'secure-json-parse';
import { analyze } from '../core/decide.js';
import type { DecisionFacts, VaultAnswer, Verdict } from '../core/facts.js';
import { defaultingPatch } from '../core/mutate.js';
import { parseAdmissionReview, type AdmissionRequest } from './review.js';
import { headerOf } from './subject.js';
import type { WorkerReply, WorkerRequest } from './reviewWorkers.js';

interface Held {
  request: AdmissionRequest;
  decide?: (answers: Map<string, VaultAnswer>) => Verdict;
}

const held = new Map<number, Held>();

function handle(message: WorkerRequest): WorkerReply | undefined {
  const { id } = message;
  switch (message.op) {
    case 'parse': {
      let body: unknown;
      try {
        body = sjson.parse(Buffer.from(message.body).toString('utf8'));
      } catch (error) {
        return { id, ok: false, message: `body is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
      }
      const parsed = parseAdmissionReview(body);
      if (!parsed.ok) return { id, ok: false, message: parsed.message };
      held.set(id, { request: parsed.request });
      return { id, ok: true, header: headerOf(parsed.request) };
    }
    case 'analyze': {
      const entry = held.get(id);
      if (!entry) return { id, ok: false, message: 'request not held' };
      const analysis = analyze({ ...(message.facts as DecisionFacts), externalSecret: entry.request.object ?? {} });
      entry.decide = (answers) => analysis.decide(answers);
      return { id, ok: true, ...(analysis.vault ? { vault: analysis.vault } : {}) };
    }
    case 'decide': {
      const decide = held.get(id)?.decide;
      if (!decide) return { id, ok: false, message: 'decide before analyze' };
      return { id, ok: true, verdict: decide(message.answers) };
    }
    case 'patch': {
      const entry = held.get(id);
      if (!entry) return { id, ok: false, message: 'request not held' };
      return { id, ok: true, operations: defaultingPatch(entry.request.object ?? {}) };
    }
    case 'release':
      held.delete(id);
      return undefined;
  }
}

parentPort?.on('message', (message: WorkerRequest) => {
  let reply: WorkerReply | undefined;
  try {
    reply = handle(message);
  } catch (error) {
    reply = { id: message.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  if (reply) parentPort?.postMessage(reply);
});
