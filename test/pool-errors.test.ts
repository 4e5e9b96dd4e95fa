// A worker that dies fails the step with its own error, not "cancelled", and does not take down a
// step running beside on the spare worker; idle() waits for that step too.
import { describe, expect, it } from 'vitest';
import { WorkerPool, type PoolPort, type PoolRequest } from '../src/parallel/pool.ts';

/** Ports that answer 'run' after `hold` resolves; the block whose args say `die` kills its worker. */
function fakeSpawn(hold: Promise<void>) {
  return (): PoolPort => {
    let onMessage: (m: unknown) => void = () => undefined;
    let onError: (e: Error) => void = () => undefined;
    let dead = false;
    return {
      postMessage(raw) {
        const m = raw as PoolRequest;
        if (m.type !== 'run') return;
        const args = m.args as { die?: string; value: number };
        if (args.die) queueMicrotask(() => !dead && onError(new Error(args.die)));
        else void hold.then(() => !dead && onMessage({ type: 'done', job: m.job, block: m.block, result: args.value }));
      },
      onMessage: (cb) => (onMessage = cb),
      onError: (cb) => (onError = cb),
      terminate: () => void (dead = true),
    };
  };
}

describe('worker pool failures', () => {
  it('a dead worker fails the step with its error; the spare worker\'s step goes on; idle waits for it', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const pool = new WorkerPool(2, fakeSpawn(hold), true);
    const besideJob = pool.spare().open('x', {});
    const beside = besideJob.run<number>([{ value: 7 }]);
    const job = pool.open('x', {});
    // Block 0 waits (its worker is fine), block 1's worker dies.
    await expect(job.run<number>([{ value: 1 }, { die: 'worker ran out of memory' }])).rejects.toThrow('worker pool: worker ran out of memory');
    job.close();
    let idle = false;
    const waiting = pool.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    release();
    expect(await beside).toEqual([7]);
    besideJob.close();
    await waiting;
    expect(idle).toBe(true);
  });
});
