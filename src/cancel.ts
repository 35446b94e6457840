import { CanceledError } from 'axios';

interface CancelSource {
  signal?: {
    aborted?: boolean;
    addEventListener?: (type: 'abort', listener: () => void, options?: { once?: boolean }) => void;
    removeEventListener?: (type: 'abort', listener: () => void) => void;
  };
  cancelToken?: {
    reason?: unknown;
    subscribe?: (listener: (reason: unknown) => void) => void;
    unsubscribe?: (listener: (reason: unknown) => void) => void;
  };
}

// axios's runtime constructor is (message, config, request); its typings only declare AxiosError's.
const Canceled = CanceledError as unknown as new (message: string | null, config?: unknown) => Error;

/** The error axios itself raises for a cancelled request (`axios.isCancel` recognises it). */
export function canceledError(config: unknown): Error {
  return new Canceled(null, config);
}

/** The cancel error if the request was already cancelled by its AbortSignal or CancelToken. */
export function cancellation(config: CancelSource): Error | undefined {
  if (config.cancelToken?.reason) return config.cancelToken.reason as Error;
  if (config.signal?.aborted) return canceledError(config);
  return undefined;
}

/**
 * Calls `cancel` when the request's AbortSignal or CancelToken fires, or at once if it already has (an
 * aborted signal never fires 'abort' again). Returns an unsubscribe.
 */
export function onCancel(config: CancelSource, cancel: (reason: Error) => void): (() => void) | undefined {
  const already = cancellation(config);
  if (already) {
    cancel(already);
    return undefined;
  }
  const { signal, cancelToken } = config;
  let unsubscribeSignal: (() => void) | undefined;
  let unsubscribeToken: (() => void) | undefined;
  if (signal?.addEventListener) {
    const listener = () => cancel(canceledError(config));
    signal.addEventListener('abort', listener, { once: true });
    unsubscribeSignal = () => signal.removeEventListener?.('abort', listener);
  }
  if (cancelToken?.subscribe) {
    const listener = (reason: unknown) => cancel((reason as Error) ?? canceledError(config));
    cancelToken.subscribe(listener);
    unsubscribeToken = () => cancelToken.unsubscribe?.(listener);
  }
  if (!unsubscribeSignal && !unsubscribeToken) return undefined;
  return () => {
    unsubscribeSignal?.();
    unsubscribeToken?.();
  };
}
