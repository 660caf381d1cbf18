/**
 * The settings of the in-editor insights — previews, live evaluation and Check Gradients — read
 * with their defaults and limits (package.json declares them with the same defaults). Hover
 * tables follow the panel's `matrix.*` settings, so numbers look the same in both places.
 */
import * as vscode from 'vscode';
import { l10n } from 'vscode';
import {
  type CheckSettings,
  type LiveSettings,
  defaultCheckSettings,
  defaultLiveSettings,
} from '../editor-insights/types';
import { settingsSection } from './settings';

/** The setting names, under `backpropNotes.`. */
export const insightSettingKeys = {
  previewsEnabled: 'previews.enabled',
  previewStatements: 'previews.statements',
  previewPrecision: 'previews.precision',
  liveEnabled: 'live.enabled',
  liveMaxElements: 'live.maxElements',
  liveDelay: 'live.delayMs',
  checkStep: 'gradientCheck.step',
  checkGood: 'gradientCheck.goodBelow',
  checkOk: 'gradientCheck.okBelow',
  checkDoubtful: 'gradientCheck.doubtfulBelow',
} as const;

function integer(value: unknown, fallback: number, min: number, max: number): number {
  return typeof value === 'number' && Number.isFinite(value)
    ? Math.min(max, Math.max(min, Math.round(value)))
    : fallback;
}

function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

export function liveSettings(): LiveSettings {
  const c = vscode.workspace.getConfiguration(settingsSection);
  const k = insightSettingKeys;
  const d = defaultLiveSettings;
  return {
    previews: c.get(k.previewsEnabled) !== false,
    previewStatements: c.get(k.previewStatements) === 'all' ? 'all' : 'softmax',
    precision: integer(c.get(k.previewPrecision), d.precision, 0, 10),
    previewRows: d.previewRows,
    previewColumns: d.previewColumns,
    hoverDigits: integer(c.get('matrix.digits'), d.hoverDigits, 1, 17),
    hoverRows: integer(c.get('matrix.maxRows'), d.hoverRows, 2, 1000),
    hoverColumns: integer(c.get('matrix.maxColumns'), d.hoverColumns, 2, 1000),
    maxElements: integer(c.get(k.liveMaxElements), d.maxElements, 1, 10_000_000),
  };
}

/** Whether documents are evaluated while typing at all, and how long a pause in typing waits. */
export function liveMode(): { enabled: boolean; delayMs: number } {
  const c = vscode.workspace.getConfiguration(settingsSection);
  return {
    enabled: c.get(insightSettingKeys.liveEnabled) !== false,
    delayMs: integer(c.get(insightSettingKeys.liveDelay), 150, 0, 5000),
  };
}

/**
 * Check Gradients' step and bands. Bands that are not increasing (good < ok < doubtful) fall
 * back to the defaults, with a message saying so from the command.
 */
export function checkSettings(): { settings: CheckSettings; problem: string | null } {
  const c = vscode.workspace.getConfiguration(settingsSection);
  const k = insightSettingKeys;
  const d = defaultCheckSettings;
  const bands = {
    good: positive(c.get(k.checkGood), d.bands.good),
    ok: positive(c.get(k.checkOk), d.bands.ok),
    doubtful: positive(c.get(k.checkDoubtful), d.bands.doubtful),
  };
  const h = positive(c.get(k.checkStep), d.h);
  if (!(bands.good < bands.ok && bands.ok < bands.doubtful)) {
    return {
      settings: { h, bands: d.bands },
      problem: l10n.t(
        'The gradient-check bands must increase (goodBelow < okBelow < doubtfulBelow); they are {0}, {1}, {2}. Using the defaults 1e-7, 1e-4, 1e-2 — fix the settings backpropNotes.gradientCheck.*.',
        bands.good,
        bands.ok,
        bands.doubtful,
      ),
    };
  }
  return { settings: { h, bands }, problem: null };
}

/** Does a configuration change touch the live insights, or Check Gradients? */
export function insightsAffected(e: vscode.ConfigurationChangeEvent): {
  live: boolean;
  check: boolean;
} {
  const s = settingsSection;
  return {
    live:
      e.affectsConfiguration(`${s}.previews`) ||
      e.affectsConfiguration(`${s}.live`) ||
      e.affectsConfiguration(`${s}.matrix`) ||
      e.affectsConfiguration(`${s}.limits`),
    check: e.affectsConfiguration(`${s}.gradientCheck`) || e.affectsConfiguration(`${s}.limits`),
  };
}
