// The engine process's side of the paired passes (bench/pairs.ts): it opens the sessions a pair
// needs, rewinds them and times one pass at a time as the bench asks. The bench's process
// alternates the two sides; this only runs what it is told, in this process's CPU time.
import type { BenchEngine, EngineId, EngineSession } from './engines/engine.js';
import { fullGc } from './gc.js';
import type { Workload, WorkloadName } from './workloads/workload.js';

/** What the bench asks of one engine's pair sessions. `pass` answers CPU seconds; the others 0. */
export type PairRequest =
  | { op: 'open'; engine: EngineId; workload: Workload; start: number }
  | { op: 'rewind'; engine: EngineId; workload: WorkloadName }
  | { op: 'pass'; engine: EngineId; workload: WorkloadName; from: number; to: number }
  | { op: 'close' };

export class PairSessions {
  /** By engine, then workload: a pair across workloads (wide / steady) holds two of one engine. */
  private readonly sessions = new Map<EngineId, Map<WorkloadName, EngineSession>>();
  /**
   * Opened after every measured session and never run: in one process the WebAssembly instance
   * made last runs faster than those made before it (bench/README.md, "Which session opens
   * first"), so no measured session may be the last made.
   */
  private madeLast: EngineSession | undefined;

  constructor(private readonly engines: readonly BenchEngine[], private readonly chunk: number) {}

  async handle(request: PairRequest): Promise<number> {
    switch (request.op) {
      case 'open': {
        const engine = this.engines.find((e) => e.id === request.engine);
        if (engine === undefined) throw new Error(`pair: engine ${request.engine} is not in this process`);
        const session = await engine.open(request.workload, this.chunk);
        if (request.start > 0) {
          if (session.startAt === undefined) throw new Error(`pair: ${engine.id} cannot start a pass at command ${request.start}`);
          session.startAt(request.start);
        }
        let byWorkload = this.sessions.get(engine.id);
        if (byWorkload === undefined) this.sessions.set(engine.id, byWorkload = new Map());
        byWorkload.get(request.workload.name)?.close();
        byWorkload.set(request.workload.name, session);
        this.madeLast?.close();
        this.madeLast = await engine.open(request.workload, this.chunk);
        return 0;
      }
      case 'rewind': {
        this.session(request.engine, request.workload).rewind();
        fullGc();
        return 0;
      }
      case 'pass': {
        const session = this.session(request.engine, request.workload);
        const { from, to } = request;
        const chunk = this.chunk;
        const before = process.cpuUsage();
        for (let at = from; at < to; at += chunk) session.run(at, Math.min(to, at + chunk));
        const used = process.cpuUsage(before);
        return Math.max(1, used.user + used.system) / 1e6;
      }
      case 'close': {
        for (const byWorkload of this.sessions.values()) for (const session of byWorkload.values()) session.close();
        this.sessions.clear();
        this.madeLast?.close();
        this.madeLast = undefined;
        return 0;
      }
    }
  }

  private session(engine: EngineId, workload: WorkloadName): EngineSession {
    const session = this.sessions.get(engine)?.get(workload);
    if (session === undefined) throw new Error(`pair: no open session of ${engine} on ${workload}`);
    return session;
  }
}
