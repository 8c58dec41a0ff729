/**
 * Watchlists and notifications (issue 18): what is watched, who wants to hear of what, the
 * incremental re-screening after every ingest batch and daily run, the inbox, and the push
 * channels (daily e-mail digest, webhooks and group robots).
 */
export * from './kinds.ts';
export * from './watchlists.ts';
export * from './subscriptions.ts';
export {
  rescreen,
  rescreenAfter,
  HISTORY_DAYS,
  type ScreenOptions,
  type ScreenResult,
} from './screen.ts';
export { quietUntil, nextPushTime, isClock } from './quiet.ts';
export * from './inbox.ts';
export {
  deliverDue,
  queueDigests,
  listDeliveries,
  retryDelivery,
  signBody,
  dingtalkUrl,
  DEFAULT_RETRY_SECONDS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  type Mailer,
  type DeliverOptions,
  type DeliverResult,
  DeliveryRow,
  DeliveryPage,
} from './deliver.ts';
export { notifyJobs, createMailer, type NotifyJob } from './jobs.ts';
