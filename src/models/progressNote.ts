import { Schema, model, InferSchemaType, HydratedDocument } from 'mongoose';

/** A parent's answer to a delivered note, passed on to the pairing teacher. */
const noteReplySchema = new Schema({
  at: { type: Date, required: true },
  /** The parent's address and the family-member slot they hold. */
  from: { type: String, required: true },
  memberId: { type: Schema.Types.ObjectId, ref: 'FamilyMember' },
  role: { type: String, enum: ['father', 'mother', 'guardian'] },
  text: { type: String, required: true },
  /** The inbound platform message id: the same message stored once. */
  platformId: String,
}, { _id: false });

/**
 * The monthly progress note (成长记录) of one child: one per child per period (YYYY-MM, org time zone).
 * submitted → sent; a submitted note may be corrected, a sent one not.
 */
const progressNoteSchema = new Schema({
  orgId: { type: String, required: true },
  childId: { type: Schema.Types.ObjectId, ref: 'Child', required: true },
  teacherId: { type: Schema.Types.ObjectId, ref: 'Staff', required: true },
  /** YYYY-MM */
  period: { type: String, required: true },
  study: String,
  life: String,
  mood: String,
  health: String,
  text: String,
  status: { type: String, enum: ['draft', 'submitted', 'sent'], default: 'draft' },
  /** How it was written: by message (one message or the dialog) or through the admin API. */
  source: { type: String, enum: ['chat', 'api'] },
  submittedAt: Date,
  sentAt: Date,
  /**
   * The guardians' recordings of a submitted note: `due` until the noteRecordings job made them (into the speech
   * cache), so that the 1st's fan-out sends them instead of synthesizing a county's worth at once.
   */
  recording: { type: String, enum: ['due', 'done'] },
  replies: { type: [noteReplySchema], default: [] },
}, { timestamps: true });
progressNoteSchema.index({ orgId: 1, childId: 1, period: 1 }, { unique: true });
progressNoteSchema.index({ orgId: 1, status: 1, period: 1 });

export const ProgressNote = model('ProgressNote', progressNoteSchema);
export type ProgressNoteDoc = HydratedDocument<InferSchemaType<typeof progressNoteSchema>>;

export const NOTE_FIELDS = ['study', 'life', 'mood', 'health', 'text'] as const;
export type NoteField = (typeof NOTE_FIELDS)[number];
export type NoteContent = Partial<Record<NoteField, string | null>>;
