// The admission webhooks as a fastify plugin: POST /validate and POST /mutate. Bad input
// (not JSON, not an AdmissionReview, missing uid, too large, wrong content type) gets a
// clear 4xx; a failure inside a decision still answers the apiserver, per failure mode.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import sjson from 'secure-json-parse';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import { mutate, validate, type Evaluator, type Outcome, type SecretCreator } from './handlers.js';
import { allow, deny, parseAdmissionReview } from './review.js';
import { ReviewWorker } from './reviewWorkers.js';
import { inlineSubject, remoteSubject, type Subject } from './subject.js';

export interface AdmissionRoutesOptions {
  evaluator: Evaluator;
  metrics: Metrics;
  failureMode: 'closed' | 'open';
  /** bodies at least this large are parsed and decided in a worker thread (default 64 KiB) */
  largeBodyBytes?: number;
  /** writes target Secrets at admission (with the reconciler); absent: admission writes nothing */
  creator?: SecretCreator;
}

/** A body too large to parse on the event loop: its bytes, for the review worker. */
class LargeBody {
  constructor(readonly bytes: Buffer) {}
}

const badRequest = (message: string) => Object.assign(new Error(message), { statusCode: 400 });

export const admissionRoutes: FastifyPluginAsync<AdmissionRoutesOptions> = async (app: FastifyInstance, options) => {
  const largeBodyBytes = options.largeBodyBytes ?? 64 * 1024;
  let worker: ReviewWorker | undefined;
  app.addHook('onClose', async () => worker?.close());

  // Encapsulated in this plugin: the other routes keep fastify's own JSON parser.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    if (body.length >= largeBodyBytes) return done(null, new LargeBody(body));
    try {
      done(null, sjson.parse(body.toString('utf8')));
    } catch (error) {
      done(badRequest(`body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`), undefined);
    }
  });

  const subjectOf = async (body: unknown): Promise<{ ok: true; subject: Subject } | { ok: false; message: string }> => {
    if (body instanceof LargeBody) {
      worker ??= new ReviewWorker(app.log as unknown as Logger);
      const parsed = await worker.parse(body.bytes);
      return parsed.ok ? { ok: true, subject: remoteSubject(parsed.review) } : parsed;
    }
    const parsed = parseAdmissionReview(body);
    return parsed.ok ? { ok: true, subject: inlineSubject(parsed.request) } : parsed;
  };

  const handle = (webhook: 'validate' | 'mutate', decideFor: (subject: Subject, evaluator: Evaluator) => Promise<Outcome>) => {
    app.post(`/${webhook}`, async (request, reply) => {
      const started = performance.now();
      const parsed = await subjectOf(request.body);
      if (!parsed.ok) {
        options.metrics.decisions.inc({ webhook, decision: 'rejected', reason: 'bad-request' });
        return reply.code(400).send({ error: 'Bad Request', message: parsed.message });
      }
      const { subject } = parsed;
      const header = subject.header;
      let outcome: Outcome;
      try {
        outcome = await decideFor(subject, options.evaluator);
      } catch (error) {
        request.log.error({ err: error, uid: header.uid }, 'admission decision failed');
        const message = `vaultgate could not decide: ${error instanceof Error ? error.message : String(error)}`;
        outcome =
          options.failureMode === 'open'
            ? { reply: allow(header.uid, [`${message} (allowed: failure mode open)`]), decision: 'allowed', reason: 'failed-open' }
            : { reply: deny(header.uid, message), decision: 'denied', reason: 'internal-error' };
      } finally {
        subject.release();
      }
      options.metrics.decisions.inc({ webhook, decision: outcome.decision, reason: outcome.reason });
      options.metrics.admissionDuration.observe({ webhook }, (performance.now() - started) / 1000);
      if (outcome.decision === 'denied') {
        request.log.warn({ uid: header.uid, namespace: header.namespace, name: header.name, reason: outcome.reason, dryRun: header.dryRun }, 'denied');
      }
      return outcome.reply;
    });
  };
  handle('validate', validate);
  handle('mutate', (subject) => mutate(subject, options.creator));
};
