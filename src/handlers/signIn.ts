/**
 * 登录 / login from an active staff member: a one-time console link (10 minutes, single use, at most
 * LOGIN_LINKS_PER_HOUR an hour), sent only to them in a private chat. In a group room no link is issued, only a
 * hint to ask privately. Families and strangers pass on and get their usual answer.
 */
import type { Middleware } from '../bot/context';
import { formatLocalTime } from '../domain/format';
import { issueLoginCode, loginUrl, LOGIN_LINKS_PER_HOUR } from '../domain/signIn';
import { codeText } from '../humanInput';
import { settingsOf } from './settings';

/** After folding full-width characters (ｌｏｇｉｎ, 登录！) and case; 登陆 is the common misspelling of 登录. */
const LOGIN = /^(登录|登陆|登入|登录后台|后台登录|login|log in|sign in|signin)[.!。！]?$/i;

function isLoginRequest(text: string): boolean {
  return LOGIN.test(codeText(text));
}

export const signIn: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'staff' || !isLoginRequest(ctx.msg.text)) return next();
  // A link in a group chat would let everyone in it sign in as this staff member.
  if (ctx.msg.room) return ctx.reply('signIn.privateOnly');
  const issued = await issueLoginCode(ctx.orgId, ctx.person.staff.wecomUserId, ctx.now);
  if ('limited' in issued) {
    const { timeZone } = await settingsOf(ctx);
    return ctx.reply('signIn.limited', { max: LOGIN_LINKS_PER_HOUR, time: formatLocalTime(issued.retryAt, timeZone) });
  }
  // Always as text, whatever their style: voice style would cut the link into pieces and read it aloud.
  return ctx.reply('signIn.link', { url: loginUrl(ctx.services.publicUrl, issued.code) }, 'text');
};
