// The account page of anyone logged in: who they are, changing their own password
// (POST /api/me/password: the current one, then the new one twice), logging out.
//
// The server keeps this session (it reissues its cookie) and ends every other one of
// the account, so the page stays where it is after a change.

import { api, ApiError, clearProblems, showProblems } from "./api.js";
import { startSession } from "./session.js";

const form = document.getElementById("password-form");
const done = document.getElementById("password-done");
const button = document.getElementById("password-submit");

function refuse(field, reason) {
  return new ApiError(422, { error: { message: reason, problems: [{ field, reason }] } });
}

/** What the person typed, or the problem the server would answer without asking it. */
function checked() {
  const current = form.current_password.value;
  const fresh = form.new_password.value;
  const again = form.new_password_again.value;
  if (!current) return { problem: refuse("current_password", "enter your current password") };
  if (!fresh) return { problem: refuse("new_password", "enter the new password") };
  // The server's first rule (the rest, common or guessable ones, only it can check).
  if ([...fresh.normalize("NFKC")].length < 12) {
    return { problem: refuse("new_password", "at least 12 characters") };
  }
  if (!again) return { problem: refuse("new_password_again", "enter the new password again") };
  if (fresh !== again) {
    return { problem: refuse("new_password_again", "does not match the new password") };
  }
  return { body: { current_password: current, new_password: fresh } };
}

async function main() {
  const session = await startSession();
  const { me } = session;
  document.getElementById("me-username").textContent = me.username;
  document.getElementById("me-role").textContent = me.role;
  document.getElementById("me-member").textContent = me.member || "none";
  const home = document.getElementById("home-link");
  const homes = { officer: ["/mdt", "Back to the MDT"], hospital: ["/hospital", "Back to the hospital page"] };
  [home.href, home.textContent] = homes[me.role] || ["/console", "Back to the console"];
  document.getElementById("admin-link").hidden = me.role !== "admin";
  document.getElementById("logout").addEventListener("click", () => session.logout());

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(form);
    done.hidden = true;
    const { body, problem } = checked();
    if (problem) {
      showProblems(form, problem).focus();
      return;
    }
    button.disabled = true;
    button.textContent = "Changing…";
    try {
      const answer = await api("/api/me/password", { method: "POST", body });
      form.reset();
      const others = answer.sessions_ended;
      done.textContent = `Your password was changed. ${
        others === 1 ? "1 other session was" : `${others} other sessions were`
      } ended; you are still logged in here.`;
      done.hidden = false;
      done.focus();
    } catch (failure) {
      if (failure instanceof ApiError && [403, 422].includes(failure.status)) {
        // A wrong current password must be typed again; a refused new one too.
        for (const problem of failure.problems) {
          const names = problem.field === "new_password"
            ? ["new_password", "new_password_again"]
            : [problem.field];
          for (const name of names) {
            const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
            if (control) control.value = "";
          }
        }
      }
      showProblems(form, failure).focus();
    } finally {
      button.disabled = false;
      button.textContent = "Change password";
    }
  });
}

main();
