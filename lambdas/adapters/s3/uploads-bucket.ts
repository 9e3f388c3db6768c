import type { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * The remittance uploads bucket. Path-style addressing when an endpoint override is set
 * (`AWS_ENDPOINT_URL_S3`, the local runtime's S3 stand-in); virtual-hosted style in AWS.
 */
export function uploadsS3Client(): S3Client {
  return new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
}

/** Reading uploaded objects (the X12 upload processor). Presigning lives in upload-urls.ts: only the handler that
 * hands out upload URLs carries the presigner. */
export class UploadsBucket {
  constructor(
    private readonly s3: S3Client,
    readonly bucketName: string,
  ) {}

  /** A fresh stream of the object each call (never read whole): what `acceptRemittanceUpload` re-opens. */
  open(key: string): () => AsyncIterable<Buffer> {
    const { s3, bucketName } = this;
    return () =>
      (async function* () {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
        if (!out.Body) return;
        for await (const chunk of out.Body as Readable) yield chunk as Buffer;
      })();
  }
}
