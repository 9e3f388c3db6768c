import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { UPLOAD_MEDIA_TYPE } from '../../core/x12/uploads.js';

/**
 * Presigned upload URLs for the remittance uploads bucket. Its own module so that only the handler that hands them
 * out (POST /v1/remittance-uploads) bundles the presigner; the processor that reads the objects does not (issue 16).
 */
export class UploadUrls {
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
}
