/** The current time for "3 minutes ago" labels, refreshed every `ms` while the component that made it lives. */
export class Clock {
  now = $state(Date.now());

  /** Create during a component's initialisation (it starts an effect). */
  constructor(ms: number) {
    $effect(() => {
      const tick = setInterval(() => (this.now = Date.now()), ms);
      return () => clearInterval(tick);
    });
  }
}
