// A client of the management API made only from api/openapi.yaml: the
// types come from openapi-typescript (gen/api.d.ts, made by the test), the
// calls from openapi-fetch, and tsc refuses to compile when a route, a
// parameter or a field used here is not in the spec. Run by
// tests/openapi.sh against a live sdnsd; prints one JSON line of results.
import createClient from "openapi-fetch";
import { readFileSync } from "node:fs";
import { Agent, fetch as undiciFetch } from "undici";
import type { paths } from "./gen/api.js";

const pki = process.env.PKI ?? "";
const zone = process.env.ZONE ?? "openapi.mesh";
// Mutual TLS: the admin's certificate, the mesh CA as the only trust.
const agent = new Agent({
  connect: {
    ca: readFileSync(`${pki}/ca.pem`),
    cert: readFileSync(`${pki}/admin.pem`),
    key: readFileSync(`${pki}/admin.key`),
  },
});
const viaAgent = async (req: Request): Promise<Response> => {
  const res = await undiciFetch(req.url, {
    method: req.method,
    headers: [...req.headers.entries()],
    body: req.body ? await req.text() : undefined,
    dispatcher: agent,
  });
  return res as unknown as Response;
};
const api = createClient<paths>({ baseUrl: process.env.API_URL, fetch: viaAgent });

const out: Record<string, unknown> = {};
const made = await api.POST("/zones/{zone}", { params: { path: { zone } } });
out.create_status = made.response.status;
const rec = await api.POST("/zones/{zone}/records", {
  params: { path: { zone } },
  body: { name: `gen.${zone}`, type: "A", value: "192.0.2.44", ttl: 120 },
});
out.record_status = rec.response.status;
out.record_id = rec.data?.id ?? null;
const bad = await api.POST("/zones/{zone}/records", {
  params: { path: { zone } },
  body: { name: `bad.${zone}`, type: "A", value: "not-an-address", ttl: 60 },
});
out.bad_status = bad.response.status;
out.bad_code = bad.error?.error.code ?? null;
const list = await api.GET("/zones/{zone}/records", { params: { path: { zone } } });
out.listed = (list.data?.records ?? [])
  .filter((r) => r.name === `gen.${zone}`)
  .map((r) => `${r.name} ${r.ttl} ${r.type} ${r.value}`);
const zones = await api.GET("/zones");
out.zone_records = zones.data?.zones.find((z) => z.name === zone)?.records ?? null;
console.log(JSON.stringify(out));
await agent.close();
