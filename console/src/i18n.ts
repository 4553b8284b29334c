/** The console's words through i18next (zh-CN by default, English by the switch or the browser's language). */
import i18next from 'i18next';
import { consoleEn, consoleZh } from './locales';

export type Lang = 'zh-CN' | 'en';

function initialLang(): Lang {
  const stored = localStorage.getItem('lang');
  if (stored === 'en' || stored === 'zh-CN') return stored;
  return navigator.language.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
}

export const lang: Lang = initialLang();

void i18next.init({
  lng: lang,
  fallbackLng: 'zh-CN',
  initImmediate: false,
  interpolation: { escapeValue: false },
  resources: { 'zh-CN': { translation: consoleZh }, en: { translation: consoleEn } },
});

export const has = (key: string): boolean => i18next.exists(key);
export const t = (key: string, params?: Record<string, unknown>): string => i18next.t(key, params) as string;

export function switchLang(to: Lang): void {
  localStorage.setItem('lang', to);
  window.location.reload();
}
