// A state machine opened with `readOnly: true` answers every query and refuses whatever would
// change its state or its database: commands, height changes, checkpoints. (Its store refuses
// writes as well; this guard refuses them before the engine has applied anything.)
import { LobError } from '../errors.js';

export function refuseWhenReadOnly(readOnly: boolean, operation: string): void {
  if (readOnly) {
    throw new LobError('READ_ONLY', `${operation} is refused: this state machine was opened with readOnly: true, to read the database as it was when opened`);
  }
}
