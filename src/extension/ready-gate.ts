/**
 * Holds the host's messages for a webview until it says `ready`, and gives them again whenever
 * it says so again.
 *
 * A webview without `retainContextWhenHidden` is destroyed while hidden and loads afresh when
 * shown; what was posted meanwhile is lost. So the gate keeps the newest message of each slot
 * (the result, the busy state) for as long as the panel lives, sends it at every `ready`, and
 * holds back while the panel is hidden. No vscode import (tested in plain Node).
 */
export class ReadyGate<M> {
  private open = false;
  /** The newest message per slot, in the order they were last updated. */
  private readonly latest = new Map<string, M>();
  /** Slots whose message is forgotten once sent (postOnce). */
  private readonly once = new Set<string>();

  constructor(
    private readonly send: (message: M) => void,
    /** Messages of one slot replace each other. */
    private readonly slotOf: (message: M) => string,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  post(message: M): void {
    const slot = this.slotOf(message);
    this.once.delete(slot);
    this.latest.delete(slot);
    this.latest.set(slot, message);
    if (this.open) this.send(message);
  }

  /**
   * Like `post`, but sent once only: at once when the webview is ready, else at its next
   * `ready` — not again after a reload (a request to switch tabs, say, not a state to restore).
   */
  postOnce(message: M): void {
    if (this.open) {
      this.send(message);
      return;
    }
    this.post(message);
    this.once.add(this.slotOf(message));
  }

  /** The webview is ready (again): it gets the newest message of every slot. */
  ready(): void {
    this.open = true;
    for (const message of [...this.latest.values()]) this.send(message);
    for (const slot of this.once) this.latest.delete(slot);
    this.once.clear();
  }

  /** The webview is gone (hidden, or reloading): hold messages until it is ready again. */
  close(): void {
    this.open = false;
  }
}
