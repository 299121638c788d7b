/**
 * Predictive maintenance (gateway/predict/): meters, health scores, forecasts, baselines,
 * preventive plans and PM compliance.
 *   GET /api/predict/meters · GET /api/devices/:id/meters
 *   GET /api/predict/health[?device=] · GET /api/predict/forecasts[?device=] · GET /api/devices/:id/forecast
 *   GET /api/predict/baselines[?device=] · GET /api/predict/plans[?device=] · GET /api/predict/compliance
 *   GET /api/predict/orders · POST /api/predict/plans/:plan/done { device, at? }
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Errors } from '../core/errors.js';
import type { PredictService } from '../predict/service.js';

const DeviceQuery = Type.Object({ device: Type.Optional(Type.String()) }, { additionalProperties: false });
const Params = Type.Object({ id: Type.String() });
const PlanParams = Type.Object({ plan: Type.String() });
const DoneBody = Type.Object({ device: Type.String(), at: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false });

export function predictApi(predict: PredictService) {
  const known = (id: string) => {
    if (!predict.meters(id).length) throw Errors.NOT_FOUND(`device ${id}`);
  };
  return async (app: FastifyInstance) => {
    type Q = { Querystring: Static<typeof DeviceQuery> };
    type P = { Params: Static<typeof Params> };
    app.get('/api/predict/meters', async () => predict.meters());
    app.get<P>('/api/devices/:id/meters', { schema: { params: Params } }, async (req) => {
      known(req.params.id);
      return predict.meters(req.params.id)[0];
    });
    app.get<Q>('/api/predict/health', { schema: { querystring: DeviceQuery } }, async (req) => predict.health(req.query.device));
    app.get<Q>('/api/predict/forecasts', { schema: { querystring: DeviceQuery } }, async (req) => predict.forecasts(req.query.device));
    app.get<P>('/api/devices/:id/forecast', { schema: { params: Params } }, async (req) => {
      known(req.params.id);
      return { device: req.params.id, health: predict.health(req.params.id)[0], forecasts: predict.forecasts(req.params.id) };
    });
    app.get<Q>('/api/predict/baselines', { schema: { querystring: DeviceQuery } }, async (req) => predict.baselines(req.query.device));
    app.get<Q>('/api/predict/plans', { schema: { querystring: DeviceQuery } }, async (req) => predict.plans(req.query.device));
    app.get('/api/predict/compliance', async () => predict.compliance());
    app.get('/api/predict/orders', async () => predict.predictionOrders());
    app.post<{ Params: Static<typeof PlanParams>; Body: Static<typeof DoneBody> }>(
      '/api/predict/plans/:plan/done',
      { schema: { params: PlanParams, body: DoneBody } },
      async (req) => {
        const plan = predict.plans(req.body.device).find((p) => p.plan === req.params.plan);
        if (!plan) throw Errors.NOT_FOUND(`plan ${req.params.plan} for device ${req.body.device}`);
        const cycle = predict.recordPmDone(req.params.plan, req.body.device, req.body.at ?? Date.now());
        return { plan: predict.plans(req.body.device).find((p) => p.plan === req.params.plan), cycle };
      },
    );
  };
}
