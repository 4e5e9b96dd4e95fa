// A worker request whose answer a component shows: started when its (JSON-able) message changes,
// cancelled when it is superseded or the component goes, with progress and errors kept beside the
// answer. The message itself is the key, so an answer is never shown for a different question.
import { useEffect, useState } from 'react';
import type { Request, Response } from '../../workers/protocol.ts';
import { WorkerRequestError, dataClient } from '../worker-client.ts';

type Outgoing = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type Payload<T extends Response['type']> = Extract<Response, { type: T }>;

interface Outcome<T> {
  key: string;
  value?: T;
  error?: string;
}

export interface WorkerResult<T> {
  value: T | null;
  error: string | null;
  loading: boolean;
  progress: { fraction: number; message: string } | null;
}

/** `version`: asks again when it changes (the same message can get a new answer, e.g. after a re-run). */
export function useWorkerResult<T extends Response['type']>(msg: Outgoing | null, version: string | number = 0): WorkerResult<Payload<T>> {
  const key = msg ? JSON.stringify([msg, version]) : null;
  const [outcome, setOutcome] = useState<Outcome<Payload<T>> | null>(null);
  const [progress, setProgress] = useState<{ key: string; fraction: number; message: string } | null>(null);
  useEffect(() => {
    if (key === null) return;
    let settled = false;
    const { id, done } = dataClient().request<T>((JSON.parse(key) as [Outgoing])[0], (fraction, message) => setProgress({ key, fraction, message }));
    done
      .then((value) => setOutcome({ key, value }))
      .catch((err: unknown) => {
        if (err instanceof WorkerRequestError && err.info.code === 'cancelled') return;
        setOutcome({ key, error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        settled = true;
      });
    return () => {
      if (!settled) dataClient().cancel(id);
    };
  }, [key]);
  const current = outcome && outcome.key === key ? outcome : null;
  return {
    value: current?.value ?? null,
    error: current?.error ?? null,
    loading: key !== null && !current,
    progress: progress && progress.key === key && !current ? { fraction: progress.fraction, message: progress.message } : null,
  };
}
