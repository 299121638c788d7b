/** Top-bar pieces both apps build the same way: navigation links, the language switch, sign-out. */
import { h, type Child } from '../dom.js';
import { getLang, toggleLang } from './lang.js';

/** A navigation link (`nav-<name>`), remembered in `links` so the router can mark the active one. */
export function navLink<N extends string>(links: Map<N, HTMLAnchorElement>, name: N, href: string, label: string, badge?: Child): HTMLAnchorElement {
  const a = h('a', { href, class: 'nav-link', 'data-testid': `nav-${name}` }, label, badge);
  links.set(name, a);
  return a;
}

/** The button that switches between Chinese and English (`lang-switch`, `data-lang` = current). */
export function langSwitch(t: (key: 'lang.switch' | 'lang.switchTitle') => string): HTMLButtonElement {
  const lang = h(
    'button',
    { type: 'button', class: 'lang-switch', 'data-testid': 'lang-switch', title: t('lang.switchTitle'), 'data-lang': getLang() },
    t('lang.switch'),
  );
  lang.addEventListener('click', toggleLang);
  return lang;
}

/** The sign-out button (`logout`). */
export function logoutButton(label: string, hidden: boolean, onClick: () => void): HTMLButtonElement {
  const logout = h('button', { type: 'button', class: 'lang-switch', 'data-testid': 'logout', hidden }, label);
  logout.addEventListener('click', onClick);
  return logout;
}
