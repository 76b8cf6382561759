// Loaded before anything that builds zod schemas: src/api/schemas.ts calls .openapi() on schemas
// made in src/domain, which in zod 4 only works when extendZodWithOpenApi ran before they were
// created (the extension patches the prototype; instances copy methods at construction).
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);
