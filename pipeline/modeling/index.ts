/** pipeline/modeling — what other layers use: days, the model registry, training and evaluation. */
export { addDays, dayRange, daysBetween, isDay, shanghaiDay } from './days.ts';
export {
  activateModel,
  activeVersion,
  listModels,
  rollbackModel,
  ModelVersionInfo,
} from './registry.ts';
export { trainAndRegister, type TrainJobOptions, type TrainJobResult } from './train-job.ts';
export { lastDataDay } from './evaluate.ts';
