/**
 * Request priorities: which waiter of a key goes next. Pure rules, so that the scheduler only keeps state.
 *
 * A priority is a class, an integer from -5 to 5 (`'high'` 1, `'normal'` 0, `'low'` -1). Within a key the
 * classes share its slots by **stride scheduling** (Waldspurger & Weihl 1995): each class has a pass (when its
 * head is due), the waiting class with the smallest pass goes next and its pass grows by its stride, 4^-class. So while every
 * class has requests waiting, a class gets 4 times the slots of the class below it (high : normal : low =
 * 16 : 4 : 1), and a class that starts waiting starts one stride after the pass of the class served
 * last: a high request that arrives behind 2,000 queued low ones is sent in the next slot, and a few
 * requests of each class queued at once go strictly by class. Nothing starves: a low request is
 * sent within its own class's queue ahead of it times (1 + 4 + 16) slots, however many high requests keep
 * coming. Time-based ageing (a class per N seconds of waiting) is not used on purpose: a backlog queued at
 * once ages at once, and after N seconds all of it would overtake every new high request.
 */
export type PriorityName = 'high' | 'normal' | 'low';
export type Priority = PriorityName | number;

export const MIN_PRIORITY = -5;
export const MAX_PRIORITY = 5;
/** Slots a class gets for each slot of the class below it, while both wait. */
export const CLASS_WEIGHT = 4;

/** The class of a priority: names mapped, numbers rounded and kept within [-5, 5]; anything else normal. */
export function priorityClass(priority: Priority | undefined): number {
  if (priority === undefined || priority === 'normal') return 0;
  if (priority === 'high') return 1;
  if (priority === 'low') return -1;
  if (typeof priority !== 'number' || !Number.isFinite(priority)) return 0;
  const rounded = Math.round(priority);
  return rounded > MAX_PRIORITY ? MAX_PRIORITY : rounded < MIN_PRIORITY ? MIN_PRIORITY : rounded;
}

/** True when `priority` is a valid value of the `priority` option. */
export function isPriority(priority: unknown): priority is Priority {
  return priority === 'high' || priority === 'normal' || priority === 'low' || (typeof priority === 'number' && Number.isFinite(priority));
}

/** A class's stride: how far its pass moves for each request it sends. */
export function strideOf(cls: number): number {
  return CLASS_WEIGHT ** -cls;
}

/** The name stats use for a class: `high`, `normal`, `low`, or the number. */
export function priorityLabel(cls: number): string {
  return cls === 1 ? 'high' : cls === 0 ? 'normal' : cls === -1 ? 'low' : String(cls);
}
