// Messages between the runner and the engine worker (bench/engineWorker.ts).

export interface PodRef {
  namespace: string;
  pod: string;
  container?: string;
}

export type EngineRequest = { id: number } & (
  | { op: 'init'; kubeconfig: string; context: string }
  | { op: 'oneShot'; target: PodRef; command: string[] }
  | { op: 'bareExec'; target: PodRef; command: string[] }
  | { op: 'shellReady'; target: PodRef; shells?: string[] }
  | { op: 'keystrokes'; target: PodRef; command: string[]; count: number }
  | { op: 'fanOut'; targets: PodRef[]; command: string[]; concurrency: number }
);

export type EngineReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
