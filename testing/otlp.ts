/**
 * The OTLP/HTTP JSON encoding of `ExportLogsServiceRequest` (opentelemetry-proto
 * collector/logs/v1/logs_service.proto, logs/v1/logs.proto, common/v1/common.proto, with the
 * protobuf JSON mapping the OTLP spec prescribes: lowerCamelCase field names, 64-bit integers as
 * decimal strings, trace and span ids as hex rather than base64), as a strict schema: a field the
 * proto does not have, or a value of the wrong form, fails a test of the OTLP sink.
 */
import { z } from "zod";

const Int64 = z.union([z.string().regex(/^-?\d+$/), z.number().int()]);
const UInt64 = z.union([z.string().regex(/^\d+$/), z.number().int().min(0)]);

type AnyValueT = { stringValue: string } | { boolValue: boolean } | { intValue: string | number } | { doubleValue: number } | { bytesValue: string } | { arrayValue: { values: AnyValueT[] } } | { kvlistValue: { values: { key: string; value: AnyValueT }[] } };
export const AnyValue: z.ZodType<AnyValueT> = z.lazy(() =>
  z.union([
    z.strictObject({ stringValue: z.string() }),
    z.strictObject({ boolValue: z.boolean() }),
    z.strictObject({ intValue: Int64 }),
    z.strictObject({ doubleValue: z.number() }),
    z.strictObject({ bytesValue: z.string() }),
    z.strictObject({ arrayValue: z.strictObject({ values: z.array(AnyValue) }) }),
    z.strictObject({ kvlistValue: z.strictObject({ values: z.array(KeyValue) }) }),
  ]),
);
export const KeyValue: z.ZodType<{ key: string; value: AnyValueT }> = z.lazy(() => z.strictObject({ key: z.string().min(1), value: AnyValue }));

export const OtlpLogRecord = z.strictObject({
  timeUnixNano: UInt64.optional(),
  observedTimeUnixNano: UInt64.optional(),
  severityNumber: z.number().int().min(0).max(24).optional(),
  severityText: z.string().optional(),
  body: AnyValue.optional(),
  attributes: z.array(KeyValue).optional(),
  droppedAttributesCount: z.number().int().min(0).optional(),
  flags: z.number().int().min(0).optional(),
  traceId: z.string().regex(/^[0-9a-f]{32}$/i).optional(),
  spanId: z.string().regex(/^[0-9a-f]{16}$/i).optional(),
  eventName: z.string().optional(),
});

export const ExportLogsServiceRequest = z.strictObject({
  resourceLogs: z.array(
    z.strictObject({
      resource: z.strictObject({ attributes: z.array(KeyValue), droppedAttributesCount: z.number().int().optional() }).optional(),
      scopeLogs: z.array(
        z.strictObject({
          scope: z.strictObject({ name: z.string(), version: z.string().optional(), attributes: z.array(KeyValue).optional(), droppedAttributesCount: z.number().int().optional() }).optional(),
          logRecords: z.array(OtlpLogRecord),
          schemaUrl: z.string().optional(),
        }),
      ),
      schemaUrl: z.string().optional(),
    }),
  ),
});
export type ExportLogsServiceRequest = z.infer<typeof ExportLogsServiceRequest>;

/** A log record's attribute value by key, unwrapped. */
export function attribute(record: { attributes?: { key: string; value: AnyValueT }[] | undefined }, key: string): unknown {
  const value = record.attributes?.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
}
