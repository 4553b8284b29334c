/** Every scheduled job, in the order they run each tick. */
import { cadenceJobs } from './cadenceJobs';
import { callJobs } from './callJobs';
import { concernJobs } from './concernJobs';
import { housekeepingJobs } from './housekeepingJobs';
import { letterJobs } from './letterJobs';
import { noteJobs } from './noteJobs';
import { reportJobs } from './reportJobs';
import type { Job } from './scheduler';

export const allJobs: Job[] = [...concernJobs, ...noteJobs, ...callJobs, ...letterJobs, ...cadenceJobs, ...reportJobs, ...housekeepingJobs];
