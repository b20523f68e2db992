#!/usr/bin/env node
/**
 * Scratch (RSS experiments): read a binary workerd Config (as Miniflare writes it) on stdin, set its
 * `v8Flags` (Config pointer slot 2, see workerd.capnp) to the flags given as arguments, write the
 * message to stdout. The flags go into a new segment reached through a far pointer, so nothing else
 * in the message moves. Refuses if the config already has v8Flags or is not laid out as expected.
 */
import { readFileSync, writeSync } from "node:fs";

const flags = process.argv.slice(2).filter(Boolean);
const buf = readFileSync(0);
const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
const nseg = dv.getUint32(0, true) + 1;
const sizes = Array.from({ length: nseg }, (_, i) => dv.getUint32(4 + 4 * i, true));
const hdr = (4 + 4 * nseg + 7) & ~7;
const segStart = [];
let off = hdr;
for (const s of sizes) {
  segStart.push(off);
  off += s * 8;
}
if (off !== buf.length) throw new Error(`unexpected length ${buf.length} vs ${off}`);
const root = dv.getBigUint64(segStart[0], true);
if ((root & 3n) !== 0n) throw new Error("root is not a near struct pointer");
const offset = Number(BigInt.asIntN(30, (root >> 2n) & 0x3fffffffn));
const dataWords = Number((root >> 32n) & 0xffffn);
const ptrWords = Number((root >> 48n) & 0xffffn);
if (ptrWords <= 2) throw new Error("Config has no v8Flags slot");
const slotByte = segStart[0] + (1 + offset + dataWords + 2) * 8;
if (dv.getBigUint64(slotByte, true) !== 0n) throw new Error("v8Flags already set");

// New segment: [landing pad: list of N pointers][N text pointers][text blobs]
const texts = flags.map((f) => Buffer.from(f + "\0", "utf8"));
const textWords = texts.map((t) => Math.ceil(t.length / 8));
const words = 1 + flags.length + textWords.reduce((a, b) => a + b, 0);
const seg = Buffer.alloc(words * 8);
const sv = new DataView(seg.buffer, seg.byteOffset, seg.byteLength);
const listPtr = (offsetWords, sizeCode, count) => (BigInt(offsetWords & 0x3fffffff) << 2n) | 1n | (BigInt(sizeCode) << 32n) | (BigInt(count) << 35n);
sv.setBigUint64(0, listPtr(0, 6, flags.length), true); // landing pad -> pointer list at word 1
let content = 1 + flags.length;
texts.forEach((t, i) => {
  const at = 1 + i;
  sv.setBigUint64(at * 8, listPtr(content - (at + 1), 2, t.length), true);
  t.copy(seg, content * 8);
  content += textWords[i];
});
const newSegId = nseg;
const far = 2n | (0n << 3n) | (BigInt(newSegId) << 32n); // single landing pad at word 0 of the new segment
const nsizes = [...sizes, words];
const nhdr = (4 + 4 * (nseg + 1) + 7) & ~7;
const out = Buffer.alloc(nhdr + (off - hdr) + seg.length);
const ov = new DataView(out.buffer);
ov.setUint32(0, nseg, true);
nsizes.forEach((s, i) => ov.setUint32(4 + 4 * i, s, true));
buf.copy(out, nhdr, hdr, off);
seg.copy(out, nhdr + (off - hdr));
ov.setBigUint64(nhdr + (slotByte - hdr), far, true);
writeSync(1, out);
