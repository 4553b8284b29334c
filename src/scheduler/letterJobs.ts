/** Placeholder until this part of the rhythm (issue 3) is built. */
import type { Job } from './scheduler';

export const letterJobs: Job[] = [];
