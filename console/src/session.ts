/** Who is signed in and what their scope lets the console offer (pages and buttons; the server checks again). */
import { App, inject } from 'vue';
import type { Session } from './api';

const KEY = Symbol('session');

export function provideSession(app: App, s: Session): void {
  app.provide(KEY, s);
}

export function useSession(): Session {
  return inject(KEY) as Session;
}

export const isCounty = (s: Session) => s.scope.county;
export const isPrincipal = (s: Session) => s.scope.county || s.scope.principalOf.length > 0;
export const isLeader = (s: Session) => s.scope.county || s.scope.wholeSchools.length > 0;
