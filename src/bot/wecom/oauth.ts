/**
 * Sign-in with WeCom for the corp's self-built app (`wecom-app`): the link that sends a browser to WeCom, and the
 * member's userid for the code WeCom sends back. The web layer (src/web/wecomLoginRoutes.ts) owns the state, the
 * staff check and the session; this file only speaks WeCom.
 *
 * Facts (from WeCom's documentation; `Dxxxxx` = https://developer.work.weixin.qq.com/document/path/xxxxx):
 * - Inside the WeCom client (网页授权登录, D91022 "构造网页授权链接"):
 *     https://open.weixin.qq.com/connect/oauth2/authorize?appid=CORPID&redirect_uri=REDIRECT_URI&response_type=code
 *       &scope=snsapi_base&state=STATE&agentid=AGENTID#wechat_redirect
 *   snsapi_base is silent (UserId only). `state` may be a-zA-Z0-9, at most 128 bytes. The redirect_uri's host must be
 *   the app's 可信域名 (网页授权及JS-SDK), else WeCom shows "redirect_uri参数错误".
 * - In a PC browser (企业微信Web登录, D98171 "Web登录组件 → 构造企业微信登录链接", D98173 "开始开发"; the successor of
 *   the older open.work.weixin.qq.com/wwopen/sso/qrConnect, D91019):
 *     https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=CORPID&agentid=AGENTID
 *       &redirect_uri=REDIRECT_URI&state=STATE
 *   The member scans the QR code with WeCom on the phone, or confirms in the WeCom desktop app. The redirect_uri's host
 *   must be the app's 企业微信授权登录 → 授权回调域 (or its 可信域名).
 * - Both come back as REDIRECT_URI?code=CODE&state=STATE (without `code` when the member declined). The code is
 *   single use and expires after 5 minutes.
 * - GET /cgi-bin/auth/getuserinfo?access_token=…&code=… (D96442 "获取访问用户身份", D98177 "获取用户登录身份": for
 *   self-built apps, the app's own access_token) answers
 *   `{userid}` for a member of the corp (in the app's visible range or not; `CorpId/userid` for a linked corp), and
 *   `{openid, external_userid?}` for anyone else. A bad, used or expired code → 40029; a redirect host that is not the
 *   app's trusted domain → 50001.
 */
import type { Logger } from '../../log';
import type { WeComClient } from './client';

const DEFAULT_OAUTH_BASE = 'https://open.weixin.qq.com';
const DEFAULT_SSO_BASE = 'https://login.work.weixin.qq.com';

/** What the sign-in route needs from WeCom (src/web/wecomLoginRoutes.ts). */
export interface WeComLogin {
  /** Where to send the browser: the in-client OAuth page (`inWeCom`) or the QR / desktop login page. */
  authorizeUrl(state: string, redirectUri: string, inWeCom: boolean): string;
  /** The member's userid for a code from the redirect; undefined for someone who is not a member. Throws on WeCom errors. */
  userIdForCode(code: string): Promise<string | undefined>;
}

export interface WeComOAuthOptions {
  /** The self-built app's client (its token is the one getuserinfo needs). */
  client: WeComClient;
  agentId: number;
  /** Default https://open.weixin.qq.com (tests: the fake server). */
  oauthBase?: string;
  /** Default https://login.work.weixin.qq.com (tests: the fake server). */
  ssoBase?: string;
  log?: Logger;
}

interface UserInfoAnswer {
  userid?: string;
  /** The older /cgi-bin/user/getuserinfo spelled it so. */
  UserId?: string;
  openid?: string;
  external_userid?: string;
}

export class WeComOAuth implements WeComLogin {
  private readonly oauthBase: string;
  private readonly ssoBase: string;

  constructor(private readonly opts: WeComOAuthOptions) {
    this.oauthBase = (opts.oauthBase ?? DEFAULT_OAUTH_BASE).replace(/\/+$/, '');
    this.ssoBase = (opts.ssoBase ?? DEFAULT_SSO_BASE).replace(/\/+$/, '');
  }

  authorizeUrl(state: string, redirectUri: string, inWeCom: boolean): string {
    const corpId = encodeURIComponent(this.opts.client.corpId);
    const agentId = encodeURIComponent(String(this.opts.agentId));
    const redirect = encodeURIComponent(redirectUri);
    const st = encodeURIComponent(state);
    if (inWeCom) {
      return `${this.oauthBase}/connect/oauth2/authorize?appid=${corpId}&redirect_uri=${redirect}&response_type=code`
        + `&scope=snsapi_base&state=${st}&agentid=${agentId}#wechat_redirect`;
    }
    return `${this.ssoBase}/wwlogin/sso/login?login_type=CorpApp&appid=${corpId}&agentid=${agentId}&redirect_uri=${redirect}&state=${st}`;
  }

  async userIdForCode(code: string): Promise<string | undefined> {
    const answer = await this.opts.client.get<UserInfoAnswer>('/cgi-bin/auth/getuserinfo', { code });
    const userid = answer.userid ?? answer.UserId;
    if (typeof userid === 'string' && userid) return userid;
    // Not a member of the corp (a WeChat user, a customer): WeCom names them by openid only.
    this.opts.log?.info({ api: 'auth/getuserinfo', member: false, customer: Boolean(answer.external_userid) }, 'wecom sign-in by someone who is not a member of the corp');
    return undefined;
  }
}
