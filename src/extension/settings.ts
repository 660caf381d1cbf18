/**
 * The `backpropNotes.*` settings, read with their defaults and limits (package.json declares
 * them with the same defaults).
 */
import * as vscode from 'vscode';
import type { ViewSettings } from '../protocol';
import { DEFAULT_LIMITS, type LimitOptions, MAX_NESTING_CEILING } from '../spec/limits';

export const settingsSection = 'backpropNotes';

function count(value: unknown, fallback: number, min: number, max: number): number {
  return typeof value === 'number' && Number.isFinite(value)
    ? Math.min(max, Math.max(min, Math.round(value)))
    : fallback;
}

/** How the panel draws matrices. */
export function viewSettings(): ViewSettings {
  const c = vscode.workspace.getConfiguration(settingsSection);
  return {
    maxRows: count(c.get('matrix.maxRows'), 8, 2, 1000),
    maxColumns: count(c.get('matrix.maxColumns'), 8, 2, 1000),
    digits: count(c.get('matrix.digits'), 4, 1, 17),
  };
}

export interface EngineSettings {
  readonly gradientCheck: boolean;
  /** Elements checked per tensor at most (a seeded sample beyond). */
  readonly gradientCheckElements: number;
  readonly timeLimitMs: number;
}

export function engineSettings(): EngineSettings {
  const c = vscode.workspace.getConfiguration(settingsSection);
  return {
    gradientCheck: c.get('explain.gradientCheck') !== false,
    gradientCheckElements: count(c.get('explain.gradientCheckElements'), 64, 1, 100_000),
    timeLimitMs: count(c.get('engine.timeLimitSeconds'), 30, 1, 3600) * 1000,
  };
}

/**
 * The limits on what a model block may ask for (`backpropNotes.limits.*`, src/spec/limits.ts),
 * with the setting named in each limit's message. EngineClient sends them with every request.
 */
export function specLimits(): LimitOptions {
  const c = vscode.workspace.getConfiguration(settingsSection);
  const d = DEFAULT_LIMITS;
  return {
    maxElements: count(c.get('limits.maxElements'), d.maxElements, 1, 1e9),
    maxTotalElements: count(c.get('limits.maxTotalElements'), d.maxTotalElements, 1, 1e10),
    maxMultiplyAdds: count(c.get('limits.maxMultiplyAdds'), d.maxMultiplyAdds, 1, 1e15),
    maxNesting: count(c.get('limits.maxNesting'), d.maxNesting, 1, MAX_NESTING_CEILING),
    limitHints: {
      maxElements: 'setting backpropNotes.limits.maxElements',
      maxTotalElements: 'setting backpropNotes.limits.maxTotalElements',
      maxMultiplyAdds: 'setting backpropNotes.limits.maxMultiplyAdds',
      maxNesting: 'setting backpropNotes.limits.maxNesting',
    },
  };
}

/** Does a configuration change touch what the panel shows? */
export function affects(e: vscode.ConfigurationChangeEvent): boolean {
  return ['matrix', 'explain', 'engine', 'limits'].some((s) =>
    e.affectsConfiguration(`${settingsSection}.${s}`),
  );
}
