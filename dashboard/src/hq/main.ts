/**
 * Head-office ("portfolio") pages: the frame (navigation, user and role, language switch) and
 * the hash router. A second entry of the dashboard build (hq.html); it shares the DOM helper,
 * formatting, styles and the remembered language with the estate app.
 */
import '../style.css';
import './hq.css';
import { h } from '../dom.js';
import { langSwitch, logoutButton, navLink } from '../shared/frame.js';
import { endSession, getToken, getUser, onSession } from './auth.js';
import { api } from './api.js';
import { loadEquipmentTypes } from '../shared/equipment.js';
import { parseHash, type View } from './common.js';
import { getLang, onLangChange, roleName, t } from './i18n.js';
import { mountLogin } from './views/login.js';
import { mountOrders } from './views/orders.js';
import { mountRanking } from './views/ranking.js';
import { mountReport } from './views/report.js';
import { mountSites } from './views/sites.js';
import { mountTrends } from './views/trends.js';

type RouteName = 'sites' | 'orders' | 'ranking' | 'report' | 'trends';

function routeName(path: string): RouteName {
  if (path.startsWith('/orders')) return 'orders';
  if (path.startsWith('/ranking')) return 'ranking';
  if (path.startsWith('/report')) return 'report';
  if (path.startsWith('/trends')) return 'trends';
  return 'sites';
}

const MOUNT: Record<RouteName, (root: HTMLElement, params: URLSearchParams) => View> = {
  sites: mountSites,
  orders: mountOrders,
  ranking: mountRanking,
  report: mountReport,
  trends: mountTrends,
};

const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
const main = h('main', { id: 'view', class: 'hq' });
const navLinks = new Map<RouteName, HTMLAnchorElement>();
let current: { name: RouteName | 'login'; view: View } | null = null;
let loginNotice: string | undefined;

function renderFrame(): void {
  document.documentElement.lang = getLang();
  document.title = t('app.title');
  navLinks.clear();
  const link = (name: RouteName, href: string, label: string) => navLink(navLinks, name, href, label);
  const lang = langSwitch(t);
  const user = getUser();
  const signedIn = !!user && !!getToken();
  const logout = logoutButton(t('auth.logout'), !signedIn, () => endSession('logout'));
  const who = h(
    'span',
    { class: 'user-name', 'data-testid': 'user-name', hidden: !signedIn },
    user ? (user.name ?? user.username) : '',
    ' ',
    h('span', { class: 'role-pill', 'data-testid': 'user-role', 'data-role': user?.role ?? '' }, user ? roleName(user.role) : ''),
  );
  const nav = h(
    'nav',
    { 'aria-label': t('nav.main'), hidden: !signedIn },
    link('sites', '#/', t('nav.sites')),
    link('orders', '#/orders', t('nav.orders')),
    link('ranking', '#/ranking', t('nav.ranking')),
    link('trends', '#/trends', t('nav.trends')),
  );
  const header = h('header', { class: 'topbar' }, h('a', { class: 'brand', href: '#/' }, t('app.title')), nav, h('div', { class: 'topbar-right' }, who, lang, logout));
  app.replaceChildren(header, main);
}

function route(): void {
  const { path, params } = parseHash(location.hash);
  if (!getToken()) {
    // Not signed in (or the session expired): the login page, whatever the hash says.
    if (current?.name === 'login') return;
    current?.view.unmount();
    main.replaceChildren();
    current = { name: 'login', view: mountLogin(main, loginNotice) };
    loginNotice = undefined;
    return;
  }
  const name = routeName(path);
  for (const [n, a] of navLinks) a.classList.toggle('active', n === name || (name === 'report' && n === 'ranking'));
  // Only the query changed (filters): let the page update itself.
  if (current && current.name === name && current.view.update) {
    current.view.update(params);
    return;
  }
  current?.view.unmount();
  main.replaceChildren();
  current = { name, view: MOUNT[name](main, params) };
  window.scrollTo(0, 0);
}

function remount(): void {
  current?.view.unmount();
  current = null;
  main.replaceChildren();
  renderFrame();
  route();
}

onLangChange(remount);
window.addEventListener('hashchange', route);
/** Labels and trend points of the equipment types (shared/equipment.ts), loaded before the page is drawn. */
const loadTypes = async (): Promise<void> => {
  if (getToken()) await loadEquipmentTypes(api.equipmentTypes);
};

onSession((reason) => {
  loginNotice = reason === 'expired' ? t('login.expired') : undefined;
  void loadTypes().then(remount);
});

void loadTypes().then(remount);
