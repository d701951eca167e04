// Worker thread for bench/serve.ts: pages on their own event loop, as browsers would be. Each
// runs the page's feed client (web/feed-client.js) against the server; `stalled` pages subscribe
// and then never read their socket again.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

interface PagesOptions {
  url: string;
  origin: string;
  live: number;
  stalled: number;
}

const { url, origin, live, stalled } = workerData as PagesOptions;
// The page's own module, loaded at run time from the package (it is plain JavaScript).
const { FeedClient } = (await import(new URL('../../web/feed-client.js', import.meta.url).href)) as {
  FeedClient: new (options: object) => { connect(): void; close(): void; counts: { deltas: number; snapshots: number; gaps: number } };
};

const pages = Array.from({ length: live }, () => {
  const page = new FeedClient({ url, createSocket: (address: string) => new WebSocket(address, { origin }) });
  page.connect();
  return page;
});
const sockets = Array.from({ length: stalled }, () => {
  const socket = new WebSocket(url, { origin });
  socket.on('message', (data) => {
    if (JSON.parse(data.toString()).type === 'hello') {
      socket.send(JSON.stringify({ type: 'subscribe', asset: 1 }));
      socket.pause();
    }
  });
  return socket;
});

parentPort?.on('message', (message: string) => {
  if (message !== 'report') return;
  parentPort?.postMessage(pages.map((page) => ({ ...page.counts })));
  for (const page of pages) page.close();
  for (const socket of sockets) socket.terminate();
  parentPort?.close();
});
parentPort?.postMessage('ready');
