// The integration of integration.py in TypeScript, on the types openapi-typescript made of the
// served description (./api.ts, beside this file when tests/apidocs/test_generated_clients.py
// runs `tsc --noEmit` on it) and openapi-fetch. It must type-check, and the two lines marked
// as expected errors must not: the types are the description's, not `any`.
import createClient from "openapi-fetch";
import type { operations, paths } from "./api";

// Each call by its operationId, as a generated client names it: a renamed call fails here.
type NewSession = operations["create_session"]["requestBody"]["content"]["application/json"];
type Invitation = operations["invite"]["requestBody"]["content"]["application/json"];
type Invited = operations["list_invitees"]["responses"][200]["content"]["application/json"];
type Listing = NonNullable<operations["list_sessions"]["parameters"]["query"]>;
type OneSession = operations["get_session_by_path"]["parameters"]["path"];
type Change = operations["update_session"]["requestBody"]["content"]["application/json"];
type Deleted = operations["delete_session_by_path"]["responses"][200]["content"]["application/json"];

export async function integrate(baseUrl: string, login: string, password: string) {
  // Answers in JSON (the Accept header), so their types are the JSON documents.
  const api = createClient<paths, "application/json">({
    baseUrl: `${baseUrl}/api/2/${login}`,
    headers: { Authorization: `Basic ${btoa(`${login}:${password}`)}`, Accept: "application/json" },
  });
  const planning: NewSession = {
    topic: "Planning",
    start_time: "2030-09-10 16:00:00",
    duration: 45,
    auto_record: false,
  };
  const created = await api.PUT("/session", {
    body: planning,
    params: { header: { "Idempotency-Key": "typescript-first" } },
  });
  const id = created.data?.id;
  if (id === undefined) throw new Error(created.error?.error ?? "no id");

  for (const email of ["ana@example.com", "bea@example.com"]) {
    const invitation: Invitation = { session_id: id, email, role: 2, send_email_invitation: true };
    await api.PUT("/invitee", { body: invitation });
  }
  const invitees = await api.GET("/invitees", { params: { query: { id } } });
  const invited: Invited | undefined = invitees.data;
  const participants: (string | undefined)[] = (invited?.participants ?? []).map(
    (person) => person.email,
  );

  const listing: Listing = { count: 1, order: "desc", format: "json" };
  const page = await api.GET("/sessions", { params: { query: listing } });
  const total = Number(page.response.headers.get("X-Total-Count"));
  const listed: (number | undefined)[] = (page.data?.sessions ?? []).map((s) => s.id);

  const path: OneSession = { id };
  const one = await api.GET("/session/id/{id}", { params: { path, query: { format: "json" } } });
  const topic: string | undefined = one.data?.sessions[0]?.topic;

  const change: Change = { id, topic: "Planning, moved", auto_record: true };
  await api.POST("/session", { body: change });
  const deleted = await api.DELETE("/session/id/{id}", { params: { path } });
  const gone: Deleted | undefined = deleted.data;

  // @ts-expect-error the duration is a number of minutes
  const wrong: NewSession = { topic: "Wrong", start_time: "2030-09-10 16:00:00", duration: "45" };
  // @ts-expect-error no such path
  await api.GET("/meetings");

  return { participants, total, listed, topic, deleted: gone?.message, wrong };
}
