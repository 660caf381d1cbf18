/**
 * The registry: every op the engine has, by name. One file per family; each family exports its
 * list and this file is the only place that gathers them.
 */
import type { OpDef } from '../op';
import { activationOps } from './activations';
import { arithmeticOps } from './arithmetic';
import { linalgOps } from './linalg';
import { lossOps } from './losses';
import { reductionOps } from './reductions';
import { softmaxOps } from './softmax';
import { unaryOps } from './unary';

const families: readonly (readonly OpDef[])[] = [
  arithmeticOps,
  linalgOps,
  unaryOps,
  activationOps,
  softmaxOps,
  reductionOps,
  lossOps,
];

const registry = new Map<string, OpDef>();
for (const family of families) {
  for (const op of family) {
    if (registry.has(op.name)) throw new Error(`op ${op.name} is registered twice`);
    registry.set(op.name, op as OpDef);
  }
}

export function getOp(name: string): OpDef {
  const op = registry.get(name);
  if (!op) throw new Error(`no op named ${name}`);
  return op;
}

export function hasOp(name: string): boolean {
  return registry.has(name);
}

export function allOps(): readonly OpDef[] {
  return [...registry.values()];
}
