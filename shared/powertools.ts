import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger. Service name and level come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_LOG_LEVEL.
 * Never log card data or customer personal data: log ids (evt_, in_, cus_) and counts only.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'termwatch' });
