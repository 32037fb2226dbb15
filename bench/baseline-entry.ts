/**
 * The init-time baseline: the least a function of this product loads (the DynamoDB client, the
 * document client and the Powertools logger, constructed), bundled like the real functions.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';

const logger = new Logger({ serviceName: 'baseline' });
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

export const handler = async (): Promise<{ ok: boolean }> => {
  logger.info('baseline invoked');
  return { ok: doc.config !== undefined };
};
