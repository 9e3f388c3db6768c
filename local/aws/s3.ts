import { createReadStream, createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * A minimal S3 stand-in for the local runtime (docs/local-runtime.md#s3): path-style `PUT`, `GET` and `HEAD`
 * of `/<bucket>/<key>` for buckets created here. Presigned query-string auth (`X-Amz-*`) is accepted without
 * verifying it (as SigV4 is elsewhere locally); bodies stream to a file under the state dir, never held
 * whole. A completed PUT calls the registered "object created" listeners in-process, as S3 notifications
 * invoke a Lambda in AWS.
 */
export interface ObjectCreated {
  bucket: string;
  key: string;
  size: number;
}

export class LocalS3 {
  private readonly buckets = new Set<string>();
  private readonly listeners: Array<(event: ObjectCreated) => void> = [];

  constructor(private readonly rootDir: string) {}

  createBucket(name: string): void {
    this.buckets.add(name);
    mkdirSync(join(this.rootDir, name), { recursive: true });
  }

  onObjectCreated(listener: (event: ObjectCreated) => void): void {
    this.listeners.push(listener);
  }

  /** Whether a request (no X-Amz-Target) addresses a bucket of this stand-in. */
  handles(req: IncomingMessage): boolean {
    if (req.headers['x-amz-target']) return false;
    const bucket = (req.url ?? '/').split('?')[0]?.split('/')[1];
    return bucket !== undefined && this.buckets.has(bucket);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    const [, bucket = '', ...rest] = path.split('/');
    const key = rest.map((p) => decodeURIComponent(p)).join('/');
    const file = this.fileOf(bucket, key);
    if (!key || !file) return this.error(res, 400, 'InvalidArgument', 'Invalid object key.');
    if (req.method === 'PUT') {
      mkdirSync(dirname(file), { recursive: true });
      const partial = `${file}.partial-${process.pid}-${Date.now()}`;
      await pipeline(req, createWriteStream(partial));
      renameSync(partial, file);
      const size = statSync(file).size;
      res.writeHead(200, { etag: `"${size.toString(16)}"`, 'content-length': 0 });
      res.end();
      for (const listener of this.listeners) listener({ bucket, key, size });
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        return this.error(res, 404, 'NoSuchKey', 'The specified key does not exist.', req.method === 'HEAD');
      }
      res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
      if (req.method === 'HEAD') return void res.end();
      await pipeline(createReadStream(file), res);
      return;
    }
    req.resume();
    this.error(res, 405, 'MethodNotAllowed', `${req.method} is not supported by the local S3 stand-in.`);
  }

  private fileOf(bucket: string, key: string): string | undefined {
    const base = resolve(this.rootDir, bucket);
    const file = resolve(base, key);
    return file.startsWith(`${base}${sep}`) ? file : undefined;
  }

  private error(res: ServerResponse, status: number, code: string, message: string, headOnly = false): void {
    const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
    res.writeHead(status, {
      'content-type': 'application/xml',
      'content-length': headOnly ? 0 : Buffer.byteLength(body),
    });
    res.end(headOnly ? undefined : body);
  }
}
