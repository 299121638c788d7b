/**
 * Dashboard entry: the page frame (navigation, connection indicator, language switch),
 * hash routing between the views, and the live link to the gateway.
 */
import './style.css';
import { h, setAttr, setText } from './dom.js';
import { getLang, onLangChange, t } from './i18n.js';
import { endSession, getToken, getUser, onSession } from './auth.js';
import { resync, startLive, stopLive } from './live.js';
import { api } from './api.js';
import { loadEquipmentTypes } from './shared/equipment.js';
import { langSwitch, logoutButton, navLink } from './shared/frame.js';
import { isActiveAlarm, isUnackedAlarm, store } from './store.js';
import { isOpen } from './types.js';
import { mountAlarms } from './views/alarms.js';
import type { View } from './views/common.js';
import { mountDevice } from './views/device.js';
import { mountLogin } from './views/login.js';
import { mountKpis } from './views/kpis.js';
import { mountOrderDetail } from './views/order-detail.js';
import { mountOrders } from './views/orders.js';
import { mountOverview } from './views/overview.js';
import { mountPlanning } from './views/planning.js';
import { mountReport } from './views/report.js';
import { mountMyOrder, mountMyOrders } from './views/my-orders.js';
import { mountLabels } from './owner/labels-view.js';
import { ot } from './owner/i18n.js';

type Route =
  | { name: 'overview' }
  | { name: 'device'; id: string }
  | { name: 'alarms' }
  | { name: 'orders' }
  | { name: 'order'; id: string }
  | { name: 'planning' }
  | { name: 'kpis' }
  | { name: 'report'; month: string | null }
  | { name: 'my' }
  | { name: 'myorder'; id: string }
  | { name: 'owner-codes' };

function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const device = /^\/device\/([^/?]+)/.exec(path);
  if (device?.[1]) return { name: 'device', id: decodeURIComponent(device[1]) };
  const order = /^\/orders\/([^/?]+)/.exec(path);
  if (order?.[1]) return { name: 'order', id: decodeURIComponent(order[1]) };
  const mine = /^\/my\/([^/?]+)/.exec(path);
  if (mine?.[1]) return { name: 'myorder', id: decodeURIComponent(mine[1]) };
  if (path.startsWith('/my')) return { name: 'my' };
  if (path.startsWith('/alarms')) return { name: 'alarms' };
  if (path.startsWith('/planning')) return { name: 'planning' };
  if (path.startsWith('/kpis')) return { name: 'kpis' };
  if (path.startsWith('/report')) return { name: 'report', month: new URLSearchParams(path.split('?')[1] ?? '').get('month') };
  if (path.startsWith('/owner-codes')) return { name: 'owner-codes' };
  if (path.startsWith('/orders')) return { name: 'orders' };
  return { name: 'overview' };
}

const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
let view: View | null = null;

// Frame elements that live across views.
const conn = h('span', { class: 'conn-indicator', 'data-testid': 'conn-indicator', role: 'status' });
const alarmBadge = h('span', { class: 'nav-badge', 'data-testid': 'nav-alarms-count' });
const orderBadge = h('span', { class: 'nav-badge', 'data-testid': 'nav-orders-count' });
const banner = h('a', { class: 'banner', href: '#/alarms', 'data-testid': 'critical-banner', hidden: true });
const main = h('main', { id: 'view' });
const navLinks = new Map<Route['name'], HTMLAnchorElement>();

function renderFrame(): void {
  document.documentElement.lang = getLang();
  document.title = t('app.title');
  navLinks.clear();
  const link = (name: Route['name'], href: string, label: string, badge?: HTMLElement) => navLink(navLinks, name, href, label, badge);
  const lang = langSwitch(t);
  const user = getUser();
  const logout = logoutButton(t('auth.logout'), !user, () => endSession('logout'));
  const who = h('span', { class: 'user-name', 'data-testid': 'user-name', 'data-role': user?.role ?? '', hidden: !user }, user ? (user.name ?? user.username) : '');
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '#/' }, t('app.title')),
    h(
      'nav',
      { 'aria-label': t('nav.main') },
      user && user.role !== 'viewer' ? link('my', '#/my', t('nav.my')) : null,
      link('overview', '#/', t('nav.overview')),
      link('alarms', '#/alarms', t('nav.alarms'), alarmBadge),
      link('orders', '#/orders', t('nav.orders'), orderBadge),
      link('planning', '#/planning', t('nav.planning')),
      link('kpis', '#/kpis', t('nav.kpis')),
      link('report', '#/report', t('nav.report')),
      ...(user && (user.role === 'dispatcher' || user.role === 'admin') ? [link('owner-codes', '#/owner-codes', ot('nav.labels'))] : []),
    ),
    h('div', { class: 'topbar-right' }, who, conn, lang, logout),
  );
  app.replaceChildren(header, banner, main);
  updateConn();
  updateBadges();
}

let loginNotice: string | undefined;

function route(): void {
  const r = parseRoute(location.hash);
  view?.unmount();
  main.replaceChildren();
  if (!getToken()) {
    // Not signed in (or the session expired): the login page, whatever the hash says.
    for (const a of navLinks.values()) a.classList.remove('active');
    view = mountLogin(main, loginNotice);
    loginNotice = undefined;
    return;
  }
  for (const [name, a] of navLinks) a.classList.toggle('active', name === r.name || (r.name === 'device' && name === 'overview') || (r.name === 'order' && name === 'orders') || (r.name === 'myorder' && name === 'my'));
  switch (r.name) {
    case 'device':
      view = mountDevice(main, r.id);
      break;
    case 'alarms':
      view = mountAlarms(main);
      break;
    case 'orders':
      view = mountOrders(main);
      break;
    case 'order':
      view = mountOrderDetail(main, r.id);
      break;
    case 'planning':
      view = mountPlanning(main);
      break;
    case 'kpis':
      view = mountKpis(main);
      break;
    case 'report':
      view = mountReport(main, r.month);
      break;
    case 'my':
      view = mountMyOrders(main);
      break;
    case 'myorder':
      view = mountMyOrder(main, r.id);
      break;
    case 'owner-codes':
      view = mountLabels(main);
      break;
    default:
      view = mountOverview(main);
  }
  window.scrollTo(0, 0);
}

function updateConn(): void {
  const s = store.conn;
  setAttr(conn, 'data-state', s === 'connected' ? 'connected' : 'disconnected');
  setAttr(conn, 'data-conn', s);
  setAttr(conn, 'title', t('conn.title'));
  setText(conn, t(`conn.${s}`));
}

function updateBadges(): void {
  let unacked = 0;
  let critical = 0;
  for (const a of store.alarms.values()) {
    if (isUnackedAlarm(a)) unacked++;
    if (a.severity === 'critical' && isActiveAlarm(a)) critical++;
  }
  let open = 0;
  for (const o of store.orders.values()) if (isOpen(o.status)) open++;
  setText(alarmBadge, unacked ? String(unacked) : '');
  alarmBadge.hidden = unacked === 0;
  setText(orderBadge, open ? String(open) : '');
  orderBadge.hidden = open === 0;
  banner.hidden = critical === 0;
  setText(banner, critical ? t('banner.critical', { n: critical }) : '');
}

store.on('conn', updateConn);
for (const ev of ['alarms', 'alarm', 'orders', 'order'] as const) store.on(ev, updateBadges);
onLangChange(() => {
  renderFrame();
  route();
});
window.addEventListener('hashchange', route);

/** Labels and tiles of the site's equipment types (shared/equipment.ts), loaded before the first view. */
const loadTypes = (): Promise<void> => loadEquipmentTypes(api.equipmentTypes);

onSession((reason) => {
  if (reason === 'login') {
    landTechnicianOnPhone();
    renderFrame();
    void loadTypes().then(route);
    void resync();
    startLive();
    return;
  }
  stopLive();
  loginNotice = reason === 'expired' ? t('login.expired') : undefined;
  renderFrame();
  route();
});

/** A technician on a phone-sized screen starts on their own orders (README.md, "On a phone"). */
function landTechnicianOnPhone(): void {
  const path = location.hash.replace(/^#/, '');
  if ((path === '' || path === '/') && getUser()?.role === 'technician' && matchMedia('(max-width: 700px)').matches) history.replaceState(null, '', '#/my');
}

landTechnicianOnPhone();
renderFrame();
if (getToken()) {
  void loadTypes().then(route);
  void resync();
  startLive();
} else route();
