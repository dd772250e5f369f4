// Unit tests of paging, cut as ECB cuts it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BackendError, page, requestedPaging, toPage } from "../dist/esm/index.js";

describe("paging", () => {
  test("pages link to their neighbours, as ECB cuts them", () => {
    const items = [0, 1, 2, 3, 4];
    assert.deepEqual(page(items, { pageStartIndex: 0, pageSize: 2 }), {
      pageStartIndex: 0,
      pageSize: 2,
      items: [0, 1],
      previousPage: null,
      nextPage: { pageStartIndex: 2, pageSize: 2 },
    });
    const last = page(items, { pageStartIndex: 4, pageSize: 2 });
    assert.deepEqual([last.items, last.previousPage, last.nextPage], [[4], { pageStartIndex: 2, pageSize: 2 }, null]);
    const beyond = page(items, { pageStartIndex: 9, pageSize: 2 });
    assert.deepEqual([beyond.items, beyond.nextPage], [[], null]);
    assert.deepEqual(page(items, { pageStartIndex: 1, pageSize: 3 }).previousPage, { pageStartIndex: 0, pageSize: 3 });
    assert.deepEqual(page([], { pageStartIndex: 0, pageSize: 20 }).items, []);
  });

  test("requests get defaults and are checked", () => {
    assert.deepEqual(requestedPaging({}), { pageStartIndex: 0, pageSize: 20 });
    assert.deepEqual(requestedPaging({ pageStartIndex: 3, pageSize: 4 }), { pageStartIndex: 3, pageSize: 4 });
    for (const bad of [{ pageSize: 0 }, { pageSize: 501 }, { pageStartIndex: -1 }, { pageSize: "ten" }, { pageStartIndex: 1.5 }]) {
      assert.throws(() => requestedPaging(bad), (e) => e instanceof BackendError && e.status === 400 && e.code === "bad_request");
    }
  });

  test("a whole list is cut, a page is kept as the callback cut it", () => {
    const own = { pageStartIndex: 10, pageSize: 2, items: ["k", "l"], previousPage: { pageStartIndex: 8, pageSize: 2 }, nextPage: null, total: 12 };
    assert.equal(toPage(own, { pageStartIndex: 0, pageSize: 20 }), own);
    assert.deepEqual(toPage(["a", "b", "c"], { pageStartIndex: 1, pageSize: 1 }).items, ["b"]);
    assert.throws(() => toPage("nope", { pageStartIndex: 0, pageSize: 1 }), /array or a page/);
  });
});
