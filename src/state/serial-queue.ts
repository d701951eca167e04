// Runs async tasks one at a time, in call order. An idle queue starts a task at once, inside
// the caller's synchronous run: a flush cuts its records (and a checkpoint copies the books)
// at the moment it is called, not after whatever the caller does next.
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private running = 0;

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.running === 0 ? task() : this.tail.then(task);
    this.running++;
    this.tail = result.then(settled, settled).then(() => {
      this.running--;
    });
    return result;
  }

  /** Resolves once every task queued so far has settled. */
  idle(): Promise<void> {
    return this.tail;
  }
}

function settled(): void {}
