import { Schema, model } from 'mongoose';

const classroomSchema = new Schema({
  orgId: { type: String, required: true },
  schoolId: { type: Schema.Types.ObjectId, ref: 'School', required: true },
  name: { type: String, required: true },
  headTeacherId: { type: Schema.Types.ObjectId, ref: 'Staff' },
}, { timestamps: true });
classroomSchema.index({ orgId: 1, schoolId: 1, name: 1 }, { unique: true });

export const Classroom = model('Classroom', classroomSchema);
