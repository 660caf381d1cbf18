import type { OpDef } from '../op';

export const activationOps: readonly OpDef[] = [];
