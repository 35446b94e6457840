import type { ChildProcess } from 'node:child_process';

/**
 * Questions to a forked child over IPC, each answered by its next message, in order. Every question still
 * waiting fails if the child exits (`name` says which in the error).
 */
export function askChild(child: ChildProcess, name: string): <T>(message: object) => Promise<T> {
  const waiting: Array<{ resolve: (reply: unknown) => void; reject: (error: Error) => void }> = [];
  child.on('message', (reply) => waiting.shift()?.resolve(reply));
  child.on('exit', (code) => {
    for (const question of waiting.splice(0)) question.reject(new Error(`${name} exited with ${code}`));
  });
  return <T>(message: object) =>
    new Promise<T>((resolve, reject) => {
      waiting.push({ resolve: resolve as (reply: unknown) => void, reject });
      child.send(message);
    });
}
