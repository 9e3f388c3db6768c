import { randomBytes, randomUUID } from 'node:crypto';
import { AwsServiceError } from './errors.js';

/** Local Secrets Manager: `secretsmanager.GetSecretValue` / `DescribeSecret` (JSON 1.1) over in-memory secrets. */

interface SecretVersion {
  versionId: string;
  secretString: string;
  createdDate: Date;
  stages: string[];
}

interface Secret {
  name: string;
  arn: string;
  createdDate: Date;
  lastChangedDate: Date;
  versions: SecretVersion[];
  description?: string;
}

export interface LocalSecretsOptions {
  accountId: string;
  region: string;
}

const notFound = () =>
  new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

export class LocalSecrets {
  private readonly accountId: string;
  private readonly region: string;
  private readonly secrets = new Map<string, Secret>();

  constructor(opts: LocalSecretsOptions) {
    this.accountId = opts.accountId;
    this.region = opts.region;
  }

  /**
   * Creates the secret or adds a new AWSCURRENT version (the previous one becomes AWSPREVIOUS), like PutSecretValue.
   * Accepts a name or a full ARN (the name is taken from the ARN). Returns the secret ARN.
   */
  put(nameOrArn: string, secretString: string, opts: { description?: string } = {}): string {
    const name = this.nameOf(nameOrArn);
    const now = new Date();
    let secret = this.secrets.get(name);
    if (!secret) {
      // Secrets Manager ARNs end in "-" + 6 random characters.
      const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
      const arn = nameOrArn.startsWith('arn:')
        ? nameOrArn
        : `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${suffix}`;
      secret = { name, arn, createdDate: now, lastChangedDate: now, versions: [] };
      this.secrets.set(name, secret);
    }
    if (opts.description !== undefined) secret.description = opts.description;
    for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== 'AWSPREVIOUS');
    for (const v of secret.versions) {
      if (v.stages.includes('AWSCURRENT'))
        v.stages = v.stages.filter((s) => s !== 'AWSCURRENT').concat('AWSPREVIOUS');
    }
    secret.versions = secret.versions.filter((v) => v.stages.length > 0);
    secret.versions.push({ versionId: randomUUID(), secretString, createdDate: now, stages: ['AWSCURRENT'] });
    secret.lastChangedDate = now;
    return secret.arn;
  }

  delete(nameOrArn: string): boolean {
    return this.secrets.delete(this.nameOf(nameOrArn));
  }

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'GetSecretValue': {
        const secret = this.find(input.SecretId);
        const versionId = typeof input.VersionId === 'string' ? input.VersionId : undefined;
        const stage =
          typeof input.VersionStage === 'string' ? input.VersionStage : versionId ? undefined : 'AWSCURRENT';
        const version = secret.versions.find(
          (v) =>
            (versionId === undefined || v.versionId === versionId) &&
            (stage === undefined || v.stages.includes(stage)),
        );
        if (!version) {
          throw new AwsServiceError(
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret value for " +
              (versionId ? `VersionId: ${versionId}` : `staging label: ${stage}`),
          );
        }
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.versionId,
          SecretString: version.secretString,
          VersionStages: [...version.stages],
          CreatedDate: version.createdDate.getTime() / 1000,
        };
      }
      case 'DescribeSecret': {
        const secret = this.find(input.SecretId);
        const out: Record<string, unknown> = {
          ARN: secret.arn,
          Name: secret.name,
          RotationEnabled: false,
          LastChangedDate: secret.lastChangedDate.getTime() / 1000,
          CreatedDate: secret.createdDate.getTime() / 1000,
          VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.versionId, [...v.stages]])),
        };
        if (secret.description !== undefined) out.Description = secret.description;
        return out;
      }
      case 'PutSecretValue': {
        const secret = this.find(input.SecretId);
        if (typeof input.SecretString !== 'string') {
          throw new AwsServiceError('InvalidParameterException', 'Only SecretString is supported locally.');
        }
        this.put(secret.name, input.SecretString);
        const v = secret.versions[secret.versions.length - 1] as SecretVersion;
        return { ARN: secret.arn, Name: secret.name, VersionId: v.versionId, VersionStages: v.stages };
      }
      default:
        throw new AwsServiceError(
          'InvalidRequestException',
          `Operation ${operation} is not supported by the local Secrets Manager.`,
        );
    }
  }

  private nameOf(nameOrArn: string): string {
    if (!nameOrArn.startsWith('arn:')) return nameOrArn;
    // arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random chars>
    const tail = nameOrArn.split(':secret:')[1] ?? nameOrArn;
    return tail.replace(/-[A-Za-z0-9]{6}$/, '');
  }

  private find(secretId: unknown): Secret {
    if (typeof secretId !== 'string' || secretId === '') {
      throw new AwsServiceError('InvalidParameterException', 'You must provide a SecretId.');
    }
    if (!secretId.startsWith('arn:')) {
      const s = this.secrets.get(secretId);
      if (!s) throw notFound();
      return s;
    }
    // By ARN: the full ARN (with the random suffix) matches; a partial ARN (no suffix) also resolves, as AWS.
    for (const s of this.secrets.values()) {
      if (
        s.arn === secretId ||
        `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${s.name}` === secretId
      ) {
        return s;
      }
    }
    throw notFound();
  }
}
