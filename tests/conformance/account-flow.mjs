// Account and session management (issue 4) driven by the OFFICIAL Better Auth client against a
// running server: listSessions, revokeSession, revokeOtherSessions, revokeSessions, updateUser,
// changePassword, deleteUser.
//
//   BASE_URL=http://127.0.0.1:3000 DELETE_USER=on node account-flow.mjs
//
// DELETE_USER says whether the server has user deletion turned on (off by default in Better
// Auth and authkit alike); the deleteUser steps expect 404 otherwise. Output format as in
// core-flow.mjs: "PASS/FAIL <step>", a summary, then "RESULT <json>" for the pytest driver.
// The expectations were checked by running this script against the reference Better Auth
// 1.7.25 server (DELETE_USER=off there, since it does not enable deletion).
import { RUN, SESSION_COOKIE, browser, check, err, finish, j, jarOf, ok, step } from "./harness.mjs";

const DELETE_USER = (process.env.DELETE_USER || "off") === "on";

const alice = { email: `alice-${RUN}@example.com`, password: "alice-pass-1", name: "Alice" };
const NEW_PASSWORD = "alice-pass-2";
const A = browser();
const anon = browser();

async function signIn(client, password = alice.password) {
  return ok(await client.signIn.email({ email: alice.email, password }), "signIn.email");
}

await step("sign up", async () => {
  const d = ok(await A.signUp.email(alice), "signUp.email");
  alice.id = d.user.id;
  alice.token = d.token;
});

await step("listSessions shows both devices", async () => {
  const B = browser();
  const b = await signIn(B);
  const list = ok(await A.listSessions(), "listSessions");
  check(Array.isArray(list) && list.length === 2, `listSessions ${j(list)}`);
  const tokens = list.map((s) => s.token).sort();
  check(j(tokens) === j([alice.token, b.token].sort()), `tokens ${j(tokens)}`);
  check(list.every((s) => s.userId === alice.id), "sessions of another user listed");
});

await step("listSessions without a session (401 UNAUTHORIZED)", async () => {
  err(await anon.listSessions(), 401, "UNAUTHORIZED", "anonymous listSessions");
});

await step("revokeSession ends another device", async () => {
  const B = browser();
  const b = await signIn(B);
  const d = ok(await A.revokeSession({ token: b.token }), "revokeSession");
  check(d?.status === true, `revokeSession data ${j(d)}`);
  check(ok(await B.getSession(), "B getSession") === null, "revoked device still signed in");
  check(ok(await A.getSession(), "A getSession")?.user?.id === alice.id, "caller lost its session");
});

await step("revokeSession of an unknown token still {status:true}", async () => {
  const d = ok(await A.revokeSession({ token: "not-a-real-token" }), "revokeSession");
  check(d?.status === true, `revokeSession data ${j(d)}`);
});

await step("revokeOtherSessions keeps the current one", async () => {
  const B = browser();
  await signIn(B);
  const d = ok(await A.revokeOtherSessions(), "revokeOtherSessions");
  check(d?.status === true, `revokeOtherSessions data ${j(d)}`);
  check(ok(await B.getSession(), "B getSession") === null, "other device still signed in");
  const list = ok(await A.listSessions(), "listSessions");
  check(list.length === 1 && list[0].token === alice.token, `after revokeOtherSessions ${j(list)}`);
});

await step("updateUser changes the name", async () => {
  const d = ok(await A.updateUser({ name: "Alicia" }), "updateUser");
  check(d?.status === true, `updateUser data ${j(d)}`);
  const s = ok(await A.getSession(), "getSession");
  check(s?.user?.name === "Alicia", `name after update ${j(s?.user)}`);
});

await step("updateUser with an email (400 EMAIL_CAN_NOT_BE_UPDATED)", async () => {
  err(await A.updateUser({ email: `other-${RUN}@example.com` }), 400, "EMAIL_CAN_NOT_BE_UPDATED", "updateUser email");
});

await step("changePassword with a wrong current password (400 INVALID_PASSWORD)", async () => {
  err(await A.changePassword({ currentPassword: "not-the-password", newPassword: NEW_PASSWORD }),
    400, "INVALID_PASSWORD", "changePassword wrong current");
});

await step("changePassword revoking other sessions", async () => {
  const stale = browser(jarOf(A).cookies);  // a copy of the current cookie
  const d = ok(await A.changePassword({ currentPassword: alice.password, newPassword: NEW_PASSWORD, revokeOtherSessions: true }), "changePassword");
  check(typeof d?.token === "string" && d.token !== alice.token, `new token ${j(d?.token)}`);
  check(d?.user?.id === alice.id, `changePassword user ${j(d?.user)}`);
  check(ok(await stale.getSession(), "old cookie getSession") === null, "old session survived");
  check(ok(await A.getSession(), "getSession")?.session?.token === d.token, "new cookie not set");
  err(await anon.signIn.email({ email: alice.email, password: alice.password }), 401, "INVALID_EMAIL_OR_PASSWORD", "old password");
  alice.password = NEW_PASSWORD;
});

await step("revokeSessions signs every device out", async () => {
  const B = browser();
  await signIn(B);
  const d = ok(await A.revokeSessions(), "revokeSessions");
  check(d?.status === true, `revokeSessions data ${j(d)}`);
  check(!jarOf(A).cookies.has(SESSION_COOKIE), "caller's cookie not cleared");
  check(ok(await A.getSession(), "A getSession") === null, "caller still signed in");
  check(ok(await B.getSession(), "B getSession") === null, "other device still signed in");
  await signIn(A);
});

if (DELETE_USER) {
  await step("deleteUser with a wrong password (400 INVALID_PASSWORD)", async () => {
    err(await A.deleteUser({ password: "not-the-password" }), 400, "INVALID_PASSWORD", "deleteUser wrong password");
  });
  await step("deleteUser with the password", async () => {
    const d = ok(await A.deleteUser({ password: alice.password }), "deleteUser");
    check(d?.success === true && d?.message === "User deleted", `deleteUser data ${j(d)}`);
    check(!jarOf(A).cookies.has(SESSION_COOKIE), "cookie not cleared");
    err(await anon.signIn.email({ email: alice.email, password: alice.password }), 401, "INVALID_EMAIL_OR_PASSWORD", "sign-in after deletion");
  });
} else {
  await step("deleteUser when disabled (404)", async () => {
    const res = await A.deleteUser({ password: alice.password });
    check(res?.error?.status === 404, `expected 404, got ${j(res?.error ?? res?.data)}`);
    check(ok(await A.getSession(), "getSession")?.user?.id === alice.id, "user gone although disabled");
  });
}

await step("deleteUser without a session (401 UNAUTHORIZED)", async () => {
  err(await anon.deleteUser({ password: "whatever-123" }), 401, "UNAUTHORIZED", "anonymous deleteUser");
});

finish();
