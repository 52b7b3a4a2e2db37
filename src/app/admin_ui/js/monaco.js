// Loading Monaco's AMD build on demand from the asset prefix (and its
// loader.js, if the shell page did not load it). The editor itself is
// made in editor.js.

import { MONACO_BASE } from './env.js';
import { h } from './ui.js';

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = h('script', { src });
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(s);
  });
}

let loading = null;

export function loadMonaco() {
  if (loading) return loading;
  loading = (async () => {
    if (typeof window.require !== 'function' || !window.require.config) await loadScript(MONACO_BASE + '/loader.js');
    window.MonacoEnvironment = {
      // Same origin, so the worker loads straight from the asset prefix
      // (no blob: or data: bootstrap, which a strict CSP refuses).
      getWorkerUrl: () => MONACO_BASE + '/base/worker/workerMain.js',
    };
    window.require.config({ paths: { vs: MONACO_BASE } });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the editor took too long to load')), 30000);
      window.require(['vs/editor/editor.main'], () => { clearTimeout(timer); resolve(window.monaco); },
        (err) => { clearTimeout(timer); reject(err instanceof Error ? err : new Error(String(err && err.message || err))); });
    });
  })();
  return loading;
}
