// Types for the generated validator (scripts/generate-validator.ts).
import type { ErrorObject } from "ajv";

export interface GeneratedValidate {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}
export const validate: GeneratedValidate;
export default validate;
