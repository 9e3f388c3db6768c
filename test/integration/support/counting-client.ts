import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** A DynamoDB client of its own on `endpoint` that counts the operations sent through it, by command name. */
export function countingClient(endpoint: string): { counted: DynamoDBClient; sent: Map<string, number> } {
  const counted = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const sent = new Map<string, number>();
  counted.middlewareStack.add(
    (next, context) => async (args) => {
      sent.set(context.commandName as string, (sent.get(context.commandName as string) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize' },
  );
  return { counted, sent };
}
