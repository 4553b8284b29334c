import { Schema, model } from 'mongoose';

/** Who read or changed what: every read of a child's record by staff lands here. */
const auditLogSchema = new Schema({
  orgId: { type: String, required: true },
  at: { type: Date, required: true },
  actor: { type: String, required: true },
  action: { type: String, required: true },
  target: String,
  detail: Schema.Types.Mixed,
  /** Schools the entry concerns (the child's, the actor's): what a principal's view of the log filters on. */
  schoolIds: { type: [String], default: undefined },
});
auditLogSchema.index({ orgId: 1, at: -1 });
auditLogSchema.index({ orgId: 1, schoolIds: 1, at: -1 });

export const AuditLog = model('AuditLog', auditLogSchema);

export async function audit(orgId: string, at: Date, actor: string, action: string, target?: string, detail?: unknown, schoolIds?: string[]): Promise<void> {
  await AuditLog.create({ orgId, at, actor, action, target, detail, ...(schoolIds?.length ? { schoolIds: [...new Set(schoolIds)] } : {}) });
}
