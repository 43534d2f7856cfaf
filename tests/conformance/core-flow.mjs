// The core email-and-password flow of issue 2, driven by the OFFICIAL Better Auth client
// (createAuthClient from "better-auth/client", pinned in package.json) against a running server.
//
//   BASE_URL=http://127.0.0.1:3000 node core-flow.mjs
//
// Prints "PASS <step>" or "FAIL <step>: <reason>" per step, "N passed, N failed", then one
// line "RESULT <json>" ({"passed": [...], "failed": {step: reason}}) for the pytest driver.
// Exit code 0 only when every step passed. Works unchanged against the reference Better Auth
// server, which is how the expectations themselves were checked.
import { createAuthClient } from "better-auth/client";

const BASE_URL = (process.env.BASE_URL || "http://127.0.0.1:3000").replace(/\/+$/, "");
const ORIGIN = new URL(BASE_URL).origin;
const SESSION_COOKIE = "better-auth.session_token";

// Node's fetch keeps no cookies: each simulated browser gets a jar, and the client gets a
// fetch wrapper (customFetchImpl) that sends the jar, stores Set-Cookie (Max-Age=0 deletes)
// and adds Origin on non-GET requests as a browser would (a cookie-bearing POST without one
// is refused with 403 MISSING_OR_NULL_ORIGIN). Same approach as the reference scenario.
class CookieJar {
  constructor() { this.cookies = new Map(); }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "); }
  store(response) {
    for (const line of response.headers.getSetCookie?.() ?? []) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let expired = value === "";
      for (const a of attrs) {
        const [k, v] = a.trim().split("=");
        if (k.toLowerCase() === "max-age" && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === "expires" && new Date(v).getTime() < Date.now()) expired = true;
      }
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

function makeFetch(jar) {
  return async function cookieFetch(input, init = {}) {
    const url = typeof input === "string" ? input : input.url ?? String(input);
    const method = (init.method || "GET").toUpperCase();
    const headers = new Headers(init.headers || {});
    const cookie = jar.header();
    if (cookie) headers.set("cookie", cookie);
    if (method !== "GET" && method !== "HEAD" && !headers.has("origin")) headers.set("origin", ORIGIN);
    const res = await fetch(url, { method, headers, body: init.body, redirect: init.redirect ?? "manual", signal: init.signal });
    jar.store(res);
    return res;
  };
}

// The client is a Proxy turning any property access into an endpoint call, so the jar lives
// in a WeakMap rather than on the client object.
const jars = new WeakMap();
function browser() {
  const jar = new CookieJar();
  const client = createAuthClient({ baseURL: BASE_URL, fetchOptions: { customFetchImpl: makeFetch(jar) } });
  jars.set(client, jar);
  return client;
}
const jarOf = (client) => jars.get(client);

const passed = [];
const failed = {};
async function step(name, fn) {
  try {
    await fn();
    passed.push(name);
    console.log(`PASS ${name}`);
  } catch (e) {
    failed[name] = String(e?.message ?? e);
    console.log(`FAIL ${name}: ${failed[name]}`);
  }
}
function check(cond, msg) { if (!cond) throw new Error(msg); }
const j = (x) => JSON.stringify(x);
function ok(res, what) {
  check(res && !res.error, `${what}: expected success, got error ${j(res?.error)}`);
  return res.data;
}
function err(res, status, code, what) {
  check(res && res.error, `${what}: expected error ${status} ${code}, got success ${j(res?.data)}`);
  check(res.error.status === status && res.error.code === code,
    `${what}: expected ${status} ${code}, got ${res.error.status} ${res.error.code} (${res.error.message})`);
}

const RUN = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const alice = { email: `alice-${RUN}@example.com`, password: "alice-pass-1", name: "Alice" };
const A = browser();
const anon = browser();

await step("sign up", async () => {
  const d = ok(await A.signUp.email(alice), "signUp.email");
  check(d.user?.email === alice.email, `user.email ${d.user?.email}`);
  check(d.user?.name === alice.name, `user.name ${d.user?.name}`);
  check(d.user?.emailVerified === false, `emailVerified ${d.user?.emailVerified}`);
  check(typeof d.token === "string" && d.token.length === 32, `token ${j(d.token)} (autoSignIn)`);
  const cookie = jarOf(A).cookies.get(SESSION_COOKIE);
  check(cookie, `no ${SESSION_COOKIE} cookie; jar=${jarOf(A).header()}`);
  // The cookie is "<token>.<signature>", percent-encoded.
  check(decodeURIComponent(cookie).startsWith(`${d.token}.`), `cookie ${cookie} does not carry token ${d.token}`);
  alice.id = d.user.id;
});

await step("get session", async () => {
  const d = ok(await A.getSession(), "getSession");
  check(d?.user?.email === alice.email, `session user ${j(d?.user)}`);
  check(d.session?.userId === alice.id, `session.userId ${d.session?.userId}`);
  check(typeof d.session?.token === "string", "session.token missing");
  check(typeof d.session?.expiresAt === "string" || d.session?.expiresAt instanceof Date,
    `session.expiresAt ${j(d.session?.expiresAt)}`);
});

await step("sign out", async () => {
  const d = ok(await A.signOut(), "signOut");
  check(d?.success === true, `signOut data ${j(d)}`);
  check(!jarOf(A).cookies.has(SESSION_COOKIE), "session cookie not cleared");
  const s = ok(await A.getSession(), "getSession after sign-out");
  check(s === null, `expected null session after sign-out, got ${j(s)}`);
});

await step("sign in", async () => {
  const d = ok(await A.signIn.email({ email: alice.email, password: alice.password }), "signIn.email");
  check(d.user?.id === alice.id, `signed-in user id ${d.user?.id}`);
  check(d.redirect === false, `redirect ${d.redirect}`);
  check(typeof d.token === "string", "token missing");
  const s = ok(await A.getSession(), "getSession");
  check(s?.user?.id === alice.id, `session after sign-in ${j(s)}`);
});

await step("wrong password (401 INVALID_EMAIL_OR_PASSWORD)", async () => {
  err(await anon.signIn.email({ email: alice.email, password: "not-the-password" }), 401, "INVALID_EMAIL_OR_PASSWORD", "signIn wrong password");
});

await step("unknown email (401 INVALID_EMAIL_OR_PASSWORD)", async () => {
  err(await anon.signIn.email({ email: `nobody-${RUN}@example.com`, password: "whatever-123" }), 401, "INVALID_EMAIL_OR_PASSWORD", "signIn unknown email");
});

await step("duplicate sign-up (422 USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL)", async () => {
  err(await anon.signUp.email(alice), 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "duplicate signUp");
});

await step("short password (400 PASSWORD_TOO_SHORT)", async () => {
  err(await anon.signUp.email({ email: `short-${RUN}@example.com`, password: "short", name: "S" }), 400, "PASSWORD_TOO_SHORT", "signUp short password");
});

const nFailed = Object.keys(failed).length;
console.log(`${passed.length} passed, ${nFailed} failed`);
console.log(`RESULT ${j({ passed, failed })}`);
process.exit(nFailed === 0 ? 0 : 1);
