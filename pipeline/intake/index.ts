/** Files uploaded for intake (the 数据导入 page). */
export {
  saveUpload,
  getUpload,
  listUploads,
  ingestUpload,
  safeFileName,
  uploadFormat,
  UploadError,
  UploadRow,
} from './uploads.ts';
