/**
 * Staff sign-in: one-time links sent in chat, and browser sessions. Both are stored by the SHA-256 of their
 * secret, so a copy of the database opens nothing.
 */
import { Schema, model } from 'mongoose';

const loginCodeSchema = new Schema({
  /** sha256 of the code in the link. */
  _id: { type: String, required: true },
  orgId: { type: String, required: true },
  wecomUserId: { type: String, required: true },
  createdAt: { type: Date, required: true },
  expiresAt: { type: Date, required: true },
});
// Counting a staff member's links of the last hour (the 5-per-hour limit) and pruning old ones.
loginCodeSchema.index({ orgId: 1, wecomUserId: 1, createdAt: -1 });
loginCodeSchema.index({ expiresAt: 1 });
export const LoginCode = model('LoginCode', loginCodeSchema);

const staffSessionSchema = new Schema({
  /** sha256 of the cookie's token. */
  _id: { type: String, required: true },
  orgId: { type: String, required: true },
  wecomUserId: { type: String, required: true },
  /** Sent back in X-CSRF-Token with every change made from the browser. */
  csrf: { type: String, required: true },
  via: { type: String, enum: ['chat', 'wecom'], required: true },
  createdAt: { type: Date, required: true },
  lastSeenAt: { type: Date, required: true },
});
staffSessionSchema.index({ lastSeenAt: 1 });
export const StaffSession = model('StaffSession', staffSessionSchema);
