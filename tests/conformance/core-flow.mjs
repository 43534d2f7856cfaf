// The core email-and-password flow of issue 2, driven by the OFFICIAL Better Auth client
// (createAuthClient from "better-auth/client", pinned in package.json) against a running server.
//
//   BASE_URL=http://127.0.0.1:3000 node core-flow.mjs
//
// Prints "PASS <step>" or "FAIL <step>: <reason>" per step, "N passed, N failed", then one
// line "RESULT <json>" ({"passed": [...], "failed": {step: reason}}) for the pytest driver.
// Exit code 0 only when every step passed. The simulated browsers, the step runner and that
// output come from harness.mjs, shared with account-flow.mjs and email-flow.mjs. Works
// unchanged against the reference Better Auth server, which is how the expectations
// themselves were checked.
import { RUN, SESSION_COOKIE, browser, check, err, finish, j, jarOf, ok, step } from "./harness.mjs";

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

finish();
