import { useEffect, useState } from 'preact/hooks';
import type { Store } from './store.js';

/** Re-renders on every store change, at most once per animation frame. */
export function useStore(store: Store): number {
  const [v, setV] = useState(0);
  useEffect(() => {
    let raf = 0;
    const off = store.subscribe(() => {
      if (raf) return;
      raf = requestAnimationFrame(() => {
        raf = 0;
        setV((x) => x + 1);
      });
    });
    // "last seen 5 s ago" keeps moving without events.
    const tick = setInterval(() => setV((x) => x + 1), 5000);
    return () => {
      off();
      clearInterval(tick);
      cancelAnimationFrame(raf);
    };
  }, [store]);
  return v;
}

export function useHash(): string {
  const [h, setH] = useState(location.hash || '#/overview');
  useEffect(() => {
    const on = () => setH(location.hash || '#/overview');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return h;
}

export function go(hash: string): void {
  location.hash = hash;
}
