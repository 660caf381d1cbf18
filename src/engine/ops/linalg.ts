import type { OpDef } from '../op';

export const linalgOps: readonly OpDef[] = [];
