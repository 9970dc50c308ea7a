/**
 * Every SQS adapter and the client they share, in the one module that services.ts loads with
 * `import()`: one chunk beside each function that its cold start does not read.
 */
export { sqs } from './sqs-client.ts';
export { SqsCheckpointQueue } from './sqs-checkpoint-queue.ts';
export { SqsDeletionQueue } from './sqs-deletion-queue.ts';
export { SqsMessageLeases } from './sqs-message-leases.ts';
export { SqsNoticeQueue } from './sqs-notice-queue.ts';
export { SqsWorkQueue } from './sqs-work-queue.ts';
