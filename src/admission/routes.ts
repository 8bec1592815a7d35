// The admission webhooks as a fastify plugin: POST /validate and POST /mutate. Bad input
// (not JSON, not an AdmissionReview, missing uid, too large, wrong content type) gets a
// clear 4xx; a failure inside a decision still answers the apiserver, per failure mode.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../metrics/registry.js';
import { mutate, validate, type Evaluator, type Outcome } from './handlers.js';
import { allow, deny, parseAdmissionReview } from './review.js';

export interface AdmissionRoutesOptions {
  evaluator: Evaluator;
  metrics: Metrics;
  failureMode: 'closed' | 'open';
}

export const admissionRoutes: FastifyPluginAsync<AdmissionRoutesOptions> = async (app: FastifyInstance, options) => {
  const handle = (webhook: 'validate' | 'mutate', decideFor: typeof validate) => {
    app.post(`/${webhook}`, async (request, reply) => {
      const started = performance.now();
      const parsed = parseAdmissionReview(request.body);
      if (!parsed.ok) {
        options.metrics.decisions.inc({ webhook, decision: 'rejected', reason: 'bad-request' });
        return reply.code(400).send({ error: 'Bad Request', message: parsed.message });
      }
      let outcome: Outcome;
      try {
        outcome = await decideFor(parsed.request, options.evaluator);
      } catch (error) {
        request.log.error({ err: error, uid: parsed.request.uid }, 'admission decision failed');
        const message = `vaultgate could not decide: ${error instanceof Error ? error.message : String(error)}`;
        outcome =
          options.failureMode === 'open'
            ? { reply: allow(parsed.request.uid, [`${message} (allowed: failure mode open)`]), decision: 'allowed', reason: 'failed-open' }
            : { reply: deny(parsed.request.uid, message), decision: 'denied', reason: 'internal-error' };
      }
      options.metrics.decisions.inc({ webhook, decision: outcome.decision, reason: outcome.reason });
      options.metrics.admissionDuration.observe({ webhook }, (performance.now() - started) / 1000);
      if (outcome.decision === 'denied') {
        request.log.warn({ uid: parsed.request.uid, namespace: parsed.request.namespace, name: parsed.request.name, reason: outcome.reason, dryRun: parsed.request.dryRun }, 'denied');
      }
      return outcome.reply;
    });
  };
  handle('validate', validate);
  handle('mutate', async (request) => mutate(request));
};
