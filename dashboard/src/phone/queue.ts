/**
 * The technician's steps (transitions, ledger entries, photos) go through a small persistent queue
 * so that a moment without network loses nothing (README.md, "On a phone"):
 *  - steps are kept in localStorage per user (photo bytes in IndexedDB, phone/photo.ts) and sent
 *    one after another, in the order they were taken;
 *  - every step carries its own `Idempotency-Key`, generated once when the step is taken: a retry
 *    whose first attempt did reach the gateway gets that first answer back instead of being applied
 *    twice (gateway/api/idempotency.ts);
 *  - a network failure, 408, 429 or 5xx is retried with backoff (1 s doubling up to 15 s, and at
 *    once when the browser reports it is online again);
 *  - any other refusal (409: someone else moved the order; 403; 400) is not retried: the step
 *    leaves the queue and is shown as a problem on its order until dismissed.
 */
import { endSession, getToken, getUser } from '../auth.js';
import { ApiError, parseLenient } from '../shared/http.js';
import { store } from '../store.js';
import type { LedgerEntry, WorkOrder, WorkOrderStatus } from '../types.js';
import { blobs } from './photo.js';

export interface LedgerDraft {
  personnel: string[];
  tools: string[];
  result: string;
  safetyMeasures: string;
}

interface Base {
  key: string;
  orderId: string;
  at: number;
}
export type Step =
  | (Base & { kind: 'transition'; to: WorkOrderStatus })
  | (Base & { kind: 'ledger'; entry: LedgerDraft })
  /** `ledgerKey`: the ledger step the photo belongs to (its entry number is known once it is sent). */
  | (Base & { kind: 'photo'; ledgerKey: string | null; type: string });

export interface Problem {
  key: string;
  orderId: string;
  kind: Step['kind'];
  to?: WorkOrderStatus;
  status: number;
  code: string;
  message: string;
}

interface State {
  steps: Step[];
  /** Ledger step key → the entry number the gateway gave it (for the photos that follow). */
  seqs: Record<string, number>;
  problems: Problem[];
}

const MAX_DELAY_MS = 15_000;
const listeners = new Set<() => void>();
let state: State = { steps: [], seqs: {}, problems: [] };
let loadedFor: string | null = null;
let running = false;
let tries = 0;
let timer: ReturnType<typeof setTimeout> | null = null;

const storageKey = () => `fgw.steps.${getUser()?.username ?? ''}`;

function load(): void {
  const user = getUser()?.username ?? null;
  if (user === loadedFor) return;
  loadedFor = user;
  try {
    const raw = user ? localStorage.getItem(storageKey()) : null;
    const s = raw ? (JSON.parse(raw) as Partial<State>) : {};
    state = { steps: s.steps ?? [], seqs: s.seqs ?? {}, problems: s.problems ?? [] };
  } catch {
    state = { steps: [], seqs: {}, problems: [] };
  }
}

function save(): void {
  try {
    localStorage.setItem(storageKey(), JSON.stringify(state));
  } catch {
    // storage full or blocked: the queue still works for this page's life
  }
  for (const fn of listeners) fn();
}

export function onQueue(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function pendingFor(orderId: string): readonly Step[] {
  load();
  return state.steps.filter((s) => s.orderId === orderId);
}

export function problemsFor(orderId: string): readonly Problem[] {
  load();
  return state.problems.filter((p) => p.orderId === orderId);
}

export function dismissProblem(key: string): void {
  load();
  state.problems = state.problems.filter((p) => p.key !== key);
  save();
}

const newKey = () => `${Date.now().toString(36)}-${crypto.randomUUID()}`;

export function enqueueTransition(orderId: string, to: WorkOrderStatus): string {
  load();
  const key = newKey();
  state.steps.push({ kind: 'transition', key, orderId, to, at: Date.now() });
  save();
  kick();
  return key;
}

/** A ledger entry and its photos (already shrunk) as one group of steps. */
export async function enqueueLedger(orderId: string, entry: LedgerDraft, photos: readonly Blob[]): Promise<void> {
  load();
  const ledgerKey = newKey();
  const photoSteps: Step[] = [];
  for (const blob of photos) {
    const key = newKey();
    await blobs.put(key, blob);
    photoSteps.push({ kind: 'photo', key, orderId, ledgerKey, type: blob.type || 'image/jpeg', at: Date.now() });
  }
  state.steps.push({ kind: 'ledger', key: ledgerKey, orderId, entry, at: Date.now() }, ...photoSteps);
  save();
  kick();
}

async function send(step: Step): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json', 'idempotency-key': step.key };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const base = `/api/work-orders/${encodeURIComponent(step.orderId)}`;
  let url: string;
  let body: BodyInit;
  if (step.kind === 'transition') {
    url = `${base}/transition`;
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ to: step.to });
  } else if (step.kind === 'ledger') {
    url = `${base}/ledger`;
    headers['content-type'] = 'application/json';
    body = JSON.stringify(step.entry);
  } else {
    const blob = await blobs.get(step.key);
    if (!blob) throw new ApiError(400, 'photo_missing', 'the photo is no longer on this phone');
    const seq = step.ledgerKey ? state.seqs[step.ledgerKey] : undefined;
    url = `${base}/photos${seq !== undefined ? `?entry=${seq}` : ''}`;
    headers['content-type'] = step.type;
    body = blob;
  }
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  const parsed = parseLenient(await res.text());
  if (res.status === 401) endSession('expired');
  if (!res.ok) {
    const e = (parsed ?? {}) as { code?: unknown; message?: unknown };
    throw new ApiError(res.status, typeof e.code === 'string' ? e.code : `http_${res.status}`, typeof e.message === 'string' ? e.message : `${res.status}`);
  }
  return parsed;
}

const retryable = (err: ApiError) => err.status === 0 || err.status === 401 || err.status === 408 || err.status === 429 || err.status >= 500;

/** Sends what is queued, one step at a time; safe to call any time. */
export function kick(): void {
  load();
  if (running || !getToken()) return;
  if (timer) clearTimeout(timer);
  timer = null;
  running = true;
  void (async () => {
    try {
      for (let step = state.steps[0]; step; step = state.steps[0]) {
        try {
          const answer = await send(step);
          tries = 0;
          if (step.kind === 'transition') store.upsertOrder(answer as WorkOrder);
          if (step.kind === 'ledger') state.seqs[step.key] = (answer as LedgerEntry).seq;
          if (step.kind === 'photo') await blobs.delete(step.key).catch(() => undefined);
          finish(step);
        } catch (err) {
          const e = err instanceof ApiError ? err : new ApiError(0, 'network', String(err));
          if (retryable(e)) {
            if (e.status === 401) return; // signed out: the steps wait for the next login
            const delay = Math.min(MAX_DELAY_MS, 1000 * 2 ** tries++);
            timer = setTimeout(kick, delay);
            return;
          }
          refuse(step, e);
        }
      }
    } finally {
      running = false;
    }
  })();
}

function finish(step: Step): void {
  state.steps = state.steps.filter((s) => s.key !== step.key);
  // Entry numbers are needed only while photos of that entry wait.
  for (const k of Object.keys(state.seqs)) if (!state.steps.some((s) => s.kind === 'photo' && s.ledgerKey === k)) delete state.seqs[k];
  save();
}

function refuse(step: Step, e: ApiError): void {
  const dropped = [step, ...(step.kind === 'ledger' ? state.steps.filter((s) => s.kind === 'photo' && s.ledgerKey === step.key) : [])];
  for (const s of dropped) {
    state.problems.push({ key: s.key, orderId: s.orderId, kind: s.kind, ...(s.kind === 'transition' ? { to: s.to } : {}), status: e.status, code: e.code, message: e.message });
    if (s.kind === 'photo') void blobs.delete(s.key).catch(() => undefined);
  }
  state.steps = state.steps.filter((s) => !dropped.includes(s));
  save();
  // Our copy of the order is stale: fetch it again.
  void fetch(`/api/work-orders/${encodeURIComponent(step.orderId)}`, { headers: { authorization: `Bearer ${getToken() ?? ''}` } })
    .then((r) => (r.ok ? (r.json() as Promise<WorkOrder>) : null))
    .then((o) => o && store.upsertOrder(o))
    .catch(() => undefined);
}

window.addEventListener('online', () => {
  tries = 0;
  kick();
});
