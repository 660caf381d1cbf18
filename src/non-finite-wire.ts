/**
 * NaN and ±∞ across a JSON-only channel. VS Code delivers webview messages as JSON, which turns
 * every non-finite number into `null`: the panel could then only guess NaN, and an ∞ from
 * `exp(1000)` would show as NaN. The host wraps each one as `{ "$nonFinite": "inf" }` (or
 * `"-inf"`, `"nan"`) before posting, and the webview unwraps them on arrival, before validating
 * the message.
 *
 * Both walk the whole value but copy only the objects and arrays on the way to a replaced number:
 * a message with finite numbers only comes back as the same object. No imports (a sibling of protocol.ts, which both sides share): the webview
 * bundles this file.
 */

/** The key that marks a wrapped number; no field of a message is ever called this. */
const MARK = '$nonFinite';

type Wrapped = { readonly [MARK]: 'nan' | 'inf' | '-inf' };

/** `value` with every NaN/±∞ number (at any depth) wrapped, so that it survives JSON. */
export function wrapNonFinite<T>(value: T): T {
  return wrap(value) as T;
}

function wrap(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    const w: Wrapped = { [MARK]: Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf' };
    return w;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      // Most arrays are rows of finite numbers: no call per element for those.
      if (typeof v === 'number' && Number.isFinite(v)) continue;
      const w = wrap(v);
      if (w !== v) {
        out ??= value.slice();
        out[i] = w;
      }
    }
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let out: Record<string, unknown> | null = null;
    for (const [k, v] of Object.entries(value)) {
      const w = wrap(v);
      if (w !== v) {
        out ??= { ...(value as Record<string, unknown>) };
        out[k] = w;
      }
    }
    return out ?? value;
  }
  return value;
}

/** The inverse of `wrapNonFinite`, for what came out of JSON: wrapped numbers become numbers again. */
export function unwrapNonFinite(value: unknown): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v === null || typeof v !== 'object') continue;
      const u = unwrapNonFinite(v);
      if (u !== v) {
        out ??= value.slice();
        out[i] = u;
      }
    }
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const mark = o[MARK];
    if (mark !== undefined && Object.keys(o).length === 1) {
      return mark === 'inf' ? Infinity : mark === '-inf' ? -Infinity : NaN;
    }
    let out: Record<string, unknown> | null = null;
    for (const [k, v] of Object.entries(o)) {
      const u = unwrapNonFinite(v);
      if (u !== v) {
        out ??= { ...o };
        out[k] = u;
      }
    }
    return out ?? value;
  }
  return value;
}
