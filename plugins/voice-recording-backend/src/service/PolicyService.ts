import { InputError, NotFoundError } from '@backstage/errors';
import {
  decideRecording,
  RecordingDecision,
} from '@mvr/plugin-voice-recording-common';
import { DateTime } from 'luxon';
import { ServiceContext } from './context';
import { NumbersService } from './NumbersService';

/** Answers the network/recorder: is this call recorded? */
export class PolicyService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly numbers: NumbersService,
  ) {}

  async decide(q: {
    number: string;
    otherParty?: string;
    at?: string;
  }): Promise<RecordingDecision & { number: string }> {
    const e164 = this.numbers.normalizeNumber(q.number);
    let at: Date = this.ctx.now?.() ?? new Date();
    if (q.at) {
      const parsed = DateTime.fromISO(q.at, { setZone: true });
      if (!parsed.isValid)
        throw new InputError(`at: "${q.at}" is not an ISO 8601 instant`);
      at = parsed.toJSDate();
    }
    const n = await this.ctx.numbers.getByNumber(e164);
    if (!n) throw new NotFoundError(`recorded number ${e164} not found`);
    const decision = decideRecording({
      number: n,
      at,
      otherParty: q.otherParty,
      emergencyNumbers: this.ctx.config.emergencyNumbers,
    });
    return { ...decision, number: e164 };
  }
}
