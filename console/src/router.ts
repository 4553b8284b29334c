import { createRouter, createWebHashHistory } from 'vue-router';
import Audit from './pages/Audit.vue';
import Cards from './pages/Cards.vue';
import Cases from './pages/Cases.vue';
import Child from './pages/Child.vue';
import Children from './pages/Children.vue';
import Dashboard from './pages/Dashboard.vue';
import Import from './pages/Import.vue';
import Reports from './pages/Reports.vue';
import Settings from './pages/Settings.vue';

// Hash routes: the server serves one page at /admin/ and needs no fallback for deep links.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', component: Dashboard, name: 'dashboard' },
    { path: '/children', component: Children, name: 'children' },
    { path: '/children/:id', component: Child, name: 'child', props: true },
    { path: '/import', component: Import, name: 'import' },
    { path: '/cards', component: Cards, name: 'cards' },
    { path: '/cases', component: Cases, name: 'cases' },
    { path: '/reports', component: Reports, name: 'reports' },
    { path: '/settings', component: Settings, name: 'settings' },
    { path: '/audit', component: Audit, name: 'audit' },
  ],
});
