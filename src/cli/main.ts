#!/usr/bin/env node
// The `lobcore` executable. Sets the exit code rather than calling process.exit, so piped
// stdout is always written out in full.
import { runCli } from './program.js';
import { runToTheEnd } from './unfinished.js';

// A reader that goes away (`lobcore inspect db | head -3`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runToTheEnd(() => runCli(process.argv.slice(2)));
