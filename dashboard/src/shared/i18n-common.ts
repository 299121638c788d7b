/**
 * Strings both apps show the same way: the sign-in form, the language switch and sign-out
 * (each app adds its own title, and head office a subtitle, on top).
 */
export const zhCommon = {
  'nav.main': '主导航',
  'lang.switch': 'English',
  'lang.switchTitle': 'Switch to English',
  'auth.logout': '退出',
  'login.username': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.failed': '用户名或密码错误',
  'login.rateLimited': '登录尝试过多，请稍后再试',
  'login.expired': '登录已过期，请重新登录',
} as const;

export type CommonKey = keyof typeof zhCommon;

export const enCommon: Record<CommonKey, string> = {
  'nav.main': 'Main navigation',
  'lang.switch': '中文',
  'lang.switchTitle': '切换到中文',
  'auth.logout': 'Sign out',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.failed': 'Wrong username or password',
  'login.rateLimited': 'Too many attempts; try again in a minute',
  'login.expired': 'Your session has expired; please sign in again',
};
