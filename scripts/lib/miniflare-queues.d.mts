/** wrangler.jsonc's `queues` section, as far as Miniflare needs it. */
export interface QueuesConfig {
  producers: { binding: string; queue: string }[];
  consumers: { queue: string; max_batch_size?: number; max_batch_timeout?: number; max_retries?: number; dead_letter_queue?: string; retry_delay?: number }[];
}

export declare function miniflareQueueOptions(
  queues: QueuesConfig | undefined,
  overrides?: { maxBatchTimeoutSeconds?: number; maxRetries?: number },
): { queueProducers?: Record<string, { queueName: string }>; queueConsumers?: Record<string, Record<string, unknown>> };
