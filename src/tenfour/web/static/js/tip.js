// The public tip page: send a tip (anonymous or with a contact), get a tracking code,
// and check what became of a tip. No account, no cookie, nothing about the tipster
// but what they type.

import { api, ApiError, clearProblems, showProblems } from "./api.js";

const form = document.getElementById("tip-form");
const receipt = document.getElementById("tip-receipt");
const contactBox = document.getElementById("contact-box");
const hereStatus = document.getElementById("tip-here-status");
let here = null; // {lat, lon} from the browser, if the tipster shares it

const STATUS_TEXT = {
  received: "Received: your tip is waiting to be read by a call-taker.",
  promoted: "Acted on: your tip was passed to officers as an incident. Thank you.",
  dismissed: "Closed: your tip was read and no action was taken.",
};

for (const choice of form.querySelectorAll('input[name="contact-choice"]')) {
  choice.addEventListener("change", () => {
    contactBox.hidden = form["contact-choice"].value !== "contact";
  });
}

document.getElementById("tip-here").addEventListener("click", () => {
  if (!navigator.geolocation) {
    hereStatus.textContent = "This browser cannot tell your location; type the place instead.";
    return;
  }
  hereStatus.textContent = "Finding your location…";
  navigator.geolocation.getCurrentPosition(
    (position) => {
      here = { lat: position.coords.latitude, lon: position.coords.longitude };
      hereStatus.textContent = `Your location will be sent (${here.lat.toFixed(4)}, ${here.lon.toFixed(4)}).`;
    },
    () => {
      here = null;
      hereStatus.textContent = "Your location could not be found; type the place instead.";
    },
    { enableHighAccuracy: true, timeout: 10000 },
  );
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearProblems(form);
  const text = form.text.value.trim();
  if (!text) {
    showProblems(form, new ApiError(422, {
      error: { problems: [{ field: "text", reason: "tell us what happened" }] },
    })).focus();
    return;
  }
  const body = { text };
  const address = form.address.value.trim();
  if (here) body.location = { ...here, ...(address ? { address } : {}) };
  else if (address) body.location = { address };
  if (form["contact-choice"].value === "contact") {
    const contact = form.contact.value.trim();
    if (!contact) {
      showProblems(form, new ApiError(422, {
        error: { problems: [{ field: "contact", reason: "give a phone number or email, or choose to stay anonymous" }] },
      })).focus();
      return;
    }
    body.contact = contact;
  }
  const button = document.getElementById("tip-submit");
  button.disabled = true;
  try {
    const answer = await api("/api/tips", { method: "POST", body });
    document.getElementById("tip-code").textContent = answer.tracking_code;
    document.getElementById("tip-unplaced").hidden = answer.placed !== false;
    form.hidden = true;
    receipt.hidden = false;
    receipt.focus();
    document.getElementById("status-code").value = answer.tracking_code;
  } catch (failure) {
    showProblems(form, failure).focus();
  } finally {
    button.disabled = false;
  }
});

document.getElementById("tip-another").addEventListener("click", () => {
  form.reset();
  here = null;
  hereStatus.textContent = "";
  contactBox.hidden = true;
  receipt.hidden = true;
  form.hidden = false;
  form.text.focus();
});

const statusForm = document.getElementById("status-form");
const statusAnswer = document.getElementById("status-answer");
statusForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearProblems(statusForm);
  statusAnswer.hidden = true;
  const code = statusForm.code.value.trim().toUpperCase();
  if (code.length < 4) {
    showProblems(statusForm, new ApiError(422, {
      error: { problems: [{ field: "code", reason: "enter the tracking code you were given" }] },
    })).focus();
    return;
  }
  try {
    const answer = await api(`/api/tips/${encodeURIComponent(code)}`);
    statusAnswer.textContent = STATUS_TEXT[answer.status] || answer.status;
    statusAnswer.dataset.status = answer.status;
    statusAnswer.className = "notice ok";
    statusAnswer.hidden = false;
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 404) {
      showProblems(statusForm, new ApiError(404, {
        error: { problems: [{ field: "code", reason: "no tip has that tracking code; check it and try again" }] },
      })).focus();
    } else {
      showProblems(statusForm, failure).focus();
    }
  }
});
