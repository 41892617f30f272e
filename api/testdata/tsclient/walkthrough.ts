// The README's walkthrough through a client generated from the served OpenAPI document
// (openapi-typescript types, openapi-fetch calls). api/client_test.go generates schema.d.ts,
// compiles this file with tsc --strict and runs it against a real Herald; a type error means
// the document does not describe what a client sends or reads, and a refused request means
// the document promised something the server does not take.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Delivery = components["schemas"]["Delivery"];

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

const herald = createClient<paths>({
  baseUrl: env("HERALD_URL"),
  headers: { Authorization: `Bearer ${env("HERALD_KEY")}` },
});
const receiver = env("RECEIVER_URL");
const eventID = env("EVENT_ID");

// must answers the data of a successful call and stops the walkthrough on any other answer.
function must<T>(step: string, r: { data?: T; error?: unknown; response: Response }): T {
  if (r.error !== undefined || r.data === undefined) {
    throw new Error(`${step}: ${r.response.status} ${JSON.stringify(r.error)}`);
  }
  return r.data;
}

const log: Record<string, unknown> = {};

const eventType = must("put event type", await herald.PUT("/api/v1/event-types/{name}", {
  params: { path: { name: "summary.completed" } },
  body: {
    description: "A recording's summary is ready.",
    group: "Processing",
    schema: {
      type: "object",
      required: ["recording"],
      properties: { recording: { type: "object", required: ["id"], properties: { id: { type: "string" } } } },
    },
    example: { recording: { id: "rec_example", title: "Weekly sync" } },
  },
}));
log.event_type = eventType.name;

const user = must("put user", await herald.PUT("/api/v1/users/{id}", {
  params: { path: { id: "u_ada" } },
  body: { email: "ada@example.com", name: "Ada" },
}));
const org = must("put organization", await herald.PUT("/api/v1/organizations/{id}", {
  params: { path: { id: "org_acme" } },
  body: { name: "Acme" },
}));
const member = must("put member", await herald.PUT("/api/v1/organizations/{id}/members/{userId}", {
  params: { path: { id: org.id, userId: user.id } },
  body: { role: "admin" },
}));
log.member = `${member.user_id}@${member.organization_id}:${member.role}`;

const webhook = must("create webhook", await herald.POST("/api/v1/organization/{id}/webhooks", {
  params: { path: { id: org.id } },
  body: { name: "Local receiver", url: `${receiver}/hooks`, events: ["summary.completed"], active: true },
}));
if (!webhook.secret) throw new Error("the create answer has no secret");
log.webhook = webhook.id;
log.secret = webhook.secret;

const accepted = must("publish", await herald.POST("/api/v1/events", {
  body: {
    id: eventID,
    event: "summary.completed",
    user_id: user.id,
    data: { recording: { id: "rec_1", title: "Standup", speakers: ["Ada", 2, null, { nested: true }] } },
  },
}));
log.duplicate = accepted.duplicate;

// The delivery: poll the event until its delivery is final.
let delivery: Delivery | undefined;
for (let i = 0; i < 600 && !delivery; i++) {
  const ev = must("get event", await herald.GET("/api/v1/events/{id}", { params: { path: { id: accepted.id } } }));
  delivery = ev.deliveries.find((d) => d.status !== "pending");
  if (!delivery) await new Promise((r) => setTimeout(r, 100));
}
if (!delivery) throw new Error("the delivery did not finish");
const full = must("get delivery", await herald.GET("/api/v1/deliveries/{id}", {
  params: { path: { id: delivery.id } },
}));
const attempts = full.attempt_log ?? [];
log.delivery_status = full.status;
log.attempts = attempts.map((a) => `${a.number}:${a.trigger}:${a.status_code ?? a.error_kind ?? ""}`);

const listed = must("list webhooks", await herald.GET("/api/v1/organization/{id}/webhooks", {
  params: { path: { id: org.id }, query: { limit: 10 } },
}));
const first = listed.data[0];
if (!first) throw new Error("the organization lists no webhook");

const test = must("test send", await herald.POST("/api/v1/webhooks/{id}/test", { params: { path: { id: first.id } } }));
log.test = { succeeded: test.succeeded, status_code: test.status_code, event: test.event };

const stats = must("stats", await herald.GET("/api/v1/webhooks/{id}/stats", {
  params: { path: { id: first.id }, query: { window: "1h" } },
}));
log.stats = { succeeded: stats.deliveries.succeeded, success_rate: stats.success_rate, status: stats.status };

const patched = must("patch webhook", await herald.PATCH("/api/v1/organization/{id}/webhooks/{webhookId}", {
  params: { path: { id: org.id, webhookId: first.id } },
  body: { description: "patched by the generated client", headers: { "X-Team": "core" }, retry: { max_attempts: 5 } },
}));
log.patched_retry = patched.retry.max_attempts;

console.log(JSON.stringify(log));
