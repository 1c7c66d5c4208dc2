#!/usr/bin/env node
// Checks a Kinko transfer inclusion proof (`kinko audit prove <transfer id> > proof.json`)
// offline, with the audit checkpoint public key alone: no database, no Kinko code, no
// dependency beyond Node.js (18 or later) and its node:crypto.
//
//   node verify-proof.mjs proof.json --public-key audit-checkpoint.pub.pem
//
// Exit status 0 and "OK: …" when the proof holds; 1 and "REFUSED: <why>" when it does not;
// 2 on bad usage. What is checked, in order (docs/audit-proofs.md has the formats):
//   1. the transfer's fields re-encode to its canonical bytes (layout KLT1);
//   2. its leaf, SHA-256(0x00 || bytes), and the audit path lead to the batch root
//      (RFC 6962 / RFC 9162 §2.1.3.2), the root and size the batch's audit entry holds;
//   3. that entry's hash, and each later entry's, recompute from their content and link up
//      to the head hash the checkpoint signed;
//   4. the checkpoint's Ed25519 signature verifies under the given public key.

import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

class Refused extends Error {}
const check = (ok, why) => {
  if (!ok) throw new Refused(why);
};
const isHex = (s, bytes) => typeof s === 'string' && new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(s);

function uuidBytes(id, field) {
  check(
    typeof id === 'string' && /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(id),
    `${field} is not a UUID`,
  );
  return Buffer.from(id.replaceAll('-', ''), 'hex');
}

/** The canonical bytes of a transfer, layout KLT1 (docs/audit-proofs.md). */
export function canonicalTransfer(t) {
  const userData = t.user_data === null ? null : Buffer.from(String(t.user_data), 'utf8');
  const out = Buffer.alloc(99 + (userData ? userData.length : 0));
  out.write('KLT1', 0, 'ascii');
  uuidBytes(t.id, 'id').copy(out, 4);
  uuidBytes(t.debit_account_id, 'debit_account_id').copy(out, 20);
  uuidBytes(t.credit_account_id, 'credit_account_id').copy(out, 36);
  check(/^[1-9]\d{0,18}$/.test(t.amount), 'amount is not a positive integer');
  out.writeBigInt64BE(BigInt(t.amount), 52);
  if (t.pending_id !== null) uuidBytes(t.pending_id, 'pending_id').copy(out, 60);
  check(/^[A-Z]{3}$/.test(t.currency), 'currency is not ISO 4217');
  out.write(t.currency, 76, 'ascii');
  check(Number.isInteger(t.code) && t.code >= 1 && t.code <= 65535, 'code is out of range');
  out.writeUInt16BE(t.code, 79);
  check(Number.isInteger(t.flags) && t.flags >= 0 && t.flags <= 15, 'flags are out of range');
  out.writeUInt8(t.flags, 81);
  check(Number.isInteger(t.timeout_seconds) && t.timeout_seconds >= 0, 'timeout is not valid');
  out.writeUInt32BE(t.timeout_seconds, 82);
  check(/^-?\d{1,16}$/.test(t.created_at_ms), 'created_at_ms is not an integer');
  out.writeBigInt64BE(BigInt(t.created_at_ms), 86);
  out.writeUInt8(userData ? 1 : 0, 94);
  out.writeUInt32BE(userData ? userData.length : 0, 95);
  if (userData) userData.copy(out, 99);
  return out;
}

/** RFC 9162 §2.1.3.2: the root the audit path leads to, or null if it cannot fit the tree. */
export function rootFromPath(index, size, leafHash, path) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    return null;
  }
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Buffer.from([1]), p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = sha256(Buffer.from([1]), r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** An audit entry's hash: SHA-256(prev_hash || JSON array of its fields). */
function entryHash(e) {
  const body = JSON.stringify([
    e.seq,
    e.at,
    e.actor_type,
    e.actor_id,
    e.action,
    e.subject_type,
    e.subject_id,
    e.source_ip,
    e.request_id,
    e.outcome,
    e.detail,
  ]);
  return sha256(Buffer.from(e.prev_hash, 'hex'), body);
}

function checkEntries(entry, chain) {
  let prev = null;
  let seq = null;
  for (const e of [entry, ...chain]) {
    check(isHex(e.prev_hash, 32) && isHex(e.hash, 32), `entry ${e.seq} has malformed hashes`);
    check(/^[1-9]\d{0,18}$/.test(e.seq), 'an entry has a malformed seq');
    if (prev) {
      check(BigInt(e.seq) === seq + 1n, `entry ${e.seq} does not follow entry ${seq}`);
      check(e.prev_hash === prev, `entry ${e.seq} does not link to entry ${seq}`);
    }
    check(
      entryHash(e).toString('hex') === e.hash,
      `entry ${e.seq}: hash does not match its content`,
    );
    [prev, seq] = [e.hash, BigInt(e.seq)];
  }
  return { seq, head: prev };
}

/** Checks a proof; returns a one-line summary of what it proves, or throws Refused. */
export function verifyProof(proof, publicKeyPem) {
  check(proof && proof.format === 'kinko-transfer-proof/v1', 'not a kinko-transfer-proof/v1');
  const { transfer: t, batch, entry, chain, checkpoint: cp } = proof;
  // 1. The transfer's canonical bytes.
  const bytes = canonicalTransfer(t);
  check(
    bytes.toString('hex') === t.canonical,
    'the transfer fields do not match its canonical bytes',
  );
  // 2. Leaf, audit path, batch root, and the batch's entry.
  const path = batch.audit_path.map((p, i) => {
    check(isHex(p, 32), `audit path node ${i} is malformed`);
    return Buffer.from(p, 'hex');
  });
  const root = rootFromPath(
    batch.leaf_index,
    batch.tree_size,
    sha256(Buffer.from([0]), bytes),
    path,
  );
  check(
    root !== null && root.toString('hex') === batch.root,
    'the audit path does not lead to the batch root',
  );
  check(entry.action === 'ledger.batch.created', 'the entry is not a ledger batch entry');
  check(
    entry.subject_type === 'ledger_batch' && entry.subject_id === batch.id,
    'the entry is for another batch',
  );
  const detail = JSON.parse(entry.detail);
  check(detail.root === batch.root, 'the batch root is not the one its entry holds');
  check(detail.transfers === batch.tree_size, 'the batch size is not the one its entry holds');
  // 3. The entries up to the checkpoint.
  check(Array.isArray(chain), 'the proof has no chain');
  const end = checkEntries(entry, chain);
  check(String(end.seq) === cp.seq, 'the chain does not end at the checkpoint');
  check(end.head === cp.head_hash, 'the chain does not reach the signed head hash');
  // 4. The checkpoint signature, under the key given (never the one inside the proof).
  const key = createPublicKey(publicKeyPem);
  const raw = Buffer.from(key.export({ format: 'jwk' }).x, 'base64url');
  const fingerprint = sha256(raw).toString('hex');
  check(
    cp.key_id === fingerprint.slice(0, 16),
    `the checkpoint was signed by key ${cp.key_id}, not this one`,
  );
  const message = Buffer.from(`kinko-audit-checkpoint:v1:${cp.seq}:${cp.head_hash}`);
  check(
    verify(null, message, key, Buffer.from(cp.signature, 'base64')),
    'the checkpoint signature is invalid',
  );
  return (
    `transfer ${t.id}: ${t.amount} ${t.currency} (minor units) from ${t.debit_account_id}` +
    ` to ${t.credit_account_id} at ${new Date(Number(t.created_at_ms)).toISOString()},` +
    ` leaf ${batch.leaf_index} of ${batch.tree_size} in ledger batch ${batch.id},` +
    ` audit entry ${entry.seq}, covered by checkpoint ${cp.seq} of ${cp.created_at}` +
    ` signed by key sha256:${fingerprint}`
  );
}

function main(argv) {
  const [file, flag, keyFile] = argv;
  if (!file || flag !== '--public-key' || !keyFile) {
    process.stderr.write('usage: node verify-proof.mjs proof.json --public-key key.pem\n');
    return 2;
  }
  try {
    const proof = JSON.parse(readFileSync(file, 'utf8'));
    process.stdout.write(`OK: ${verifyProof(proof, readFileSync(keyFile, 'utf8'))}\n`);
    return 0;
  } catch (e) {
    const why = e instanceof Refused ? e.message : `malformed proof (${e.message})`;
    process.stdout.write(`REFUSED: ${why}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
