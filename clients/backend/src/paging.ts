// Paging of contact and thread lists, cut the way ECB cuts them.
//
// getContacts and getThreads take `{pageStartIndex, pageSize}`; a callback may
// return the whole list and let the handler cut the page, or cut it itself
// (e.g. with a database LIMIT/OFFSET) and return a Page.
import { BackendError } from "./errors.js";
import type { Page, PagingBase } from "./types.js";

/** The page size when the client names none (ECB's default). */
export const DEFAULT_PAGE_SIZE = 20;
/** The largest page a client may ask for (ECB's limit). */
export const MAX_PAGE_SIZE = 500;

/**
 * The paging a request asks for, defaults filled in. A pageStartIndex or
 * pageSize that is not a non-negative integer, or a pageSize outside
 * 1..MAX_PAGE_SIZE, is a BackendError `bad_request` (400).
 */
export function requestedPaging(body: { pageStartIndex?: unknown; pageSize?: unknown }): PagingBase {
  const start = body.pageStartIndex ?? 0;
  const size = body.pageSize ?? DEFAULT_PAGE_SIZE;
  const whole = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  if (!whole(start) || !whole(size)) {
    throw BackendError.badRequest("pageStartIndex and pageSize must be non-negative integers");
  }
  if (size < 1 || size > MAX_PAGE_SIZE) {
    throw BackendError.badRequest(`pageSize must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return { pageStartIndex: start, pageSize: size };
}

/**
 * Cuts `paging` out of a whole list, linking the neighbouring pages (null at
 * either end). A start beyond the end gives an empty page.
 */
export function page<T>(items: readonly T[], paging: PagingBase): Page<T> {
  const { pageStartIndex, pageSize } = paging;
  const end = Math.min(pageStartIndex + pageSize, items.length);
  return {
    pageStartIndex,
    pageSize,
    items: items.slice(pageStartIndex, end),
    previousPage: pageStartIndex > 0 ? { pageStartIndex: Math.max(0, pageStartIndex - pageSize), pageSize } : null,
    nextPage: end < items.length ? { pageStartIndex: end, pageSize } : null,
  };
}

/** Whether a value is already a page (has `items` and the paging fields) rather than a whole list. */
export function isPage<T>(value: readonly T[] | Page<T>): value is Page<T> {
  return !Array.isArray(value) && typeof value === "object" && value !== null && Array.isArray((value as Page<T>).items);
}

/** A list callback's answer as a page: a whole list is cut, a page is kept as it is. */
export function toPage<T>(answer: readonly T[] | Page<T>, paging: PagingBase): Page<T> {
  if (isPage(answer)) return answer;
  if (Array.isArray(answer)) return page(answer, paging);
  throw new TypeError("a list operation must return an array or a page");
}
