// The functions pool workers run, by name. Each step defines its own task next to its code
// (definePoolTask at module load), so the pool below never imports a step. A pool worker learns
// a task by importing the module that defines it (a catalogue module in the room above); the same
// function runs inline when there is no pool.
export type TaskName = string;
export type TaskResult = { result: unknown; transfer: ArrayBuffer[] };
/** How a long task (one block of seconds) says how far it is; the caller's onProgress hears it. */
export type TaskProgress = (fraction: number, message: string) => void;
export type AnyTask = (ctx: unknown, args: unknown, progress: TaskProgress) => TaskResult | Promise<TaskResult>;

const registry = new Map<TaskName, AnyTask>();

/** Registers a task (a module's top level calls this); returns its name for the caller's runBlocks. */
export function definePoolTask<C, A>(name: TaskName, fn: (ctx: C, args: A, progress: TaskProgress) => TaskResult | Promise<TaskResult>): TaskName {
  const known = registry.get(name);
  if (known && known !== fn) throw new Error(`pool task ${name} is defined twice`);
  registry.set(name, fn as AnyTask);
  return name;
}

export function poolTask(name: TaskName): AnyTask {
  const fn = registry.get(name);
  if (!fn) throw new Error(`pool task ${name} is not defined in this thread: the pool worker's catalogue must import the module that defines it`);
  return fn;
}
