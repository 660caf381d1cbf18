import type { OpDef } from '../op';

export const lossOps: readonly OpDef[] = [];
