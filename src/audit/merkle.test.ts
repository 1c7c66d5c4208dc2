import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MERKLE_EMPTY_ROOT,
  merkleAuditPath,
  merkleLeafHash,
  merkleRoot,
  merkleRootFromPath,
  merkleRootPacked,
} from './merkle.ts';
import { createHash } from 'node:crypto';

// Published known answers, not this code's own output: the RFC 6962 vectors of
// transparency-dev/merkle (the Certificate Transparency reference implementation),
// testonly/constants.go (LeafInputs, NodeHashes, RootHashes, EmptyRootHash) and
// proof/verify_test.go (inclusionProofs, with 1-based leaf numbers there).

const h = (hex: string) => Buffer.from(hex, 'hex');
const LEAF_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(h);
const LEAF_HASHES = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
];
/** Roots of the trees over the first 0..8 leaves. */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
/** [0-based leaf index, tree size, audit path]. */
const INCLUSION: [number, number, string[]][] = [
  [0, 1, []],
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

const leaves = LEAF_INPUTS.map(merkleLeafHash);

test('leaf hashes and the empty root match the published RFC 6962 vectors', () => {
  assert.equal(MERKLE_EMPTY_ROOT.toString('hex'), ROOTS[0]);
  assert.deepEqual(
    leaves.map((l) => l.toString('hex')),
    LEAF_HASHES,
  );
});

test('the roots of trees of 0 to 8 leaves match the published vectors', () => {
  for (let n = 0; n <= 8; n++) {
    assert.equal(merkleRoot(leaves.slice(0, n)).toString('hex'), ROOTS[n], `tree of ${n}`);
  }
});

test('packed leaves give the published roots, and those of merkleRoot up to 300 leaves', () => {
  for (let n = 0; n <= 8; n++) {
    const packed = Buffer.concat(leaves.slice(0, n));
    assert.equal(merkleRootPacked(packed, n).toString('hex'), ROOTS[n], `tree of ${n}`);
    assert.deepEqual(packed, Buffer.concat(leaves.slice(0, n)), 'the leaves are left as given');
  }
  const many = Array.from({ length: 300 }, (_, i) =>
    createHash('sha256').update(`leaf ${i}`).digest(),
  );
  for (let n = 0; n <= many.length; n++) {
    // Room past the count is ignored: the ledger packs into a buffer sized for its batch.
    const packed = Buffer.concat([...many.slice(0, n), Buffer.alloc(64, 0xab)]);
    assert.deepEqual(merkleRootPacked(packed, n), merkleRoot(many.slice(0, n)), `tree of ${n}`);
  }
});

test('audit paths match the published inclusion proofs and lead to the root', () => {
  for (const [index, size, path] of INCLUSION) {
    const got = merkleAuditPath(leaves.slice(0, size), index);
    assert.deepEqual(
      got.map((p) => p.toString('hex')),
      path,
      `leaf ${index} of ${size}`,
    );
    const root = merkleRootFromPath(index, size, leaves[index]!, path.map(h));
    assert.equal(root?.toString('hex'), ROOTS[size], `leaf ${index} of ${size}`);
  }
});

test('every leaf of every tree up to 40 leaves proves its way to the root', () => {
  const many = Array.from({ length: 40 }, (_, i) => merkleLeafHash(Buffer.from([i, i >> 8])));
  for (let n = 1; n <= many.length; n++) {
    const tree = many.slice(0, n);
    const root = merkleRoot(tree);
    for (let i = 0; i < n; i++) {
      const path = merkleAuditPath(tree, i);
      assert.ok(merkleRootFromPath(i, n, tree[i]!, path)?.equals(root), `leaf ${i} of ${n}`);
    }
  }
});

test('a corrupted inclusion proof leads to another root or none (the reference probes)', () => {
  const some = h('abacaba000000000000000000000000000000000000000000060061e00123456');
  for (const [index, size, hexPath] of INCLUSION.filter(([, , p]) => p.length > 0)) {
    const path = hexPath.map(h);
    const root = h(ROOTS[size]!);
    const leaf = leaves[index]!;
    const probes: [string, number, number, Buffer, Buffer[]][] = [
      ['index - 1', index - 1, size, leaf, path],
      ['index + 1', index + 1, size, leaf, path],
      ['index ^ 2', index ^ 2, size, leaf, path],
      ['size * 2', index, size * 2, leaf, path],
      ['size / 2', index, Math.floor(size / 2), leaf, path],
      ['wrong leaf', index, size, merkleLeafHash(Buffer.from('WrongLeaf')), path],
      ['trailing root', index, size, leaf, [...path, root]],
      ['preceding root', index, size, leaf, [root, ...path]],
      ['removed component', index, size, leaf, path.slice(0, -1)],
      ['inserted component', index, size, leaf, [path[0]!, some, ...path.slice(1)]],
      ...path.map((_, i): [string, number, number, Buffer, Buffer[]] => {
        const flipped = path.map((p) => Buffer.from(p));
        flipped[i]![0]! ^= 8;
        return [`bit flipped in path[${i}]`, index, size, leaf, flipped];
      }),
    ];
    for (const [what, i, n, l, p] of probes) {
      const got = merkleRootFromPath(i, n, l, p);
      assert.ok(!got?.equals(root), `leaf ${index} of ${size}: ${what} was accepted`);
    }
  }
});
