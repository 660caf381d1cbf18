/**
 * Marks for the latency benchmark (bench/extension.ts): when the page started, when this script
 * started to run, when it said `ready`, and per drawn message when it arrived, was drawn and was
 * painted. Wall-clock epoch milliseconds (`performance.timeOrigin + performance.now()`), so the
 * host can line them up with its own `Date.now()` marks; sent with `rendered`
 * (RenderedMessage.timing). Durations summed over a draw (KaTeX) are named `ms.*`.
 *
 * main.ts imports this module first, so `script` is taken before the other modules run.
 */

export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The page's own marks, sent once, with the first `rendered`. */
let page: Record<string, number> | null = { page: performance.timeOrigin, script: now() };

/** Marks of the draw in progress. */
let current: Record<string, number> = {};

export function mark(name: string): void {
  current[name] = now();
}

/** Adds `ms` to the duration `ms.<name>` of the draw in progress. */
export function addDuration(name: string, ms: number): void {
  const key = `ms.${name}`;
  current[key] = (current[key] ?? 0) + ms;
}

/** The marks taken so far for `ready` (page marks). */
export function markPage(name: string): void {
  if (page) page[name] = now();
}

/** Starts the marks of a new draw (a message arrived). */
export function startDraw(): void {
  current = {};
  mark('received');
}

/** The marks of the finished draw, with the page's marks the first time. */
export function takeMarks(): Record<string, number> {
  const marks = { ...(page ?? {}), ...current };
  if (page) {
    // When the bundle arrived, if the browser tells (resource timing of the page's script).
    const script = document.currentScript ?? document.querySelector('script[src]');
    const src = script instanceof HTMLScriptElement ? script.src : '';
    const entry = performance
      .getEntriesByType('resource')
      .find((e) => src !== '' && e.name === src) as PerformanceResourceTiming | undefined;
    if (entry) {
      marks.scriptFetchStart = performance.timeOrigin + entry.fetchStart;
      marks.scriptFetched = performance.timeOrigin + entry.responseEnd;
    }
  }
  page = null;
  current = {};
  return marks;
}

/**
 * Runs `then` once the drawn content is on screen with its fonts: after the next animation frame
 * (a task queued from it runs after that frame is produced; mark `painted`), and after the web
 * fonts that frame asked for (KaTeX's) have loaded (mark `fonts`, when any were loading). A
 * hidden page produces no frames: then at once, without marks.
 */
export function afterPaint(then: () => void): void {
  if (document.visibilityState === 'hidden') {
    then();
    return;
  }
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    then();
  };
  requestAnimationFrame(() =>
    setTimeout(() => {
      mark('painted');
      if (document.fonts.status !== 'loading') return once();
      void document.fonts.ready.then(() => {
        mark('fonts');
        once();
      });
    }, 0),
  );
  // A page hidden meanwhile gets no frame: do not hold the acknowledgement forever.
  setTimeout(once, 5000);
}
