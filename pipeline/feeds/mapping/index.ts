/** Mappings: other layouts (CSV, XLSX) → the feed contract. See README.md in this folder. */
export {
  MappingSchema,
  TransformSchema,
  mappingJsonSchema,
  type Mapping,
  type MappingInput,
  type Transform,
  type FieldMapping,
} from './schema.ts';
export {
  parseMapping,
  identityMapping,
  bindMapping,
  MappingError,
  type BoundMapping,
} from './compile.ts';
export { readMapped, type TabularSource, type ReadMappedOptions } from './read-mapped.ts';
export { checkMapping, reasonKind, CheckReport } from './check.ts';
export { peekRows, tabularFormat, detectEncoding, type Peek } from './peek.ts';
export { inferMapping, Inference, ColumnGuess } from './infer.ts';
export {
  listTemplates,
  loadTemplate,
  loadMapping,
  isTemplateId,
  TEMPLATES_DIR,
  TemplateInfo,
} from './templates.ts';
