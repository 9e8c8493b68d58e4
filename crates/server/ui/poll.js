// Polling that runs while the tab is visible: every `interval` ms, never two at once,
// paused on hidden tabs and resumed (with an immediate refresh) when the tab shows again.

/**
 * @param {(signal: AbortSignal) => Promise<void>} fn one refresh
 * @param {number} [interval] ms between the end of one refresh and the start of the next
 * @returns {{stop: () => void, now: () => Promise<void>}}
 */
export function poll(fn, interval = 2000) {
  let timer = null;
  let running = null;
  let stopped = false;
  const ctrl = new AbortController();

  async function tick() {
    clearTimeout(timer);
    timer = null;
    if (stopped) return;
    if (running) return running;
    running = (async () => {
      try {
        await fn(ctrl.signal);
      } catch (e) {
        if (e && e.name !== 'AbortError') console.debug('refresh failed:', e.message);
      } finally {
        running = null;
        schedule();
      }
    })();
    return running;
  }

  function schedule() {
    if (stopped || timer || document.hidden) return;
    timer = setTimeout(tick, interval);
  }

  function onVisibility() {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else if (!running) {
      clearTimeout(timer);
      tick();
    }
  }

  document.addEventListener('visibilitychange', onVisibility);
  tick();

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      ctrl.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    },
    /** Refresh at once (after an action), then carry on polling. */
    now() {
      clearTimeout(timer);
      timer = null;
      return running ? running.then(() => tick()) : tick();
    },
  };
}
