import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BackupFormatError, decodeBackup, encodeBackup, type BackupManifest } from "./archive";

const manifest: Omit<BackupManifest, "entries"> = { format: "portcullis-backup", version: 1, createdAt: "2026-05-06T09:30:15.000Z", postgres: "18.6", migrations: { count: 10, last: "0009_token_lineage", lastAt: 1796535951334 } };

/** A file in the backup format with whatever manifest is given, and a correct checksum. */
function forge(manifestJson: string, payload: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(`PORTCULLIS-BACKUP 1\n${manifestJson}\n`), payload]);
  return Buffer.concat([body, Buffer.from(`sha256 ${createHash("sha256").update(body).digest("hex")}\n`)]);
}

describe("the backup file format", () => {
  it("round-trips entries byte for byte, and says what it is on its first line", () => {
    const db = Buffer.from([0, 1, 2, 10, 13, 255]);
    const key = Buffer.from("local1:abc\n");
    const file = encodeBackup(manifest, [{ name: "pglite.tar.gz", data: db }, { name: "encryption-key", data: key }]);
    expect(file.toString("latin1").split("\n")[0]).toBe("PORTCULLIS-BACKUP 1");
    const { manifest: read, entries } = decodeBackup(file, "f");
    expect(read).toEqual({ ...manifest, entries: [{ name: "pglite.tar.gz", size: 6 }, { name: "encryption-key", size: 11 }] });
    expect(entries.get("pglite.tar.gz")).toEqual(db);
    expect(entries.get("encryption-key")).toEqual(key);
  });

  it("holds only the files restore knows: no other name, no path, no duplicate, never without the database", () => {
    const entry = (name: string) => ({ name, data: new Uint8Array(1) });
    for (const entries of [[entry("pglite.tar.gz"), entry("../../.bashrc")], [entry("pglite.tar.gz"), entry("pglite.tar.gz")], [entry("encryption-key")]]) {
      expect(() => encodeBackup(manifest, entries)).toThrow();
    }
    // A file whose checksum is right but whose manifest names something else is refused before anything is read from it.
    const forged = forge(JSON.stringify({ ...manifest, entries: [{ name: "pglite.tar.gz", size: 1 }, { name: "../escape", size: 1 }] }), Buffer.from("ab"));
    expect(() => decodeBackup(forged, "forged")).toThrow(BackupFormatError);
    expect(() => decodeBackup(forged, "forged")).toThrow(/forged is damaged \(its manifest is not valid: [\s\S]*entries[\s\S]*\); nothing was restored/);
  });

  it("refuses sizes that do not add up to what the file holds", () => {
    const forged = forge(JSON.stringify({ ...manifest, entries: [{ name: "pglite.tar.gz", size: 5 }] }), Buffer.from("abc"));
    expect(() => decodeBackup(forged, "short")).toThrow(/short is damaged \(its entries take 5 bytes but it holds 3\)/);
  });
});
