import ElementPlus from 'element-plus';
import 'element-plus/dist/index.css';
import en from 'element-plus/es/locale/lang/en';
import zhCn from 'element-plus/es/locale/lang/zh-cn';
import { createApp } from 'vue';
import App from './App.vue';
import { loadSession } from './api';
import { lang } from './i18n';
import { router } from './router';
import { provideSession } from './session';

async function start(): Promise<void> {
  const session = await loadSession();
  // The server shows its own page to someone not signed in; this is for a session that ended meanwhile.
  if (!session) return void window.location.assign('/admin/');
  const app = createApp(App);
  provideSession(app, session);
  app.use(ElementPlus, { locale: lang === 'en' ? en : zhCn });
  app.use(router);
  app.mount('#app');
}
void start();
