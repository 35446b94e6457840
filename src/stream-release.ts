import type { AxiosResponse } from 'axios';

interface NodeReadableLike {
  once(event: string, listener: () => void): unknown;
  pipe: unknown;
  readableEnded?: boolean;
  destroyed?: boolean;
}

function isNodeReadable(data: unknown): data is NodeReadableLike {
  return !!data && typeof (data as NodeReadableLike).pipe === 'function' && typeof (data as NodeReadableLike).once === 'function';
}

function isWebStream(data: unknown): data is ReadableStream<unknown> {
  return typeof ReadableStream !== 'undefined' && data instanceof ReadableStream;
}

/** A body that is read as it arrives (a Node stream or a web ReadableStream), not a whole value. */
export function isStreamBody(data: unknown): boolean {
  if (!data || typeof data !== 'object') return false;
  return typeof (data as { pipe?: unknown }).pipe === 'function' || isWebStream(data);
}

/**
 * With `responseType: 'stream'` axios answers at the headers, while the server counts the request in
 * flight until it has sent the whole body: a slot given back now lets the next request of a full key
 * arrive while the server still counts this one. So the slot goes back once the body has been read to
 * its end or abandoned (destroyed, cancelled, failed). Call only for a response whose data is a stream.
 */
export function releaseWhenBodyRead(response: AxiosResponse, release: () => void): AxiosResponse {
  const body = response.data as unknown;
  let released = false;
  const once = (): void => {
    if (released) return;
    released = true;
    release();
  };
  if (isNodeReadable(body)) {
    if (body.readableEnded || body.destroyed) once();
    else for (const event of ['end', 'error', 'close']) body.once(event, once);
  } else if (isWebStream(body)) {
    const reader = body.getReader();
    response.data = new ReadableStream<unknown>({
      async pull(controller) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            once();
            controller.close();
          } else controller.enqueue(chunk.value);
        } catch (failure) {
          once();
          controller.error(failure);
        }
      },
      cancel(reason) {
        once();
        return reader.cancel(reason);
      },
    });
  } else {
    once();
  }
  return response;
}

/** Frees the connection of a streamed body nobody will read (a throttled answer that is replayed). */
export function discardBody(data: unknown): void {
  try {
    if (isNodeReadable(data)) (data as { destroy?: () => void }).destroy?.();
    else if (isWebStream(data)) void data.cancel().catch(() => undefined);
  } catch {
    // already gone
  }
}
