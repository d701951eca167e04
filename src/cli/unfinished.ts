// The one failure that comes with no error: Node ends a process whose event loop has nothing left
// to run while a top-level await is still pending, with exit code 13 and not a word. It means
// something lobcore awaited can never settle, a bug (`lobcore inspect` beside a writer did it once
// in a full test run, 2026-12-03). So the executable watches for the loop running dry before its
// command has finished, and reports it as the internal error it is, naming the step under way.
import { reportFailure } from './failure.js';

let step = 'starting';

/** Notes what the command is doing now, for the report if it never finishes. */
export function beginStep(what: string): void {
  step = what;
}

/** Runs the command and returns its exit code; the exit code 3 and a line on stderr if it never finishes. */
export async function runToTheEnd(command: () => Promise<number>): Promise<number> {
  let finished = false;
  process.once('beforeExit', () => {
    if (!finished) process.exitCode = reportFailure(new Error(`the command stopped while ${step}: nothing left running could finish it`));
  });
  const code = await command();
  finished = true;
  return code;
}
