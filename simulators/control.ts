/**
 * Control API of the simulators (fastify, own port): list devices and their fault catalogue,
 * inject and clear faults. Every error is `{ code, message }` with a 4xx status; bad input never
 * reaches a model.
 */
import { Type, type Static } from '@sinclair/typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SimClock } from './clock.js';
import type { SimDevice } from './devices.js';
import { createLiveScenario, SCENARIOS, type ScenarioName } from './scenarios/index.js';

export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const DeviceParams = Type.Object({ id: Type.String() });
const FaultParams = Type.Object({ id: Type.String(), fault: Type.String() });
const FaultBody = Type.Object(
  {
    fault: Type.String({ minLength: 1, maxLength: 64, description: 'fault name from GET /devices' }),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000, description: '`slow`: reply delay (default 1500 ms)' })),
  },
  // Unknown keys are dropped (fastify's ajv removeAdditional), leaving room for fault parameters.
  { additionalProperties: false },
);
type FaultBody = Static<typeof FaultBody>;
const ScenarioBody = Type.Object(
  {
    scenario: Type.String({ minLength: 1, maxLength: 64, description: 'scenario name: ' + Object.keys(SCENARIOS).join(', ') }),
    seed: Type.Optional(Type.Integer({ description: 'default 1' })),
    failAfterDays: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3650 })),
    glitchesPerDay: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
type ScenarioBody = Static<typeof ScenarioBody>;
const RestartBody = Type.Object({ delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000, description: 'default 2000' })) }, { additionalProperties: false });

export interface ControlOptions {
  log: Logger;
  clock: SimClock;
  /** Restart the OPC UA server (null when it does not run). */
  restartOpcua?: (delayMs: number) => { down: Promise<void>; up: Promise<void> } | null;
}

export function buildControlApi(devices: SimDevice[], opts: ControlOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.log.child({ face: 'control' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024,
    // No type coercion: `{"fault": 42}` is a bad request, not a fault named "42".
    ajv: { customOptions: { coerceTypes: false } },
  });
  const byId = new Map(devices.map((d) => [d.id, d]));

  // Like fastify's JSON parser, but an empty body is "no body": a DELETE sent by a client that
  // always sets content-type: application/json must not fail. POST still requires an object.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(new ControlError('SIM_ERR_BAD_REQUEST', `body is not valid JSON: ${(err as Error).message}`, 400), undefined);
    }
  });

  const device = (id: string): SimDevice => {
    const d = byId.get(id);
    if (!d) throw new ControlError('SIM_ERR_NOT_FOUND', `device '${id}' not found; devices: ${[...byId.keys()].join(', ')}`, 404);
    return d;
  };
  const knownFault = (d: SimDevice, fault: string): string => {
    if (!d.faults.includes(fault)) {
      throw new ControlError('SIM_ERR_UNKNOWN_FAULT', `unknown fault '${fault}' for ${d.id} (${d.type}); valid faults: ${d.faults.join(', ')}`, 400, { faults: d.faults });
    }
    return fault;
  };

  app.setErrorHandler((err: FastifyError | ControlError, req, reply) => {
    if (err instanceof ControlError) return reply.code(err.statusCode).send({ code: err.code, message: err.message, ...err.extra });
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'control API failure');
    const code = status === 500 ? 'SIM_ERR_INTERNAL' : status === 415 ? 'SIM_ERR_UNSUPPORTED_MEDIA_TYPE' : 'SIM_ERR_BAD_REQUEST';
    return reply.code(status).send({ code, message: status === 500 ? 'internal error' : err.message });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ code: 'SIM_ERR_NOT_FOUND', message: `route ${req.method} ${req.url} not found` }),
  );

  app.get('/health', async () => ({ status: 'ok', devices: devices.length, timeScale: opts.clock.timeScale, simTime: opts.clock.now() }));

  app.get('/scenarios', async () => SCENARIOS);

  app.get('/devices', async () => devices.map((d) => d.info()));

  app.get<{ Params: Static<typeof DeviceParams> }>('/devices/:id', { schema: { params: DeviceParams } }, async (req) => {
    const d = device(req.params.id);
    return { ...d.info(), values: d.model.values() };
  });

  app.post<{ Params: Static<typeof DeviceParams>; Body: FaultBody }>(
    '/devices/:id/faults',
    { schema: { params: DeviceParams, body: FaultBody } },
    async (req, reply) => {
      const d = device(req.params.id);
      d.inject(knownFault(d, req.body.fault), req.body.delayMs === undefined ? {} : { delayMs: req.body.delayMs });
      req.log.info({ device: d.id, fault: req.body.fault }, 'fault injected');
      return reply.code(201).send(d.info());
    },
  );

  app.post<{ Params: Static<typeof DeviceParams>; Body: ScenarioBody }>(
    '/devices/:id/scenario',
    { schema: { params: DeviceParams, body: ScenarioBody } },
    async (req, reply) => {
      const d = device(req.params.id);
      const name = req.body.scenario as ScenarioName;
      const spec = SCENARIOS[name];
      if (!Object.hasOwn(SCENARIOS, name) || !spec) {
        throw new ControlError('SIM_ERR_UNKNOWN_SCENARIO', `unknown scenario '${name}'; scenarios: ${Object.keys(SCENARIOS).join(', ')}`, 400, { scenarios: Object.keys(SCENARIOS) });
      }
      if (!(spec.types as string[]).includes(d.type)) {
        throw new ControlError('SIM_ERR_UNKNOWN_SCENARIO', `scenario '${name}' runs on ${spec.types.join(' or ')}, not on ${d.id} (${d.type})`, 400, {
          scenarios: Object.entries(SCENARIOS).filter(([, v]) => (v.types as string[]).includes(d.type)).map(([k]) => k),
        });
      }
      const driver = createLiveScenario({
        scenario: name,
        seed: req.body.seed ?? 1,
        model: d.model,
        now: opts.clock.now(),
        failAfterDays: req.body.failAfterDays,
        glitchesPerDay: req.body.glitchesPerDay,
        tickSeconds: (opts.clock.tickMs / 1000) * opts.clock.timeScale,
        clockNow: () => opts.clock.now(),
      });
      d.setScenario(driver);
      req.log.info({ device: d.id, scenario: driver.info() }, 'scenario started');
      return reply.code(201).send(d.info());
    },
  );

  app.delete<{ Params: Static<typeof DeviceParams> }>('/devices/:id/scenario', { schema: { params: DeviceParams } }, async (req) => {
    const d = device(req.params.id);
    d.setScenario(null);
    req.log.info({ device: d.id }, 'scenario stopped');
    return d.info();
  });

  app.post<{ Body: Static<typeof RestartBody> | undefined }>('/opcua/restart', { schema: { body: Type.Optional(RestartBody) } }, async (req, reply) => {
    const delayMs = req.body?.delayMs ?? 2000;
    let r: ReturnType<NonNullable<ControlOptions['restartOpcua']>> = null;
    try {
      r = opts.restartOpcua?.(delayMs) ?? null;
    } catch (err) {
      throw new ControlError('SIM_ERR_CONFLICT', (err as Error).message, 409);
    }
    if (!r) throw new ControlError('SIM_ERR_NOT_FOUND', 'the OPC UA server is not running in this stack', 404);
    await r.down;
    req.log.info({ delayMs }, 'OPC UA server down for restart');
    return reply.code(202).send({ status: 'restarting', delayMs, backAt: Date.now() + delayMs });
  });

  app.delete<{ Params: Static<typeof DeviceParams> }>('/devices/:id/faults', { schema: { params: DeviceParams } }, async (req) => {
    const d = device(req.params.id);
    d.clearAll();
    req.log.info({ device: d.id }, 'all faults cleared');
    return d.info();
  });

  app.delete<{ Params: Static<typeof FaultParams> }>('/devices/:id/faults/:fault', { schema: { params: FaultParams } }, async (req) => {
    const d = device(req.params.id);
    d.clear(knownFault(d, req.params.fault));
    req.log.info({ device: d.id, fault: req.params.fault }, 'fault cleared');
    return d.info();
  });

  return app;
}
