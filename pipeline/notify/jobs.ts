/**
 * The notification jobs of `dafei serve`'s scheduler: `notify` (every minute by default) screens
 * what is new — dispositions, and anything a crashed or failed screening left — and sends the
 * pushes that are due; `digest` (07:30 by default) queues each subscriber's daily e-mail and sends
 * it. Both go through the scheduler's queue, like every job; the digest is in the run ledger, the
 * minutely notify job only when it fails.
 */
import nodemailer from 'nodemailer';
import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import { deliverDue, queueDigests, type Mailer } from './deliver.ts';
import { failRun, startRun } from '../jobs/ledger.ts';
import { rescreen } from './screen.ts';

/** The digest's SMTP transport (nodemailer), or undefined when no server is configured. */
export function createMailer(
  config: Pick<Config, 'notifications' | 'smtpPassword'>,
): Mailer | undefined {
  const smtp = config.notifications.smtp;
  if (!smtp) return undefined;
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: config.smtpPassword ?? '' } } : {}),
  });
}

export interface NotifyJob {
  name: 'notify' | 'digest';
  cron: string;
  ledger: boolean;
  run(): Promise<unknown>;
}

export function notifyJobs(
  db: Db,
  config: Pick<Config, 'notifications' | 'smtpPassword' | 'security'>,
  now: () => Date = () => new Date(),
  mailer: Mailer | undefined = createMailer(config),
): NotifyJob[] {
  const n = config.notifications;
  const deliver = () =>
    deliverDue(db, {
      now,
      mailer,
      ...(n.smtp ? { from: n.smtp.from } : {}),
      publicUrl: config.security.public_url,
      retrySeconds: n.retry_seconds,
      timeoutMs: n.timeout_seconds * 1000,
    });
  return [
    {
      name: 'notify',
      cron: n.deliver_cron,
      // every minute: only its failures go to the run ledger
      ledger: false,
      run: async () => {
        try {
          const screened = await rescreen(db, { now });
          const pushed = await deliver();
          return { notifications: screened.notifications, ...pushed };
        } catch (err) {
          await failRun(db, await startRun(db, 'notify', null), err);
          throw err;
        }
      },
    },
    {
      name: 'digest',
      cron: n.digest_cron,
      ledger: true,
      run: async () => {
        const queued = await queueDigests(db, { now });
        return { digests: queued, ...(await deliver()) };
      },
    },
  ];
}
