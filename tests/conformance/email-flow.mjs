// Email flows (issue 4) driven by the OFFICIAL Better Auth client against a running server:
// requestPasswordReset, resetPassword, sendVerificationEmail, verifyEmail, changeEmail. Links
// and tokens are read from the server's JSON-lines outbox, as the reference scenario does.
//
//   BASE_URL=http://127.0.0.1:3000 OUTBOX=./outbox.jsonl CHANGE_EMAIL=on REVOKE_ON_RESET=on \
//     node email-flow.mjs
//
// CHANGE_EMAIL says whether the server has change of address on (off by default in Better Auth
// and authkit; with it, a verified user confirms from the old address first, the outbox type
// being "change-email-confirmation"). REVOKE_ON_RESET says whether a password reset ends the
// user's sessions (authkit's default; Better Auth's is off). Output as in core-flow.mjs. The
// expectations were checked against the reference Better Auth 1.7.25 server (CHANGE_EMAIL=off,
// REVOKE_ON_RESET=off and on there).
import fs from "node:fs";
import { BASE_URL, RUN, browser, check, err, finish, j, ok, step } from "./harness.mjs";

const OUTBOX = process.env.OUTBOX || "./outbox.jsonl";
const CHANGE_EMAIL = (process.env.CHANGE_EMAIL || "off") === "on";
const REVOKE_ON_RESET = (process.env.REVOKE_ON_RESET || "off") === "on";

function outbox() {
  if (!fs.existsSync(OUTBOX)) return [];
  return fs.readFileSync(OUTBOX, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}
function mailSince(before, type, email) {
  const found = outbox().slice(before).filter((m) => m.type === type && m.email === email);
  check(found.length > 0, `no ${type} mail to ${email} in ${OUTBOX}`);
  return found[found.length - 1];
}

const alice = { email: `alice-${RUN}@example.com`, password: "alice-pass-1", name: "Alice" };
const NEW_PASSWORD = "alice-pass-2";
const NEW_EMAIL = `alice-new-${RUN}@example.com`;
const A = browser();
const anon = browser();
const RESET_MESSAGE = "If this email exists in our system, check your email for the reset link";

await step("sign up", async () => {
  const d = ok(await A.signUp.email(alice), "signUp.email");
  alice.id = d.user.id;
});

let resetToken;
await step("requestPasswordReset mails a link", async () => {
  const before = outbox().length;
  const d = ok(await anon.requestPasswordReset({ email: alice.email, redirectTo: "/reset-page" }), "requestPasswordReset");
  check(d?.status === true && d?.message === RESET_MESSAGE, `data ${j(d)}`);
  const m = mailSince(before, "reset-password", alice.email);
  check(/^[A-Za-z0-9]{24}$/.test(m.token), `token ${m.token}`);
  check(m.url === `${BASE_URL}/api/auth/reset-password/${m.token}?callbackURL=%2Freset-page`, `url ${m.url}`);
  resetToken = m.token;
});

await step("requestPasswordReset for an unknown email: same answer, no mail", async () => {
  const before = outbox().length;
  const d = ok(await anon.requestPasswordReset({ email: `ghost-${RUN}@example.com` }), "requestPasswordReset unknown");
  check(d?.status === true && d?.message === RESET_MESSAGE, `data ${j(d)}`);
  check(outbox().length === before, "mail sent for an unknown email");
});

await step("requestPasswordReset with a foreign redirectTo (403 INVALID_REDIRECT_URL)", async () => {
  err(await anon.requestPasswordReset({ email: alice.email, redirectTo: "https://evil.example/x" }),
    403, "INVALID_REDIRECT_URL", "foreign redirectTo");
});

await step("resetPassword with a short password (400 PASSWORD_TOO_SHORT)", async () => {
  err(await anon.resetPassword({ newPassword: "short", token: resetToken }), 400, "PASSWORD_TOO_SHORT", "short");
});

await step("resetPassword, then the token is spent (400 INVALID_TOKEN)", async () => {
  const d = ok(await anon.resetPassword({ newPassword: NEW_PASSWORD, token: resetToken }), "resetPassword");
  check(d?.status === true, `data ${j(d)}`);
  err(await anon.resetPassword({ newPassword: "another-pass-9", token: resetToken }), 400, "INVALID_TOKEN", "reuse");
});

await step("the new password signs in, the old one does not", async () => {
  err(await anon.signIn.email({ email: alice.email, password: alice.password }), 401, "INVALID_EMAIL_OR_PASSWORD", "old password");
  const s = ok(await browser().signIn.email({ email: alice.email, password: NEW_PASSWORD }), "new password");
  check(s?.user?.id === alice.id, "wrong user");
  alice.password = NEW_PASSWORD;
});

await step(REVOKE_ON_RESET ? "the reset ended the old session" : "the reset kept the old session", async () => {
  const s = ok(await A.getSession(), "getSession");
  if (REVOKE_ON_RESET) check(s === null, `still signed in ${j(s)}`);
  else check(s?.user?.id === alice.id, `signed out ${j(s)}`);
  if (s === null) ok(await A.signIn.email({ email: alice.email, password: alice.password }), "signIn");
});

let verifyToken;
await step("sendVerificationEmail mails a link", async () => {
  const before = outbox().length;
  const d = ok(await A.sendVerificationEmail({ email: alice.email, callbackURL: "/verified" }), "sendVerificationEmail");
  check(d?.status === true, `data ${j(d)}`);
  const m = mailSince(before, "verify-email", alice.email);
  check(m.url === `${BASE_URL}/api/auth/verify-email?token=${m.token}&callbackURL=%2Fverified`, `url ${m.url}`);
  verifyToken = m.token;
});

await step("sendVerificationEmail for another address (400 EMAIL_MISMATCH)", async () => {
  err(await A.sendVerificationEmail({ email: `bob-${RUN}@example.com` }), 400, "EMAIL_MISMATCH", "mismatch");
});

await step("verifyEmail with a bad token (401 INVALID_TOKEN)", async () => {
  err(await anon.verifyEmail({ query: { token: "not-a-jwt" } }), 401, "INVALID_TOKEN", "bad token");
});

await step("verifyEmail marks the address verified", async () => {
  const d = ok(await anon.verifyEmail({ query: { token: verifyToken } }), "verifyEmail");
  check(d?.status === true && d?.user === null, `data ${j(d)}`);
  const s = ok(await A.getSession({ query: { disableCookieCache: true } }), "getSession");
  check(s?.user?.emailVerified === true, `emailVerified ${s?.user?.emailVerified}`);
});

await step("sendVerificationEmail once verified (400 EMAIL_ALREADY_VERIFIED)", async () => {
  err(await A.sendVerificationEmail({ email: alice.email }), 400, "EMAIL_ALREADY_VERIFIED", "verified");
});

if (CHANGE_EMAIL) {
  await step("changeEmail: confirm from the old address, verify the new one", async () => {
    let before = outbox().length;
    const d = ok(await A.changeEmail({ newEmail: NEW_EMAIL }), "changeEmail");
    check(d?.status === true, `data ${j(d)}`);
    const confirm = mailSince(before, "change-email-confirmation", alice.email);
    before = outbox().length;
    ok(await A.verifyEmail({ query: { token: confirm.token } }), "verifyEmail confirmation");
    const verify = mailSince(before, "verify-email", NEW_EMAIL);
    const v = ok(await A.verifyEmail({ query: { token: verify.token } }), "verifyEmail new address");
    check(v?.user?.email === NEW_EMAIL, `user ${j(v?.user)}`);
    const s = ok(await A.getSession({ query: { disableCookieCache: true } }), "getSession");
    check(s?.user?.email === NEW_EMAIL, `session email ${s?.user?.email}`);
  });
  await step("changeEmail to the same address (400 Email is the same)", async () => {
    const res = await A.changeEmail({ newEmail: NEW_EMAIL });
    check(res?.error?.status === 400 && res.error.message === "Email is the same", `got ${j(res?.error ?? res?.data)}`);
  });
} else {
  await step("changeEmail when disabled (400 CHANGE_EMAIL_DISABLED)", async () => {
    err(await A.changeEmail({ newEmail: NEW_EMAIL }), 400, "CHANGE_EMAIL_DISABLED", "disabled");
  });
}

await step("changeEmail without a session (401 UNAUTHORIZED)", async () => {
  err(await anon.changeEmail({ newEmail: NEW_EMAIL }), 401, "UNAUTHORIZED", "anonymous changeEmail");
});

finish();
