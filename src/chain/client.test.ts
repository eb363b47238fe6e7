// How a chain node's failures reach the caller: with the node's address (D415).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toChainError } from './client.ts';
import { HttpRequestError } from './viem.ts';

describe('chain errors', () => {
  it("names the node's URL when the node did not answer", () => {
    const e = toChainError(
      new HttpRequestError({ url: 'http://127.0.0.1:8545', details: 'fetch failed' }),
      'anchoring the checkpoint',
    );
    assert.equal(e.code, 'VERITY_E_CHAIN_UNAVAILABLE');
    assert.match(e.message, /the chain node at `http:\/\/127\.0\.0\.1:8545` did not answer/);
  });
});
