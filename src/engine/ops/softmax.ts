import type { OpDef } from '../op';

export const softmaxOps: readonly OpDef[] = [];
