// A full garbage collection between measurements and around memory probes. `npm run bench`
// starts node without --expose-gc, so the flag is switched on at run time if needed.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export function exposeGc(): boolean {
  if (collect) return true;
  if (typeof globalThis.gc === 'function') {
    collect = globalThis.gc as () => void;
    return true;
  }
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  } catch {
    collect = undefined;
  }
  return collect !== undefined;
}

export function fullGc(): void {
  collect?.();
  collect?.();
}
