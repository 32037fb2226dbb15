/**
 * The init-time baseline: the least a function of this product loads (the DynamoDB client, the
 * document client and the Powertools logger, constructed), bundled like the real functions. Its
 * handler makes one keyed read, the least a first invocation does (bench/cold-start.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';

const logger = new Logger({ serviceName: 'baseline' });
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

export const handler = async (): Promise<{ ok: boolean }> => {
  await doc.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: 'HEALTH', sk: 'HEALTH' } }));
  logger.info('baseline invoked');
  return { ok: true };
};
