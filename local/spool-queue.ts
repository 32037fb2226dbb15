import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { EventQueue } from '../shared/ports/event-queue.ts';
import { logger } from '../shared/powertools.ts';
import type { QueuedEvent } from '../shared/stripe/events.ts';

interface Message {
  id: string;
  body: string;
  receiveCount: number;
  firstSentAt: string;
  /** Not before this time (epoch ms): the local stand-in for SQS's visibility timeout. */
  visibleAt: number;
}

export interface DeadLetter {
  id: string;
  body: string;
  receiveCount: number;
  deadAt: string;
}

export interface SpoolQueueOptions {
  /** Folder for the journal and the dead letters; absent keeps everything in memory (tests). */
  dir?: string;
  /** Receives before a message is dead-lettered (SQS maxReceiveCount). */
  maxReceives?: number;
  batchSize?: number;
  /** First retry delay; doubles per receive (the local visibility timeout). */
  retryBaseMs?: number;
  /** Batches handled at once (Lambda concurrency stand-in). */
  concurrency?: number;
}

/**
 * The local stand-in for SQS + the processor's event source mapping: an append-only journal
 * (so an accepted event survives a crash of `npm start`), batches of up to ten delivered to
 * the processor as SQS events, redelivery of the records the processor reports as failed, and
 * a dead-letter file after `maxReceives`. At-least-once, like SQS.
 */
export class SpoolQueue implements EventQueue {
  private readonly pending = new Map<string, Message>();
  private readonly inFlight = new Set<string>();
  private readonly dead: DeadLetter[] = [];
  private consumer: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private sequence = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  /** Group commit: lines waiting for the next append, with their callers; one append at a time. */
  private journalLines: string[] = [];
  private journalWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private flushing: Promise<void> | undefined;
  private readonly maxReceives: number;
  private readonly batchSize: number;
  private readonly retryBaseMs: number;
  private readonly concurrency: number;

  constructor(private readonly options: SpoolQueueOptions = {}) {
    this.maxReceives = options.maxReceives ?? 5;
    this.batchSize = options.batchSize ?? 10;
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.concurrency = options.concurrency ?? 4;
  }

  private get journalPath() {
    return this.options.dir ? join(this.options.dir, 'queue.jsonl') : undefined;
  }
  private get deadLetterPath() {
    return this.options.dir ? join(this.options.dir, 'dead-letters.jsonl') : undefined;
  }

  /** Reloads messages accepted but not yet processed before the last stop, and compacts the journal. */
  async open(): Promise<number> {
    if (!this.options.dir || !this.journalPath) return 0;
    await mkdir(this.options.dir, { recursive: true });
    if (existsSync(this.journalPath)) {
      const lines = (await readFile(this.journalPath, 'utf8')).split('\n').filter(Boolean);
      for (const line of lines) {
        let entry: { op: string; id: string; body?: string; at?: string };
        try {
          entry = JSON.parse(line);
        } catch {
          continue; // a torn last line from a crash mid-write
        }
        if (entry.op === 'send' && entry.body !== undefined) {
          this.pending.set(entry.id, { id: entry.id, body: entry.body, receiveCount: 0, firstSentAt: entry.at ?? '', visibleAt: 0 });
        } else if (entry.op === 'done') {
          this.pending.delete(entry.id);
        }
      }
    }
    await writeFile(
      this.journalPath,
      [...this.pending.values()].map((m) => `${JSON.stringify({ op: 'send', id: m.id, body: m.body, at: m.firstSentAt })}\n`).join(''),
    );
    if (this.deadLetterPath && existsSync(this.deadLetterPath)) {
      const lines = (await readFile(this.deadLetterPath, 'utf8')).split('\n').filter(Boolean);
      for (const line of lines) {
        try {
          this.dead.push(JSON.parse(line) as DeadLetter);
        } catch {
          /* torn line */
        }
      }
    }
    return this.pending.size;
  }

  /**
   * Appends a journal line and resolves once it is written. Lines that arrive while an append
   * is running go out together in the next one (group commit), in call order, so the journal
   * costs one file write per burst rather than one per event.
   */
  private journal(entry: object): Promise<void> {
    const path = this.journalPath;
    if (!path) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.journalLines.push(`${JSON.stringify(entry)}\n`);
      this.journalWaiters.push({ resolve, reject });
      this.flushing ??= this.flushJournal(path);
    });
  }

  private async flushJournal(path: string): Promise<void> {
    while (this.journalLines.length > 0) {
      const lines = this.journalLines.splice(0);
      const waiters = this.journalWaiters.splice(0);
      try {
        await appendFile(path, lines.join(''));
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
    this.flushing = undefined;
  }

  async send(event: QueuedEvent): Promise<void> {
    if (this.stopped) throw new Error('queue is stopped');
    const id = `${Date.now().toString(36)}-${(this.sequence++).toString(36)}-${event.id}`;
    const body = JSON.stringify(event);
    const at = new Date().toISOString();
    await this.journal({ op: 'send', id, body, at });
    this.pending.set(id, { id, body, receiveCount: 0, firstSentAt: at, visibleAt: 0 });
    this.schedule(0);
  }

  /** Starts delivering batches to `consumer` (the processor). */
  start(consumer: (event: SQSEvent) => Promise<SQSBatchResponse>): void {
    this.consumer = consumer;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped || !this.consumer) return;
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pump();
    }, delayMs);
  }

  private async pump(): Promise<void> {
    while (!this.stopped && this.consumer && this.running < this.concurrency) {
      const now = Date.now();
      const batch = [...this.pending.values()].filter((m) => !this.inFlight.has(m.id) && m.visibleAt <= now).slice(0, this.batchSize);
      if (batch.length === 0) break;
      for (const m of batch) {
        this.inFlight.add(m.id);
        m.receiveCount++;
      }
      this.running++;
      void this.deliver(batch).finally(() => {
        this.running--;
        this.schedule(0);
      });
    }
    const waiting = [...this.pending.values()].filter((m) => !this.inFlight.has(m.id));
    if (waiting.length > 0 && this.running < this.concurrency) {
      const next = Math.min(...waiting.map((m) => m.visibleAt)) - Date.now();
      this.schedule(Math.max(next, 1));
    }
    if (this.pending.size === 0 && this.running === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async deliver(batch: Message[]): Promise<void> {
    const event: SQSEvent = {
      Records: batch.map((m) => ({
        messageId: m.id,
        receiptHandle: m.id,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(Date.parse(m.firstSentAt) || Date.now()),
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:local:000000000000:termwatch-events',
        awsRegion: 'local',
      })),
    };
    let failed: Set<string>;
    try {
      const response = await this.consumer!(event);
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch (error) {
      // A crash of the whole batch: every record comes back, as SQS does after the visibility timeout.
      logger.warn('processor batch failed', { error: error as Error, size: batch.length });
      failed = new Set(batch.map((m) => m.id));
    }
    const written: Array<Promise<void>> = [];
    for (const m of batch) {
      this.inFlight.delete(m.id);
      if (!failed.has(m.id)) {
        this.pending.delete(m.id);
        written.push(this.journal({ op: 'done', id: m.id }));
      } else if (m.receiveCount >= this.maxReceives) {
        this.pending.delete(m.id);
        const letter: DeadLetter = { id: m.id, body: m.body, receiveCount: m.receiveCount, deadAt: new Date().toISOString() };
        this.dead.push(letter);
        if (this.deadLetterPath) await appendFile(this.deadLetterPath, `${JSON.stringify(letter)}\n`);
        written.push(this.journal({ op: 'done', id: m.id }));
        logger.error('event dead-lettered after repeated failures', { messageId: m.id, receiveCount: m.receiveCount });
      } else {
        m.visibleAt = Date.now() + this.retryBaseMs * 2 ** (m.receiveCount - 1);
      }
    }
    // One append for the whole batch's acknowledgements.
    await Promise.all(written);
  }

  deadLetters(): readonly DeadLetter[] {
    return this.dead;
  }

  /** Puts every dead letter back on the queue (after the cause is fixed). */
  async redrive(): Promise<number> {
    const letters = this.dead.splice(0);
    if (this.deadLetterPath) await writeFile(this.deadLetterPath, '');
    for (const letter of letters) {
      await this.journal({ op: 'send', id: letter.id, body: letter.body, at: letter.deadAt });
      this.pending.set(letter.id, { id: letter.id, body: letter.body, receiveCount: 0, firstSentAt: letter.deadAt, visibleAt: 0 });
    }
    this.schedule(0);
    return letters.length;
  }

  get depth(): number {
    return this.pending.size;
  }

  /** Resolves when nothing is pending or in flight (tests, shutdown). */
  drained(): Promise<void> {
    if (this.pending.size === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.schedule(0);
    });
  }

  /** Stops delivering; what is still pending stays in the journal for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running > 0) await new Promise((r) => setTimeout(r, 10));
    await this.flushing;
  }
}
