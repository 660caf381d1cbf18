/** The editor-insights layer's public surface: what the extension's adapters and the worker use. */
export * from './types';
export { InsightsCache, type InsightsResult, splitBlocks } from './cache';
export { hoverAt } from './lookup';
export { isReference, referToHeld, resolveBlocks } from './delta';
export { type BlockText, blockCheck, blockInsights, liveLimit } from './block';
export { fixed, probabilityText } from './previews';
export { checkMessage } from './gradient-check';
export * from './requests';
