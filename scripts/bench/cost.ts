/**
 * Public list prices (us-east-1, on demand) used by the cost model, as written on 2026-11-29 from
 * AWS's pricing pages as last read (no network here to re-check): update them when they change.
 */
export const PRICES = {
  date: '2026-11-29',
  apiGatewayHttpPerMillion: 1.0,
  lambdaRequestsPerMillion: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  /** FIFO queues' price (standard queues: $0.40). */
  sqsPerMillionRequests: 0.5,
  dynamoWritePerMillionWru: 0.625,
  dynamoReadPerMillionRru: 0.125,
  logsIngestPerGb: 0.5,
  eventBridgePerMillionEvents: 1.0,
  /** DynamoDB standard table class: storage, per GB-month. */
  dynamoStoragePerGbMonth: 0.25,
  /** Point-in-time recovery (continuous backups), per GB-month of table size. */
  dynamoPitrPerGbMonth: 0.2,
};

/** (e) Modelled AWS cost per million job webhooks. */
export const MODEL = {
  memoryGb: 0.25,
  /** One SQS SendMessage round trip in the ingest function. */
  sqsSendMs: 15,
  /** Two strongly consistent reads (the record, the events' history items) and two conditional writes. */
  consumerMsPerEvent: 20,
  /** Events per consumer batch (SQS receive and delete, and consumer invocations, are per batch). */
  eventsPerBatch: 5,
  /** Share of invocations that start a new instance and pay its cold init. */
  coldShare: 0.01,
  /**
   * Read units per event: the CURRENT item and the event's history item (strongly consistent,
   * each under 4 KB); DynamoDB Local reports 2.0 (figure f).
   */
  readUnitsPerEvent: 2,
  /**
   * CloudWatch Logs GB per million events: three function log lines of about 200 bytes, and the
   * API's access log line of about 250.
   */
  logGbPerMillion: 0.85,
  /** Notifications per job webhook: one per job (its terminal change), hotglue's 7 events a job. */
  notificationsPerEvent: 1 / 7,
  /**
   * KB a job event leaves stored: its history item (about 0.8 KB), a seventh of its job's
   * `CURRENT` item (about 1.5 KB) and index entries (about 0.1 KB); operations.md, "What it costs".
   */
  storedKbPerEvent: 1.1,
};

/**
 * What a table costs each month it is kept, per GB and per million job events stored: storage,
 * and point-in-time recovery (on for every table), both charged here on the 1.1 KB an event
 * leaves; for recovery an upper bound, should AWS leave the global indexes' 0.1 KB out of the size.
 */
export function storageCostPerMonth() {
  // KB per event × a million events = GB
  const gbPerMillionEvents = MODEL.storedKbPerEvent;
  const perGb = {
    storage: PRICES.dynamoStoragePerGbMonth,
    pointInTimeRecovery: PRICES.dynamoPitrPerGbMonth,
  };
  return {
    gbPerMillionEvents,
    perGb,
    perMillionEvents: {
      storage: gbPerMillionEvents * perGb.storage,
      pointInTimeRecovery: gbPerMillionEvents * perGb.pointInTimeRecovery,
    },
  };
}

export function costModel(
  ingestUs: number,
  wruPerJobEvent: number,
  coldInitMs: number,
  marking: { readUnitsPerNotification: number; writeUnitsPerNotification: number },
) {
  const m = MODEL;
  const ingestSeconds = ((ingestUs / 1000 + m.sqsSendMs + m.coldShare * coldInitMs) / 1000) * 1e6;
  const consumerSeconds =
    ((m.consumerMsPerEvent + (m.coldShare * coldInitMs) / m.eventsPerBatch) / 1000) * 1e6;
  const items = {
    apiGateway: PRICES.apiGatewayHttpPerMillion,
    lambdaRequests: (1 + 1 / m.eventsPerBatch) * PRICES.lambdaRequestsPerMillion,
    lambdaDuration: (ingestSeconds + consumerSeconds) * m.memoryGb * PRICES.lambdaArmPerGbSecond,
    sqs: (1 + 2 / m.eventsPerBatch) * PRICES.sqsPerMillionRequests,
    dynamoWrites: wruPerJobEvent * PRICES.dynamoWritePerMillionWru,
    dynamoReads: m.readUnitsPerEvent * PRICES.dynamoReadPerMillionRru,
    logs: m.logGbPerMillion * PRICES.logsIngestPerGb,
    // The record write that records a change is in the write units above; publishing it and
    // marking it sent come on top.
    notifications:
      m.notificationsPerEvent *
      (PRICES.eventBridgePerMillionEvents +
        marking.writeUnitsPerNotification * PRICES.dynamoWritePerMillionWru +
        marking.readUnitsPerNotification * PRICES.dynamoReadPerMillionRru),
  };
  const total = Object.values(items).reduce((a, b) => a + b, 0);
  return { items, total };
}
