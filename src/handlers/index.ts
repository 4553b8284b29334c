/** The handler chain, in order: the first middleware that understands a message answers it. */
import { compose } from '../bot/context';
import { approval } from './approval';
import { concernAnswer } from './concernAnswer';
import { concernFollowUp, concernVoice } from './concerns';
import { incidents } from './incidents';
import { contactLog } from './contactLog';
import { familyCall } from './familyCall';
import { noteReplies, notes } from './notes';
import { loadDialog } from './dialog';
import { familyFallback, familyQuestions } from './familyQuestions';
import { heardVoice } from './heard';
import { registration } from './registration';
import { signIn } from './signIn';
import { staffHelp } from './staffHelp';
import { styleSwitch } from './styleSwitch';

export const handleMessage = compose([
  loadDialog,
  heardVoice,
  signIn,
  styleSwitch,
  approval,
  concernAnswer,
  incidents,
  contactLog,
  notes,
  familyCall,
  registration,
  concernVoice,
  familyQuestions,
  concernFollowUp,
  noteReplies,
  familyFallback,
  staffHelp,
]);
