/** i18next with zh-CN (default) and en; `style: 'voice'` picks each key's `_voice` twin (i18next context). */
import i18next from 'i18next';
import { zhCN } from './zh-CN';
import { en } from './en';
import { importErrorsEn, importErrorsZh } from './importErrors';
import { cliEn, cliZh } from './cli';
import { cadencesEn, cadencesZh } from './cadences';
import { callsEn, callsZh } from './calls';
import { notesEn, notesZh } from './notes';
import { inboundEn, inboundZh } from './inbound';
import { signInEn, signInZh, webEn, webZh } from './signIn';
import { bulletinEn, bulletinZh, reportEn, reportZh } from './report';

export type Lang = 'zh-CN' | 'en';
export type Style = 'text' | 'voice';
export const LANGS: Lang[] = ['zh-CN', 'en'];

/** Messages people receive through the bot: each has a `_voice` twin (test/locales.test.ts checks it). */
export const botMessages = {
  'zh-CN': { ...zhCN, notes: notesZh, calls: callsZh, cadences: cadencesZh, inbound: inboundZh, signIn: signInZh, bulletin: bulletinZh },
  en: { ...en, notes: notesEn, calls: callsEn, cadences: cadencesEn, inbound: inboundEn, signIn: signInEn, bulletin: bulletinEn },
};

const resources = {
  'zh-CN': { translation: { ...botMessages['zh-CN'], importError: importErrorsZh, cli: cliZh, web: webZh, report: reportZh } },
  en: { translation: { ...botMessages.en, importError: importErrorsEn, cli: cliEn, web: webEn, report: reportEn } },
} as const;

const i18n = i18next.createInstance();
void i18n.init({
  resources,
  lng: 'zh-CN',
  fallbackLng: 'zh-CN',
  initImmediate: false,
  interpolation: { escapeValue: false },
  returnNull: false,
  showSupportNotice: false,
});

export type Params = Record<string, string | number | undefined>;

export function translate(lang: Lang, style: Style, key: string, params: Params = {}): string {
  const opts = { ...params, lng: lang, ...(style === 'voice' ? { context: 'voice' } : {}) };
  return i18n.t(key, opts) as unknown as string;
}

/** A translator bound to one recipient's language and style. */
export type T = (key: string, params?: Params) => string;
export function translator(lang: Lang, style: Style): T {
  return (key, params) => translate(lang, style, key, params);
}
