import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';

export interface SecretsProps {
  stage: string;
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
}

/**
 * How the hub reaches Odoo: `{"url","db","login","apiKey","protocol"?: "jsonrpc"|"json2"}`
 * (parsed by lambdas/adapters/secrets/odoo-connection.ts). The stack only creates a placeholder with a random
 * `apiKey`; an operator writes the real values after the first deploy (docs/deploy.md#set-the-odoo-secret).
 */
export class Secrets extends Construct {
  readonly odooSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    this.odooSecret = new secretsmanager.Secret(this, 'OdooSecret', {
      secretName: `rcm-hub/${props.stage}/odoo`,
      description: `rcm-hub ${props.stage}: Odoo URL, database, login and API key (set by an operator, see docs/deploy.md)`,
      encryptionKey: props.key,
      removalPolicy: props.removalPolicy,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({
          url: 'https://odoo.example.invalid',
          db: 'SET_ME',
          login: 'SET_ME',
          protocol: 'jsonrpc',
        }),
        generateStringKey: 'apiKey',
        excludePunctuation: true,
        passwordLength: 40,
      },
    });
    acknowledge(
      this.odooSecret,
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The Odoo API key is issued inside Odoo (user preferences → API keys), so Secrets Manager cannot rotate it; an operator rotates it in Odoo and updates this secret (docs/deploy.md#rotate-the-odoo-api-key).',
      },
      {
        id: 'HIPAA.Security-SecretsManagerRotationEnabled',
        reason:
          'The Odoo API key is issued inside Odoo, so a rotation Lambda cannot mint one; an operator rotates it in Odoo and updates this secret (docs/deploy.md#rotate-the-odoo-api-key).',
      },
    );
  }
}
