/**
 * Keyset pagination state: the cursor of every page visited so far, the first page's
 * being `undefined`. The last one is the page shown.
 */
export type CursorStack = ReadonlyArray<string | undefined>;

export const FIRST_PAGE: CursorStack = [undefined];

/** The cursor to send for the page shown. */
export function currentCursor(stack: CursorStack): string | undefined {
  return stack[stack.length - 1];
}

/** Goes to the next page, whose cursor the backend answered as `nextCursor`. */
export function pushCursor(
  stack: CursorStack,
  nextCursor: string,
): CursorStack {
  return [...stack, nextCursor];
}

/** Back to the previous page (stays on the first). */
export function popCursor(stack: CursorStack): CursorStack {
  return stack.length > 1 ? stack.slice(0, -1) : stack;
}

/** Zero-based number of the page shown. */
export function pageIndex(stack: CursorStack): number {
  return stack.length - 1;
}
