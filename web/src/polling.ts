import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Reloads something while its element is on the page: at once when connected, then again after the
 * delay `nextDelay` picks from the latest state (often while work runs, rarely when idle); `refresh()`
 * loads now, joining a load already in progress. `stop()` ends the schedule until the next refresh
 * (e.g. when the session ended).
 */
export class PollingController implements ReactiveController {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | undefined;
  private connected = false;
  private stopped = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly load: () => Promise<void>,
    private readonly nextDelay: () => number,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    void this.refresh();
  }

  hostDisconnected(): void {
    this.connected = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  refresh(): Promise<void> {
    this.stopped = false;
    return this.loadAndSchedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private loadAndSchedule(): Promise<void> {
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
      if (this.connected && !this.stopped) {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.loadAndSchedule(), this.nextDelay());
      }
    });
    return this.inFlight;
  }
}
