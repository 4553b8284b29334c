/**
 * `wecom-school` (学校通知, 家校沟通): pushes to parents through the school's 家校 app, by their `parent_userid`
 * in the 家校通讯录 (`POST /cgi-bin/externalcontact/message/send`, recv_scope 0, to_parent_userid, agentid;
 * ../shared/wecom-api.md §4). Parents receive it in WeChat under 「学校通知」 without having written first, so
 * this is the route for a family outside its 微信客服 window. Outbound only: nothing comes back on it.
 *
 * An address (the one a family member is bound to, e.g. their kf external_userid) maps to parent_userids through
 * FamilyMember.wecomParentUserId (filled by the school sync, schoolSync.ts): the member bound to the address, or
 * the member whose external_userid it is, or the address itself as a parent_userid. None known → a
 * FallbackSendError('school_unknown_parent'); WeCom listing every recipient in `invalid_parent_userid` → a
 * FallbackSendError('school_invalid_parent'), so delivery tries the next route.
 *
 * Texts over 2048 bytes are split (the limit for school notices is unconfirmed; it is message/send's). Each part
 * is sent with enable_duplicate_check, so that an outbox retry of a part WeCom already took within 30 minutes is
 * dropped by WeCom, and parts already sent are remembered in process like wecom-app's.
 */
import path from 'node:path';
import type { Logger } from '../../log';
import { FamilyMember } from '../../models/familyMember';
import { Channel, ChannelCapabilities, InboundHandler, OutboundMessage, PermanentSendError, Reach, SendResult } from '../channel';
import { FallbackSendError } from '../router';
import { PartProgress, partsOf } from './messageParts';
import type { WeComClient } from './client';
import { forgetRefusedSpeech, speechMediaId, VoiceMedia } from './speechMedia';
import { findByValues } from '../../models/manyValues';
import { recipientFacts } from '../recipientFacts';

export interface WeComSchoolChannelOptions {
  orgId: string;
  /** A client with the 家校 app's secret and agentid (WECOM_SCHOOL_SECRET, WECOM_SCHOOL_AGENT_ID). */
  client: WeComClient;
  /** Recordings to upload are looked for in `<dataDir>/media/`. */
  dataDir: string;
  log?: Logger;
}

/** How long parent ids read for a page serve its sends: the page's seconds, not a cache of the directory (real time). */
const KNOWN_MS = 30_000;

interface SchoolSendResult {
  invalid_parent_userid?: string[];
  invalid_student_userid?: string[];
  invalid_party?: string[];
  msgid?: string;
}


export class WeComSchoolChannel implements Channel {
  readonly name = 'wecom-school';
  /** Parents with a known parent_userid (`reach`), after 微信客服; outbound only. */
  readonly capabilities: ChannelCapabilities = { reaches: ['family'], prefers: { family: 1 }, quotes: false, voice: true, audio: true };
  private readonly voice: VoiceMedia;
  /** Parent ids read for a page of deliveries (reachMany), for its sends a moment later. */
  private readonly known = new Map<string, { ids: string[]; at: number }>();
  /** Outbox key → parts already sent (bounded; only matters between an error and its retry). */
  private readonly parts: PartProgress;

  constructor(private readonly opts: WeComSchoolChannelOptions) {
    this.voice = new VoiceMedia(opts.client, path.resolve(opts.dataDir, 'media'), this.name);
    this.parts = new PartProgress(this.name, opts.log);
  }

  get client(): WeComClient {
    return this.opts.client;
  }

  async start(_onMessage: InboundHandler): Promise<void> {}

  async stop(): Promise<void> {}

  async reach(address: string): Promise<Reach> {
    return (await this.parentIds(address)).length ? 'open' : 'closed';
  }

  /** `reach` for a page of deliveries; what it read serves the sends that follow (see `known`). */
  async reachMany(addresses: string[]): Promise<Map<string, Reach>> {
    const ids = await this.parentIdsOf(addresses);
    const at = Date.now();
    for (const [address, found] of ids) this.known.set(address, { ids: found, at });
    while (this.known.size > 5000) this.known.delete(this.known.keys().next().value as string);
    return new Map(addresses.map((a) => [a, ids.get(a)!.length ? 'open' : 'closed']));
  }

  /** The parent_userids behind an address (one person may be the parent of several children: one id, deduplicated). */
  async parentIds(address: string): Promise<string[]> {
    const recent = this.known.get(address);
    if (recent && Date.now() - recent.at < KNOWN_MS) return recent.ids;
    return (await this.parentIdsOf([address])).get(address)!;
  }

  /**
   * Per address, the first of: the members bound to it, the member whose external_userid it is, the address
   * itself as a parent_userid. Each lookup only for the addresses the one before did not resolve: on FerretDB each
   * address is a query of its own, and nearly every address of a fan-out is a bound member.
   */
  private async parentIdsOf(addresses: string[]): Promise<Map<string, string[]>> {
    const { orgId } = this.opts;
    // The bound members as enqueueing read them for the same messages (recipientFacts keeps them a few minutes).
    const bound = [...(await recipientFacts(orgId, addresses))].flatMap(([boundAddress, f]) => f.members
      .filter((m) => m.wecomParentUserId).map((m) => ({ boundAddress, wecomParentUserId: m.wecomParentUserId })));
    const found = new Set(bound.map((r) => r.boundAddress));
    const rest = addresses.filter((a) => !found.has(a));
    const [external, direct] = await Promise.all([
      findByValues(FamilyMember, rest, (wecomExternalUserId) => FamilyMember.find({ orgId, wecomExternalUserId, wecomParentUserId: { $exists: true } }, { wecomExternalUserId: 1, wecomParentUserId: 1 }).lean()),
      findByValues(FamilyMember, rest, (wecomParentUserId) => FamilyMember.find({ orgId, wecomParentUserId }, { wecomParentUserId: 1 }).lean()),
    ]);
    const idsBy = (rows: Array<{ wecomParentUserId?: string | null }>, address: string, key: (r: Record<string, unknown>) => unknown) => [
      ...new Set(rows.filter((r) => key(r as Record<string, unknown>) === address).map((r) => r.wecomParentUserId).filter((id): id is string => !!id)),
    ];
    return new Map(addresses.map((a) => {
      for (const [rows, key] of [[bound, (r: Record<string, unknown>) => r.boundAddress], [external, (r: Record<string, unknown>) => r.wecomExternalUserId],
        [direct, (r: Record<string, unknown>) => r.wecomParentUserId]] as const) {
        const ids = idsBy(rows, a, key);
        if (ids.length) return [a, ids];
      }
      return [a, []];
    }));
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (msg.room) throw new PermanentSendError(`wecom-school sends to parents only; room "${msg.room}" needs another route`);
    const ids = await this.parentIds(msg.to);
    if (!ids.length) {
      throw new FallbackSendError('school_unknown_parent', `wecom-school: no parent_userid known for ${msg.to}; run the school sync (POST /api/wecom/school-sync)`);
    }
    // A voice-style parent gets the text and its recording (uploaded once per 3 days; if not, the text alone).
    const speechId = msg.audio ? await speechMediaId(this.opts.client, msg.audio, { channel: this.name, key: msg.key, log: this.opts.log }) : undefined;
    const platformMsgId = await this.parts.send(msg.key, partsOf(msg, this.name, speechId), (part) => (part.kind === 'text'
      ? this.post(ids, { msgtype: 'text', text: { content: part.content } })
      : this.voice.withMediaId(part.mediaId, (mediaId) => this.post(ids, { msgtype: 'voice', voice: { media_id: mediaId } })).catch(async (err: unknown) => {
        if (part.mediaId === speechId) await forgetRefusedSpeech(this.opts.client, msg.audio, err);
        throw err;
      })));
    return { route: this.name, platformMsgId };
  }

  private async post(ids: string[], body: Record<string, unknown>): Promise<SchoolSendResult> {
    const res = await this.opts.client.post<SchoolSendResult>('/cgi-bin/externalcontact/message/send', {
      recv_scope: 0, to_parent_userid: ids, agentid: this.opts.client.agentId, ...body,
      enable_duplicate_check: 1, duplicate_check_interval: 1800,
    });
    const invalid = res.invalid_parent_userid ?? [];
    if (invalid.length) {
      const hint = 'not in the 家校 app\'s allowed scope (school/agent/get_allow_scope) or no longer in the 家校通讯录; run the school sync';
      if (ids.every((id) => invalid.includes(id))) {
        throw new FallbackSendError('school_invalid_parent', `wecom-school: invalid_parent_userid ${invalid.join(',')}: ${hint}`);
      }
      this.opts.log?.warn({ channel: this.name, invalid }, `wecom-school: some parents did not get the notice: ${hint}`);
    }
    return res;
  }
}
