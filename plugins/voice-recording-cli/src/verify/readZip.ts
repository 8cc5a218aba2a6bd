/*
 * Reads an export package (ZIP) once, streaming: every file's SHA-256 and size, and
 * the bytes of the small text files the verification reads (manifest, signatures,
 * key, sums). Audio is hashed, never held in memory.
 */
import { createHash } from 'node:crypto';
import yauzl from 'yauzl';

export interface ZipFileInfo {
  sha256: string;
  bytes: number;
  /** Kept for the files `keep` asked for. */
  content?: Buffer;
}

export interface ZipContents {
  files: Map<string, ZipFileInfo>;
  /** Entry names the package holds twice (a later copy could shadow the first). */
  duplicates: string[];
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(
      path,
      {
        lazyEntries: true,
        autoClose: true,
        validateEntrySizes: true,
        // names are checked by the verification (it reports them), not refused here
        strictFileNames: false,
      },
      (err, zip) => (err || !zip ? reject(err) : resolve(zip)),
    ),
  );
}

/** Reads every file of the ZIP at `path`; `keep(name)` says which contents to keep. */
export async function readZip(
  path: string,
  keep: (name: string) => boolean,
): Promise<ZipContents> {
  const zip = await openZip(path);
  const files = new Map<string, ZipFileInfo>();
  const duplicates: string[] = [];
  return new Promise((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve({ files, duplicates }));
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = entry.fileName;
      if (name.endsWith('/')) {
        zip.readEntry();
        return;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) {
          reject(err ?? new Error(`cannot read ${name}`));
          return;
        }
        const hash = createHash('sha256');
        const chunks: Buffer[] | undefined = keep(name) ? [] : undefined;
        let bytes = 0;
        stream.on('data', (d: Buffer) => {
          hash.update(d);
          bytes += d.length;
          chunks?.push(d);
        });
        stream.on('error', reject);
        stream.on('end', () => {
          if (files.has(name)) duplicates.push(name);
          else
            files.set(name, {
              sha256: hash.digest('hex'),
              bytes,
              ...(chunks ? { content: Buffer.concat(chunks) } : {}),
            });
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
}
