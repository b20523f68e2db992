/**
 * Miniflare's queue options for wrangler.jsonc's `queues` (producers, consumers, dead-letter
 * queue), as the Worker is deployed with them. `overrides` lets a caller shorten the batch timeout
 * or set the retry budget (the tests do); npm start's launcher takes the configuration as it is.
 */
export function miniflareQueueOptions(queues, overrides = {}) {
  if (!queues) return {};
  return {
    queueProducers: Object.fromEntries(queues.producers.map((p) => [p.binding, { queueName: p.queue }])),
    queueConsumers: Object.fromEntries(
      queues.consumers.map((c) => [
        c.queue,
        {
          maxBatchSize: c.max_batch_size,
          maxBatchTimeout: overrides.maxBatchTimeoutSeconds ?? c.max_batch_timeout,
          maxRetries: overrides.maxRetries ?? c.max_retries,
          ...(c.dead_letter_queue ? { deadLetterQueue: c.dead_letter_queue } : {}),
          ...(c.retry_delay !== undefined ? { retryDelay: c.retry_delay } : {}),
        },
      ]),
    ),
  };
}
