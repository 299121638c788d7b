/**
 * Owners' requests from printed labels, the follow link and the feedback link (README.md here).
 *
 * - seed 2.1: a request from a label becomes a work order (source `manual`, the owner's request:
 *   the category's SLA, 24 h initial response for `general`), device and category from the label.
 *   Description, place and a masked phone go on the order (`evidence.request`, which head office
 *   and webhooks receive); the full number stays in `owner_requests`, for the desk only.
 * - seed 2.3: when the order is resolved the owner gets a one-time signed link (`owner-message`
 *   through the Notifier); the rating closes the order (actor `owner`), or after
 *   `owner.feedbackWaitDays` the system closes it with the note "no feedback".
 *
 * Phone numbers are never logged; log lines name the order number only.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import QRCode from 'qrcode';
import type { Category, SiteConfig } from '../config/schema.js';
import { Errors } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { isOpen, type WorkOrder, type WorkOrderStatus } from '../core/model.js';
import type { Notifier } from '../notify/index.js';
import type { Db } from '../storage/sqlite.js';
import type { WorkOrderService } from '../workorders/service.js';
import { PerKeyWindow } from '../core/per-key-window.js';
import { OWNER_CATEGORIES, resolveCodes, type ResolvedCode } from './codes.js';
import { OwnerErrors } from './errors.js';
import { maskPhone, normalizePhone } from './phone.js';
import { decodePhoto, PhotoStore, type PhotoType } from './photo.js';
import { OwnerStore, type OwnerNote } from './store.js';
import { loadOwnerSecret, OwnerTokens } from './tokens.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface OwnerRequestInput {
  code: string;
  category: Category;
  description: string;
  phone: string;
  photo?: string | undefined;
  /** Client address (per-address limit). */
  ip: string;
}

export interface LabelView extends ResolvedCode {
  url: string;
  /** The QR code as an SVG document (the URL above). */
  svg: string;
}

/** What a follow link shows: this order's status, times and the notes addressed to the owner. */
export interface FollowView {
  status: WorkOrderStatus;
  category: Category;
  location: { zh: string; en: string } | null;
  createdAt: number;
  respondedAt: number | null;
  onSiteAt: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  timeline: { ts: number; status: string }[];
  notes: { ts: number; text: string }[];
  feedback: { rating: number; comment: string | null; at: number } | null;
  expiresAt: number;
}

export interface OwnerDeskDeps {
  config: Pick<SiteConfig, 'site' | 'devices' | 'owner'>;
  db: Db;
  dataDir: string;
  orders: WorkOrderService;
  notifier: Pick<Notifier, 'publish'> | null;
  log: Logger;
  /** Clock of limits and links; default the work orders' clock. */
  now?: () => number;
}

export class OwnerDesk {
  readonly store: OwnerStore;
  readonly tokens: OwnerTokens;
  readonly photos: PhotoStore;
  private readonly codes: ResolvedCode[];
  private readonly byToken = new Map<string, ResolvedCode>();
  private readonly byId = new Map<string, ResolvedCode>();
  private readonly perAddress: PerKeyWindow;
  private readonly perCode: PerKeyWindow;
  /** Clock of limits, links and the feedback wait; tests may replace it (a fake clock). */
  clock: () => number;
  private timer: NodeJS.Timeout | null = null;
  private warnedBase = false;

  constructor(private readonly d: OwnerDeskDeps) {
    this.clock = d.now ?? (() => d.orders.now());
    this.store = new OwnerStore(d.db);
    this.tokens = new OwnerTokens(loadOwnerSecret(d.dataDir));
    this.photos = new PhotoStore(join(d.dataDir, 'owner-photos'));
    this.codes = resolveCodes(d.config);
    for (const c of this.codes) {
      this.byToken.set(this.tokens.codeToken(c.id), c);
      this.byId.set(c.id, c);
    }
    const l = d.config.owner.limits;
    this.perAddress = new PerKeyWindow(l.perAddressPerHour, HOUR, () => this.now());
    this.perCode = new PerKeyWindow(l.perCodePerDay, DAY, () => this.now());
    d.orders.onChange((order, action) => {
      if (action === 'resolved') this.sendFeedbackLink(order);
      if (!isOpen(order.status) && this.store.request(order.id)) this.store.markDone(order.id);
    });
  }

  private now(): number {
    return this.clock();
  }

  get maxPhotoBytes(): number {
    return this.d.config.owner.limits.maxPhotoKB * 1024;
  }

  /** The labels to print, each with its public URL and QR code; `origin` when `site.url` is unset. */
  async labels(origin: string): Promise<{ base: string; codes: LabelView[] }> {
    const base = this.d.config.site.url?.replace(/\/+$/, '') ?? origin;
    // Links in messages need an address the owner can reach: the one the labels were printed with.
    if (!this.d.config.site.url && this.store.meta('publicOrigin') !== origin) this.store.setMeta('publicOrigin', origin);
    const codes = await Promise.all(this.codes.map(async (c) => {
      const url = `${base}/r/${this.tokens.codeToken(c.id)}`;
      return { ...c, url, svg: await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 }) };
    }));
    return { base, codes };
  }

  /** The label behind a token, or the one 404 for anything else. */
  code(token: string): ResolvedCode {
    const c = this.byToken.get(token);
    if (!c) throw OwnerErrors.LINK_NOT_FOUND();
    return c;
  }

  categoriesFor(c: ResolvedCode): Category[] {
    return OWNER_CATEGORIES.includes(c.category) ? [...OWNER_CATEGORIES] : [c.category, ...OWNER_CATEGORIES];
  }

  /** Counts one attempt from `ip`; throws 429 with the seconds to wait. */
  hitAddress(ip: string): void {
    const r = this.perAddress.hit(ip);
    if (!r.ok) throw Object.assign(OwnerErrors.RATE_LIMITED('requests from this address', r.retryS), { retryAfter: r.retryS });
  }

  submit(input: OwnerRequestInput): { order: WorkOrder; follow: string; expiresAt: number } {
    const code = this.code(input.code);
    if (!this.categoriesFor(code).includes(input.category)) throw Errors.BAD_REQUEST(`body.category must be one of ${this.categoriesFor(code).join(', ')}`);
    const phone = normalizePhone(input.phone);
    if (!phone) throw Errors.BAD_REQUEST('body.phone must be a mainland mobile number (11 digits) or an international number (+country…)');
    const description = input.description.trim();
    if (!description) throw Errors.BAD_REQUEST('body.description must not be empty');
    let photo: { bytes: Buffer; type: PhotoType } | undefined;
    if (input.photo) photo = decodePhoto(input.photo, this.maxPhotoBytes);
    const limit = this.perCode.hit(code.id);
    if (!limit.ok) throw Object.assign(OwnerErrors.RATE_LIMITED('requests for this label today', limit.retryS), { retryAfter: limit.retryS });

    const photoName = photo ? this.photos.save(photo.bytes, photo.type) : null;
    const now = this.now();
    // A fault of its own per request: two owners reporting the same lift are two requests to answer.
    const fault = `owner_request_${randomBytes(4).toString('hex')}`;
    const order = this.store.transaction(() => {
      const o = this.d.orders.create({
        device: code.device, fault, category: input.category,
        title: `Owner request (${code.location.en}): ${description.replace(/\s+/g, ' ').slice(0, 120)}`,
        evidence: { request: { channel: 'qr', code: code.id, location: code.location, description, contact: maskPhone(phone), photo: photoName !== null } },
      }, 'owner');
      this.store.addRequest({ orderId: o.id, code: code.id, phone, photo: photoName, createdAt: now });
      return o;
    });
    const expiresAt = now + this.d.config.owner.followDays * DAY;
    const follow = this.tokens.follow(order.id, expiresAt);
    this.d.log.info({ order: order.number, code: code.id, category: input.category, photo: photoName !== null }, 'owner request from a label');
    this.message(order, phone, 'follow', `/r/follow/${follow}`, {
      zh: '您的报修已收到，查看进度：', en: 'We have your request; follow it here:',
    });
    return { order, follow, expiresAt };
  }

  follow(token: string): FollowView {
    const claims = this.tokens.verify(token, 'f');
    const order = claims && this.d.orders.get(claims.o);
    if (!claims || !order || !this.store.request(order.id)) throw OwnerErrors.LINK_NOT_FOUND();
    if (claims.e <= this.now()) throw OwnerErrors.LINK_EXPIRED();
    const req = this.store.request(order.id)!;
    return {
      status: order.status, category: order.category, location: this.byId.get(req.code)?.location ?? null,
      createdAt: order.createdAt, respondedAt: order.respondedAt, onSiteAt: order.onSiteAt,
      resolvedAt: order.resolvedAt ?? null, closedAt: order.closedAt ?? null,
      timeline: this.d.orders.audit(order.id).filter((a) => a.action === 'created' || a.action === 'transition').map((a) => ({ ts: a.ts, status: a.to ?? 'new' })),
      notes: this.store.notes(order.id).map((n) => ({ ts: n.ts, text: n.text })),
      feedback: order.feedback ?? null,
      expiresAt: claims.e,
    };
  }

  /** The order behind a feedback link, after every check: authentic, known, unused, in time. */
  private feedbackOrder(token: string): { order: WorkOrder; nonce: string } {
    const claims = this.tokens.verify(token, 'b');
    const link = claims && this.store.feedbackLink(claims.n);
    // The nonce binds the link to the order and expiry it was sent with.
    const same = link && link.orderId === claims.o && Math.floor(link.expiresAt / 1000) * 1000 === claims.e;
    const order = same ? this.d.orders.get(claims.o) : undefined;
    if (!claims || !link || !order) throw OwnerErrors.LINK_NOT_FOUND();
    if (link.usedAt !== null) throw OwnerErrors.LINK_USED();
    if (link.expiresAt <= this.now() || order.status !== 'resolved') throw OwnerErrors.LINK_EXPIRED();
    return { order, nonce: claims.n };
  }

  feedbackView(token: string): { status: WorkOrderStatus; category: Category; location: { zh: string; en: string } | null; resolvedAt: number | null } {
    const { order } = this.feedbackOrder(token);
    const req = this.store.request(order.id);
    return { status: order.status, category: order.category, location: (req && this.byId.get(req.code)?.location) ?? null, resolvedAt: order.resolvedAt ?? null };
  }

  /** The owner's rating closes the order (seed 2.3); the link is spent in the same transaction. */
  feedback(token: string, rating: number, comment: string | undefined): FollowView['feedback'] & { status: WorkOrderStatus } {
    const { order, nonce } = this.feedbackOrder(token);
    const closed = this.store.transaction(() => {
      if (!this.store.useFeedbackLink(nonce, this.now())) throw OwnerErrors.LINK_USED();
      return this.d.orders.transition(order.id, 'closed', 'owner', {
        note: 'owner feedback', feedback: { rating, ...(comment?.trim() ? { comment: comment.trim() } : {}) },
      });
    });
    this.d.log.info({ order: closed.number, rating }, 'owner feedback: order closed');
    return { ...closed.feedback!, status: closed.status };
  }

  /** Staff note to the owner: shown on the follow page. */
  addNote(orderId: string, text: string, author: string): OwnerNote {
    const order = this.d.orders.get(orderId);
    if (!order || !this.store.request(order.id)) throw Errors.NOT_FOUND(`owner request of work order ${orderId}`);
    const note = { ts: this.now(), author, text };
    this.store.addNote(order.id, note);
    return note;
  }

  /**
   * For the desk: the owner's contact and request (dispatcher; the phone number in full), and the
   * open feedback link, to read out or send by hand when no message channel reaches the owner
   * (seed 2.3: feedback by SMS, phone, system notice or on site).
   */
  contact(orderId: string): { code: string; location: { zh: string; en: string } | null; phone: string; photo: boolean; createdAt: number; notes: OwnerNote[]; feedbackLink: string | null } {
    const req = this.store.request(orderId);
    if (!req) throw Errors.NOT_FOUND(`owner request of work order ${orderId}`);
    const open = this.store.openFeedbackLink(orderId);
    const feedbackLink = open && open.expiresAt > this.now() ? `/r/feedback/${this.tokens.feedback(orderId, open.expiresAt, open.nonce).token}` : null;
    return { code: req.code, location: this.byId.get(req.code)?.location ?? null, phone: req.phone, photo: req.photo !== null, createdAt: req.createdAt, notes: this.store.notes(orderId), feedbackLink };
  }

  photo(orderId: string): { bytes: Buffer; type: PhotoType } {
    const req = this.store.request(orderId);
    if (!req?.photo) throw Errors.NOT_FOUND(`photo of work order ${orderId}`);
    return this.photos.read(req.photo);
  }

  /**
   * Closes every resolved owner's request whose feedback wait is over (seed 2.3: the owner had the
   * chance to answer). Runs on its own clock; tests call it with a fake `now`. Returns the numbers closed.
   */
  tick(now = this.now()): string[] {
    const waitMs = this.d.config.owner.feedbackWaitDays * DAY;
    const closed: string[] = [];
    for (const id of this.store.pending()) {
      const o = this.d.orders.get(id);
      if (!o || !isOpen(o.status)) {
        this.store.markDone(id);
        continue;
      }
      if (o.status !== 'resolved' || o.resolvedAt == null || o.resolvedAt + waitMs > now) continue;
      try {
        this.d.orders.transition(id, 'closed', 'system', { note: 'no feedback', waiveFeedback: true });
        closed.push(o.number);
      } catch (err) {
        this.d.log.error({ err, order: o.number }, 'closing an owner request without feedback failed');
      }
    }
    if (closed.length) this.d.log.info({ orders: closed }, 'owner requests closed: no feedback in time');
    return closed;
  }

  start(everyMs = 60_000): void {
    this.timer ??= setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        this.d.log.error({ err }, 'owner feedback clock failed');
      }
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private sendFeedbackLink(order: WorkOrder): void {
    const req = this.store.request(order.id);
    if (!req) return;
    const sentAt = this.now();
    const expiresAt = (order.resolvedAt ?? sentAt) + this.d.config.owner.feedbackWaitDays * DAY;
    const { token, nonce } = this.tokens.feedback(order.id, expiresAt);
    this.store.addFeedbackLink(nonce, order.id, expiresAt, sentAt);
    this.message(order, req.phone, 'feedback', `/r/feedback/${token}`, {
      zh: '您的报修已处理完成，请评价（1-5 星）：', en: 'Your request has been resolved; please rate our work (1-5):',
    });
  }

  /** `owner-message` through the Notifier (`{ to, text, link }`); the number is never logged. */
  private message(order: WorkOrder, to: string, action: 'follow' | 'feedback', path: string, text: { zh: string; en: string }): void {
    const base = this.d.config.site.url?.replace(/\/+$/, '') ?? this.store.meta('publicOrigin') ?? '';
    if (!base && !this.warnedBase) {
      this.warnedBase = true;
      this.d.log.warn('site.url is not set and no labels were printed yet: links to owners are sent without an address');
    }
    const link = `${base}${path}`;
    this.d.notifier?.publish('owner-message', order.id, { to, text: `【${this.d.config.site.name}】${text.zh}${link} / ${text.en} ${link}`, link, order: order.number }, action);
    this.d.log.info({ order: order.number, action }, 'owner message sent');
  }
}
