export { createApp, MAX_BODY_BYTES, type CreateAppOptions, type DafeiApp } from './app.ts';
export { startServer, type StartServerOptions, type RunningServer } from './server.ts';
export { serializeDb, isSerialDb, type SerialDb } from './serial-db.ts';
export { ApiError, type ApiErrorCode, type Problem } from './errors.ts';
export { HIDDEN_FIELDS, PERSONAL_FIELDS } from './redact.ts';
export {
  createToken,
  revokeToken,
  listTokens,
  createUser,
  ROLES,
  type Role,
} from '../pipeline/auth/index.ts';
