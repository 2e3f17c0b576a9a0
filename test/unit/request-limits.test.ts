import { getMaxListeners } from 'node:events';
import { sharedAbortAt } from '../../lib/aws/request-limits';

describe('the deadline signal every call of an invocation shares', () => {
  it('takes any number of listeners: Node warns past ten on a signal left at its default', () => {
    // A sharded index's 16 Queries wait on it at once (the read API's lists and summary).
    expect(getMaxListeners(sharedAbortAt(Date.now() + 60_000))).toBe(Infinity);
  });
});
