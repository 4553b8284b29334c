import { Schema, model, InferSchemaType } from 'mongoose';

/** One WeCom corp = one organisation; secrets stay in the environment, never here. */
const orgSchema = new Schema({
  _id: { type: String, required: true },
  name: { type: String, required: true },
  timeZone: { type: String, default: 'Asia/Shanghai' },
  quietHours: { type: String, default: '21:30-07:30' },
  lang: { type: String, default: 'zh-CN' },
  showTeacherPhone: { type: Boolean, default: false },
  /** Overrides of the rhythm's settings (domain/settings.ts); absent keys take the defaults. */
  schedule: { type: Schema.Types.Mixed, default: {} },
}, { timestamps: true, minimize: false });

export const Org = model('Org', orgSchema);
export type OrgDoc = InferSchemaType<typeof orgSchema>;
