import { Schema, model, InferSchemaType, HydratedDocument } from 'mongoose';
import { countWrites } from './writeCounts';

/** 留守类型 and 监护情况, as stored (the import reads the Chinese words of import/columns.ts into these). */
export const LEFT_BEHIND = ['both', 'father', 'mother', 'single_parent'] as const;
export const LIVING_WITH = ['grandparents', 'relatives', 'proxy', 'alone', 'father', 'mother'] as const;

const historySchema = new Schema({ at: Date, source: String, changed: [String] }, { _id: false });
const familyCallSchema = new Schema({ weekday: { type: Number, min: 0, max: 6 }, time: String }, { _id: false });

/** The child's record (留守儿童档案). Family members with their binding codes live in FamilyMember. */
const childSchema = new Schema({
  orgId: { type: String, required: true },
  schoolId: { type: Schema.Types.ObjectId, ref: 'School', required: true },
  classroomId: { type: Schema.Types.ObjectId, ref: 'Classroom', required: true },
  /** school + student number, or school + class + name + birth date: the one unique identity of a child. */
  identityKey: { type: String, required: true },
  name: { type: String, required: true },
  gender: { type: String, enum: ['male', 'female'] },
  birthDate: { type: String, required: true },
  studentNo: String,
  leftBehind: { type: String, enum: LEFT_BEHIND },
  livingWith: { type: String, enum: LIVING_WITH },
  boarding: { type: Boolean, default: false },
  priority: { type: Boolean, default: false },
  status: { type: String, enum: ['active', 'returned', 'transferred', 'graduated'], default: 'active' },
  familyCall: { type: familyCallSchema, default: undefined },
  history: { type: [historySchema], default: [] },
}, { timestamps: true });
childSchema.index({ orgId: 1, identityKey: 1 }, { unique: true });
childSchema.index({ orgId: 1, name: 1, birthDate: 1 });

countWrites(childSchema, 'Child'); // domain/rosterSnapshot.ts keeps a copy
export const Child = model('Child', childSchema);
export type ChildDoc = HydratedDocument<InferSchemaType<typeof childSchema>>;

export function childIdentityKey(schoolId: string, className: string, name: string, birthDate: string, studentNo?: string): string {
  return studentNo ? `${schoolId}|no|${studentNo}` : `${schoolId}|${className}|${name}|${birthDate}`;
}
