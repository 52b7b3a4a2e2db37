// hbf:node_assert_strict — Node's `assert/strict` (assert.strict of hbf:node_assert).

import { strict } from "hbf:node_assert";

export const {
  ok, equal, notEqual, strictEqual, notStrictEqual, deepEqual, notDeepEqual, deepStrictEqual, notDeepStrictEqual,
  throws, doesNotThrow, rejects, doesNotReject, match, doesNotMatch, ifError, fail, AssertionError,
} = strict;
export default strict;
