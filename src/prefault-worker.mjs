// Touches every 4 KiB page of a shared WebAssembly memory from `from` up to `end`, so that the thread
// restoring into it finds them present (prefault.ts says why).
import { parentPort } from 'node:worker_threads';

const PAGE_WORDS = 1024;

parentPort.on('message', ({ memory, from, end }) => {
  const words = new Int32Array(memory.buffer, from, Math.floor((end - from) / 4));
  // Adding 0 atomically writes the page without changing it, whatever the restoring thread
  // writes to the same word meanwhile.
  for (let i = 0; i < words.length; i += PAGE_WORDS) Atomics.add(words, i, 0);
  parentPort.postMessage('touched');
});
