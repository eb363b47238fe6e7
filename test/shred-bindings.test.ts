// A shred reaches a player's chain address bindings (D296), on both databases: after `subjects
// shred`, no binding row or address row names the player's reference, reads under agreement find
// no address of theirs, and the names the vault erases are the chain's own kinds. A binding made
// before bindings had an owner (its address row without one) is erased too; an address re-bound
// to another player is left alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalAccount } from 'viem';
import { createSiweMessage } from 'viem/siwe';
import { ADDRESS_KIND, AddressBindings, BINDING_KIND, devAccounts } from '../src/chain/index.ts';
import { newObject } from '../src/store/index.ts';
import { SHREDDED_OBJECT_KINDS } from '../src/vault/index.ts';
import { BACKENDS, makeCore, type TestCore } from './helpers/core.ts';

for (const backend of BACKENDS) {
  describe(`a shred erases the player's chain address bindings (${backend})`, () => {
    let core: TestCore;
    let b: AddressBindings;
    const [alice, bob, carol] = devAccounts(3) as [LocalAccount, LocalAccount, LocalAccount];
    const domain = 'play.example.com';

    before(async () => {
      core = await makeCore(backend);
      b = new AddressBindings(core.store, core.log, 31337);
    });
    after(async () => core?.dispose());

    const bind = async (ref: string, who: LocalAccount) => {
      const { nonce } = await b.issueNonce(ref, domain, 'player:session-1');
      const message = createSiweMessage({
        address: who.address,
        chainId: 31337,
        domain,
        nonce,
        uri: `https://${domain}/`,
        version: '1',
        issuedAt: new Date(),
      });
      return b.bindAddress(
        ref,
        who.address,
        { kind: 'siwe', message, signature: await who.signMessage({ message }) },
        'player:session-1',
      );
    };
    const put = (subject: string) =>
      core.vault.put({
        actor: 'service:world',
        purpose: 'service-provision',
        subject,
        type: 'avatar.profile',
        data: { level: 1 },
      });
    const rowsNaming = async (ref: string) => {
      const out: string[] = [];
      for (const kind of [BINDING_KIND, ADDRESS_KIND])
        for (const r of await core.store.reader.listObjects(kind, undefined, { limit: 1000 }))
          if (r.id === ref || r.owner === ref || r.body.includes(ref)) out.push(`${kind} ${r.id}`);
      return out;
    };

    it('erases the kinds the chain binds in', () => {
      assert.deepEqual([...SHREDDED_OBJECT_KINDS].sort(), [ADDRESS_KIND, BINDING_KIND].sort());
    });

    it('leaves no binding or address row naming the player, and reads find no address of theirs', async () => {
      await put('player-a');
      await put('player-b');
      const a = await core.vault.subjectRef('player-a');
      const other = await core.vault.subjectRef('player-b');
      await bind(a, alice);
      await bind(a, bob);
      await bind(other, carol);
      assert.equal((await rowsNaming(a)).length, 3);
      await core.vault.shredSubject('player-a', { actor: 'operator:test', purpose: 'user-request', rotate: false });
      assert.deepEqual(await rowsNaming(a), []);
      assert.deepEqual(await b.addressesOf(a), []);
      // The other player's binding stays.
      assert.deepEqual(
        (await b.addressesOf(other)).map((x) => x.address),
        [carol.address.toLowerCase()],
      );
      // The freed address can be bound again, by someone else.
      await bind(other, alice);
    });

    it('erases a binding made before bindings had an owner, not an address since bound elsewhere', async () => {
      await put('player-c');
      const c = await core.vault.subjectRef('player-c');
      const now = Date.now();
      const listed = (address: string) => ({
        address,
        method: 'siwe',
        chainId: 31337,
        bindingId: 'bnd_AAAAAAAAAAAAAAAA',
        boundAt: now,
      });
      const bobAddress = bob.address.toLowerCase();
      const carolAddress = carol.address.toLowerCase();
      // Rows as the previous version wrote them: no owner. Carol's address is bound to player b now.
      await core.log.submit(async (tx) => {
        await tx.putObject(
          newObject({
            kind: BINDING_KIND,
            id: c,
            doc: { addresses: [listed(bobAddress), listed(carolAddress)] },
            updatedAt: now,
          }),
        );
        if ((await tx.getObject(ADDRESS_KIND, bobAddress)) === undefined)
          await tx.putObject(
            newObject({ kind: ADDRESS_KIND, id: bobAddress, doc: { subjectRef: c, boundAt: now }, updatedAt: now }),
          );
      });
      const carolBefore = await core.store.reader.getObject(ADDRESS_KIND, carolAddress);
      await core.vault.shredSubject('player-c', { actor: 'operator:test', purpose: 'user-request', rotate: false });
      assert.deepEqual(await rowsNaming(c), []);
      assert.deepEqual(await core.store.reader.getObject(ADDRESS_KIND, carolAddress), carolBefore);
    });
  });
}
