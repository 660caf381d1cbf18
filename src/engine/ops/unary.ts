import type { OpDef } from '../op';

export const unaryOps: readonly OpDef[] = [];
