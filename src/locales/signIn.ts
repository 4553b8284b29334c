/**
 * Staff sign-in: the chat answer to 登录 / login (bot messages, each with its `_voice` twin; registered under
 * `signIn.`), and the web pages a sign-in link opens (registered under `web.`; pages are read, not heard).
 */
export const signInZh = {
  link: '管理后台登录链接（10 分钟内有效，只能用一次，请勿转发）：\n{{url}}',
  link_voice: '登录链接发给您了，十分钟内点开，只能用一次，别转给别人：{{url}}',
  limited: '一小时内最多获取 {{max}} 次登录链接。请在 {{time}} 以后再发“登录”。',
  limited_voice: '登录链接一小时最多要{{max}}次，请{{time}}以后再试。',
  privateOnly: '登录链接只私聊发送：请单独给我发“登录”，不要在群里发。',
  privateOnly_voice: '登录链接只能私聊发，请单独给我发登录两个字。',
};

export const signInEn = {
  link: 'Your console sign-in link (valid 10 minutes, single use; do not forward it):\n{{url}}',
  link_voice: 'Your sign-in link, valid ten minutes, works once. Keep it to yourself: {{url}}',
  limited: 'At most {{max}} sign-in links per hour. Write "login" again after {{time}}.',
  limited_voice: 'At most {{max}} sign-in links an hour. Try again after {{time}}.',
  privateOnly: 'Sign-in links are sent only in a private chat: write "login" to me directly, not in the group.',
  privateOnly_voice: 'Sign-in links go out only in a private chat. Write login to me directly.',
};

export const webZh = {
  title: '留守儿童家校联系 · 管理后台',
  refused: {
    heading: '无法登录',
    used: '这个登录链接已经用过了。每个链接只能用一次。',
    expired: '这个登录链接已过期（有效期 10 分钟）。',
    unknown: '这个登录链接无效。',
    notSignedIn: '您还没有登录，或登录已超过 12 小时未使用而失效。',
    notBuilt: '管理后台的网页还没有生成。请在服务器上运行 npm ci（或 npm run build:console）。',
    inactive: '您已不在教职工名单中，无法登录。请联系学校管理员。',
    wecom: '企业微信没有确认您的身份，或您不在教职工名单中。',
    again: '请在企业微信里给机器人发送“登录”，获取新的链接。',
  },
  wecomLogin: {
    heading: '无法用企业微信登录',
    notConfigured: '本系统没有接入企业微信自建应用，不能用企业微信登录。请在企业微信里给机器人发送“登录”，用收到的链接登录。',
  },
  home: {
    signedOut: '您已退出登录。',
  },
};

export const webEn: typeof webZh = {
  title: 'Left-behind children · Console',
  refused: {
    heading: 'Cannot sign in',
    used: 'This sign-in link has been used already. Each link works once.',
    expired: 'This sign-in link has expired (links are valid for 10 minutes).',
    unknown: 'This sign-in link is not valid.',
    notSignedIn: 'You are not signed in, or your session ended after 12 hours without use.',
    notBuilt: 'The console\'s pages are not built yet. On the server, run npm ci (or npm run build:console).',
    inactive: 'You are no longer on the staff list. Ask your school\'s administrator.',
    wecom: 'WeCom did not confirm who you are, or you are not on the staff list.',
    again: 'Write "login" to the bot in WeCom to get a new link.',
  },
  wecomLogin: {
    heading: 'Sign-in with WeCom is not available',
    notConfigured: 'This server is not connected to a WeCom self-built app, so it cannot sign you in with WeCom. Write "login" to the bot and open the link it sends.',
  },
  home: {
    signedOut: 'You have signed out.',
  },
};
