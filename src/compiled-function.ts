// One way to turn generated source into a function, for the code compiled from tables (the
// request checkers and encoders of src/operations.ts, the durable encoders of src/state/).

/**
 * A function named `name` (so that V8's traces, profiles and stack traces tell it apart) with
 * `body`, which may use each of `constants` by its key. Those arrive through consts: context slots
 * that TurboFan reads as constants, where a parameter's slot is read at every use.
 */
export function compileFunction<T>(name: string, params: string[], body: string, constants: Record<string, unknown>): T {
  const names = Object.keys(constants);
  const source = `const { ${names.join(', ')} } = constants;\nreturn function ${name}(${params.join(', ')}) {\n${body}\n};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('constants', source)(constants) as T;
}
