import { Schema, model, InferSchemaType, HydratedDocument } from 'mongoose';
import { countWrites } from './writeCounts';

export const FAMILY_ROLES = ['father', 'mother', 'guardian'] as const;
export type FamilyRole = (typeof FAMILY_ROLES)[number];

/**
 * A parent or guardian on a child's record, with the binding code printed on the contact card (联系卡).
 * Binding = this slot claimed by one channel address; a person sees exactly the children whose slots they hold.
 */
const familyMemberSchema = new Schema({
  orgId: { type: String, required: true },
  childId: { type: Schema.Types.ObjectId, ref: 'Child', required: true },
  role: { type: String, enum: FAMILY_ROLES, required: true },
  name: { type: String, required: true },
  phone: String,
  relation: String,
  age: Number,
  literacy: { type: String, enum: ['illiterate', 'primary', 'junior', 'senior_plus'] },
  workCity: String,
  code: { type: String, required: true },
  boundAddress: String,
  boundAt: Date,
  boundVia: { type: String, enum: ['code', 'teacher_approval'] },
  /** The parent's id in the school's 家校通讯录 (学校通知 goes to it); filled by the school sync. */
  wecomParentUserId: String,
  /** The parent's WeChat external_userid in this corp, from the 家校通讯录 (微信客服 also names customers by external_userid). */
  wecomExternalUserId: String,
}, { timestamps: true });
familyMemberSchema.index({ orgId: 1, code: 1 }, { unique: true });
familyMemberSchema.index({ orgId: 1, childId: 1, role: 1 }, { unique: true });
familyMemberSchema.index({ orgId: 1, boundAddress: 1 });
familyMemberSchema.index({ orgId: 1, wecomExternalUserId: 1 });
// 学校通知 looks its recipients up by parent_userid for every page it sends (without it, a scan of the county's members each).
familyMemberSchema.index({ orgId: 1, wecomParentUserId: 1 });

countWrites(familyMemberSchema, 'FamilyMember'); // domain/rosterSnapshot.ts and bot/recipientFacts.ts keep copies
export const FamilyMember = model('FamilyMember', familyMemberSchema);
export type FamilyMemberDoc = HydratedDocument<InferSchemaType<typeof familyMemberSchema>>;

/** Guardians who are old or read little get the voice style by default. */
export function prefersVoice(m: { role: string; age?: number | null; literacy?: string | null }): boolean {
  return m.role === 'guardian' && ((m.age ?? 0) >= 60 || m.literacy === 'illiterate' || m.literacy === 'primary');
}
