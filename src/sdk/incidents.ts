// The incident register through a `VerityClient` (FGMV-46 7.4.2, accountability; GDPR Art. 33-34):
// personal data breaches, their 72-hour clock and the notifications sent. Its own class, as
// `ConsentClient` is, so that a world's client that never manages incidents does not ship it.
import type { VerityClient } from './client.ts';

/** A breach as it is recorded; times in ms since the epoch. */
export interface IncidentInput {
  readonly description: string;
  readonly categories: readonly string[];
  readonly detectedAt?: number;
  readonly awareAt?: number;
  readonly affected?: { from: number; to: number; recordTypes?: string[]; actors?: string[]; actions?: string[] };
}

/** A notification sent about an incident, to the authority or to the subjects, and its evidence. */
export interface IncidentNotification {
  readonly to: 'authority' | 'subjects';
  readonly reference: string;
  readonly at?: number;
  readonly evidenceHash?: string;
  readonly subjects?: number;
  readonly delayReason?: string;
}

/**
 * The incident register of a Verity server, for a token granted `incident.manage`.
 *
 * @example
 * ```ts
 * const incidents = new IncidentClient(client);
 * const i = await incidents.open({ description: 'a world token leaked', categories: ['dpv-pd:Contact'] });
 * ```
 */
export class IncidentClient {
  readonly #client: VerityClient;
  constructor(client: VerityClient) {
    this.#client = client;
  }

  /** Records a personal data breach. */
  open(input: IncidentInput): Promise<Record<string, unknown> & { id: string; deadline: number; overdue: boolean }> {
    return this.#client.call('POST', '/v1/incidents', input);
  }

  /** The incidents (`overdue` for those past their 72-hour deadline without notifying the authority). */
  list(o: { status?: 'open' | 'notified' | 'closed'; overdue?: boolean } = {}): Promise<unknown[]> {
    const p = new URLSearchParams();
    if (o.status !== undefined) p.set('status', o.status);
    if (o.overdue !== undefined) p.set('overdue', String(o.overdue));
    return this.#client.call('GET', `/v1/incidents?${p}`);
  }

  /** One incident and its clock. */
  get(id: string): Promise<Record<string, unknown>> {
    return this.#client.call('GET', `/v1/incidents/${encodeURIComponent(id)}`);
  }

  /** Records a notification sent (to the authority or the subjects) and its evidence. */
  notify(id: string, n: IncidentNotification): Promise<Record<string, unknown>> {
    return this.#client.call('POST', `/v1/incidents/${encodeURIComponent(id)}/notifications`, n);
  }

  /** Closes an incident. */
  close(id: string, c: { resolution: string; notRequired?: string }): Promise<Record<string, unknown>> {
    return this.#client.call('POST', `/v1/incidents/${encodeURIComponent(id)}/close`, c);
  }
}
