import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';

/**
 * Checks an answer of /v1 against its OpenAPI document: the path and method must be the
 * document's, the status one the operation lists (a method the path has no operation for may only
 * be its 405), each header the response requires present and valid, and the body valid by the
 * response's schema (none for HEAD). A mismatch throws, naming the request: a status the document
 * does not list for that route fails the test as a bad body does.
 */

type Json = Record<string, unknown>;

interface Response {
  description: string;
  headers?: Record<string, { required?: boolean; schema: Json }>;
  content?: { 'application/json': { schema: Json } };
}
interface Document {
  paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
  components?: Json;
}

/** An answer as a test got it: headers by lower-case name, the body parsed (undefined if none). */
export interface CheckedAnswer {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const pathPattern = (template: string) =>
  new RegExp(
    `^${template
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
      .join('[^?#]+')}$`,
  );

export function openApiChecker(document: unknown): (answer: CheckedAnswer) => void {
  const doc = document as Document;
  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema({ components: doc.components ?? {} }, 'doc');
  const compiled = new Map<string, ValidateFunction>();
  const validator = (key: string, schema: Json): ValidateFunction => {
    let found = compiled.get(key);
    if (found === undefined) {
      // The document's `#/components/...` references, read from the document.
      const resolved = JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"doc#/'));
      found = ajv.compile(resolved as Json);
      compiled.set(key, found);
    }
    return found;
  };
  // Literal paths before templated ones, so that /v1/jobs is never read as /v1/jobs/{s3_root}.
  const templates = Object.keys(doc.paths).sort(
    (a, b) => Number(a.includes('{')) - Number(b.includes('{')),
  );
  return ({ method, url, status, headers, body }) => {
    const where = `${method} ${url} → ${status}`;
    const pathname = new URL(url, 'http://x').pathname;
    const template = templates.find((t) => pathPattern(t).test(pathname));
    if (template === undefined) throw new Error(`${where}: no path of the document is ${pathname}`);
    const item = doc.paths[template] ?? {};
    const operation = item[method.toLowerCase()];
    if (operation === undefined && status !== 405)
      throw new Error(`${where}: the document has no ${method} ${template}, so only its 405 fits`);
    const responses = (operation ?? item.get)?.responses ?? {};
    const response = responses[String(status)];
    if (response === undefined)
      throw new Error(
        `${where}: the document lists ${Object.keys(responses).join(', ')} for ${method} ${template}, not ${status}`,
      );
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required === true) throw new Error(`${where}: header ${name} is missing`);
        continue;
      }
      const validate = validator(`${template} ${status} ${name}`, header.schema);
      if (!validate(value))
        throw new Error(`${where}: header ${name}: ${value}: ${ajv.errorsText(validate.errors)}`);
    }
    if (method === 'HEAD') {
      if (body !== undefined) throw new Error(`${where}: a HEAD answer with a body`);
      return;
    }
    const schema = response.content?.['application/json'].schema;
    if (schema === undefined) {
      if (body !== undefined) throw new Error(`${where}: a body the document does not describe`);
      return;
    }
    const validate = validator(`${template} ${status}`, schema);
    if (!validate(body))
      throw new Error(
        `${where}: the body is not the document's: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 500)}`,
      );
  };
}

/**
 * A fetch whose every answer is checked against the document (its body read from a copy): for a
 * test's own calls and for the client it builds.
 */
export function checkedFetch(
  check: (answer: CheckedAnswer) => void,
  send: typeof fetch = fetch,
): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const answer = await send(request);
    const text = await answer.clone().text();
    check({
      method: request.method,
      url: request.url,
      status: answer.status,
      headers: Object.fromEntries(answer.headers),
      body: text === '' ? undefined : JSON.parse(text),
    });
    return answer;
  };
}
