import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { UPLOAD_MEDIA_TYPE } from '../../core/x12/uploads.js';

/**
 * The remittance uploads bucket. Path-style addressing when an endpoint override is set
 * (`AWS_ENDPOINT_URL_S3`, the local runtime's S3 stand-in); virtual-hosted style in AWS.
 */
export function uploadsS3Client(): S3Client {
  return new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
}

export class UploadsBucket {
  constructor(
    private readonly s3: S3Client,
    readonly bucketName: string,
  ) {}

  /** A presigned PUT; the bucket's default encryption (SSE-KMS, stage key) applies to the object. */
  presignPut(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(
      this.s3,
      new PutObjectCommand({ Bucket: this.bucketName, Key: key, ContentType: UPLOAD_MEDIA_TYPE }),
      { expiresIn: expiresInSeconds },
    );
  }

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
