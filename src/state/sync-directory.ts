// A new or renamed file's name is durable only once the directory holding it is synced: until
// then a machine crash can lose the name, and the file's synced contents with it.
import * as fs from 'node:fs';

export function syncDirectorySync(directory: string): void {
  const fd = fs.openSync(directory, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.promises.open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
