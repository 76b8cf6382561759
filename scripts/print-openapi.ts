// Prints the API's OpenAPI document (the route table's) without starting a server; used to
// regenerate the Python client's models: npm run python:models.
import { buildOpenApiDocument } from '../src/api/openapi';

process.stdout.write(JSON.stringify(buildOpenApiDocument()) + '\n');
