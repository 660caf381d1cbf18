/**
 * Small line plots as data (the loss per training step, memory against the batch size): axes
 * with ticks, and each series as an SVG path in pixel coordinates. The webview draws them
 * (webview/notes-views.ts); tests check the numbers in plain Node. No DOM, no vscode.
 */

export interface PlotSeries {
  /** Shown in the legend; also the series' CSS class suffix. */
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface PlotOptions {
  readonly width: number;
  readonly height: number;
  /** Logarithmic axes (base 2 for x, 10 for y); data ≤ 0 is dropped from a log axis. */
  readonly logX?: boolean;
  readonly logY?: boolean | 'auto';
  /** Base of a logarithmic y axis's ticks (default 10; 2 suits bytes). */
  readonly logBaseY?: number;
  readonly formatX?: (x: number) => string;
  readonly formatY?: (y: number) => string;
}

export interface Tick {
  readonly value: number;
  /** Pixel position along its axis. */
  readonly at: number;
  readonly label: string;
}

export interface PlotModel {
  readonly width: number;
  readonly height: number;
  /** The plotting area inside the margins. */
  readonly area: {
    readonly left: number;
    readonly top: number;
    readonly right: number;
    readonly bottom: number;
  };
  readonly xTicks: readonly Tick[];
  readonly yTicks: readonly Tick[];
  readonly logY: boolean;
  readonly series: readonly {
    readonly name: string;
    /** `M x y L x y …`; empty when the series has no drawable point. */
    readonly path: string;
    /** The drawn points in pixels (for markers and tests). */
    readonly pixels: readonly (readonly [number, number])[];
  }[];
}

const margin = { left: 64, right: 14, top: 10, bottom: 30 };

/** `auto`: logarithmic when every value is positive and they span more than a factor 20. */
function wantsLog(values: readonly number[], option: boolean | 'auto' | undefined): boolean {
  if (option !== 'auto') return option ?? false;
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0 || finite.some((v) => v <= 0)) return false;
  return Math.max(...finite) / Math.min(...finite) > 20;
}

/** About `count` round tick values across [lo, hi]. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return out;
}

/** Powers of `base` across [lo, hi] (lo > 0), thinned to about `count`. */
export function logTicks(lo: number, hi: number, base: number, count = 6): number[] {
  const first = Math.floor(Math.log(lo) / Math.log(base) + 1e-9);
  const last = Math.ceil(Math.log(hi) / Math.log(base) - 1e-9);
  const every = Math.max(1, Math.ceil((last - first + 1) / count));
  const out: number[] = [];
  for (let k = first; k <= last; k += every) out.push(base ** k);
  return out;
}

export function plotModel(series: readonly PlotSeries[], options: PlotOptions): PlotModel {
  const logX = options.logX ?? false;
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const logY = wantsLog(ys, options.logY);
  const usable = (p: readonly [number, number]) =>
    Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!logX || p[0] > 0) && (!logY || p[1] > 0);
  const all = series.flatMap((s) => s.points.filter(usable));
  const area = {
    left: margin.left,
    top: margin.top,
    right: options.width - margin.right,
    bottom: options.height - margin.bottom,
  };
  let [x0, x1] = extent(all.map((p) => p[0]));
  let [y0, y1] = extent(all.map((p) => p[1]));
  if (!logY) {
    // Linear y starts at 0 when the data is all on one side of it (losses, bytes).
    if (y0 > 0) y0 = 0;
    if (y1 < 0) y1 = 0;
  }
  if (x0 === x1) [x0, x1] = logX ? [x0 / 2, x1 * 2] : [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = logY ? [y0 / 2, y1 * 2] : [y0 - 1, y1 + 1];
  const baseY = options.logBaseY ?? 10;
  if (logY) {
    // Whole powers of the base, so the ticks sit at the ends.
    const lb = (v: number) => Math.log(v) / Math.log(baseY);
    y0 = baseY ** Math.floor(lb(y0) + 1e-9);
    y1 = baseY ** Math.ceil(lb(y1) - 1e-9);
  }
  const fx = axis(x0, x1, area.left, area.right, logX);
  const fy = axis(y0, y1, area.bottom, area.top, logY);
  const fmtX = options.formatX ?? ((v: number) => String(v));
  const fmtY = options.formatY ?? ((v: number) => String(v));
  const xValues = logX ? logTicks(x0, x1, 2, 10) : linearTicks(x0, x1, 6);
  const yValues = logY ? logTicks(y0, y1, baseY, 6) : linearTicks(y0, y1, 5);
  return {
    width: options.width,
    height: options.height,
    area,
    logY,
    xTicks: xValues
      .filter((v) => v >= x0 && v <= x1)
      .map((v) => ({ value: v, at: fx(v), label: fmtX(v) })),
    yTicks: yValues
      .filter((v) => v >= y0 && v <= y1)
      .map((v) => ({ value: v, at: fy(v), label: fmtY(v) })),
    series: series.map((s) => {
      const pixels = s.points
        .filter(usable)
        .map((p) => [round(fx(p[0])), round(fy(p[1]))] as const);
      return {
        name: s.name,
        pixels,
        path: pixels.map((p, i) => `${i === 0 ? 'M' : 'L'}${p[0]} ${p[1]}`).join(' '),
      };
    }),
  };
}

function extent(values: readonly number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  return [Math.min(...values), Math.max(...values)];
}

function axis(d0: number, d1: number, r0: number, r1: number, log: boolean): (v: number) => number {
  if (log) {
    const l0 = Math.log(d0);
    const span = Math.log(d1) - l0;
    return (v) => r0 + ((Math.log(v) - l0) / span) * (r1 - r0);
  }
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
