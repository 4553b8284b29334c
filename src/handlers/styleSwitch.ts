/** "语音模式" / "文字模式" and "English" / "中文": a person's own choice of style and language. */
import { Preferences, setPreferences } from '../domain/preferences';
import type { Middleware } from '../bot/context';

const VOICE = /^(语音模式|语音|voice mode)$/i;
const TEXT = /^(文字模式|文字|text mode)$/i;
const EN = /^(english|英文|英语)$/i;
const ZH = /^(中文|chinese|汉语)$/i;

export const styleSwitch: Middleware = async (ctx, next) => {
  if (ctx.person.kind === 'unknown') return next();
  const text = ctx.msg.text.trim();
  let update: Preferences | undefined;
  let key = '';
  if (VOICE.test(text)) [update, key] = [{ style: 'voice' }, 'style.voice'];
  else if (TEXT.test(text)) [update, key] = [{ style: 'text' }, 'style.text'];
  else if (EN.test(text)) [update, key] = [{ lang: 'en' }, 'lang.switched'];
  else if (ZH.test(text)) [update, key] = [{ lang: 'zh-CN' }, 'lang.switched'];
  if (!update) return next();
  await setPreferences(ctx.orgId, ctx.msg.from, update);
  await ctx.refreshPerson();
  return ctx.reply(key);
};
