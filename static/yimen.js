// yimen pages: passkey ceremonies, and the countdown of "send the code again". Everything else works
// without JavaScript (a resend pressed too early is answered with the seconds left).
// A button with data-passkey="login|second|register" runs the ceremony: it POSTs the page's CSRF token to
// data-options, hands the options to the browser's WebAuthn API, POSTs the result to data-finish and
// follows the returned redirect. Errors are shown in the element named by data-error.
(function () {
  "use strict";

  function toBase64Url(buffer) {
    var bytes = new Uint8Array(buffer), text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromBase64Url(text) {
    var padded = text.replace(/-/g, "+").replace(/_/g, "/");
    while (padded.length % 4) padded += "=";
    var binary = atob(padded), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function creationOptions(options) {
    var key = options.publicKey;
    key.challenge = fromBase64Url(key.challenge);
    key.user.id = fromBase64Url(key.user.id);
    (key.excludeCredentials || []).forEach(function (c) { c.id = fromBase64Url(c.id); });
    return options;
  }

  function requestOptions(options) {
    var key = options.publicKey;
    key.challenge = fromBase64Url(key.challenge);
    (key.allowCredentials || []).forEach(function (c) { c.id = fromBase64Url(c.id); });
    return options;
  }

  function registrationJson(credential) {
    return {
      id: credential.id,
      rawId: toBase64Url(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toBase64Url(credential.response.attestationObject),
        clientDataJSON: toBase64Url(credential.response.clientDataJSON),
        transports: credential.response.getTransports ? credential.response.getTransports() : []
      },
      extensions: credential.getClientExtensionResults()
    };
  }

  function assertionJson(credential) {
    var r = credential.response;
    return {
      id: credential.id,
      rawId: toBase64Url(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toBase64Url(r.authenticatorData),
        clientDataJSON: toBase64Url(r.clientDataJSON),
        signature: toBase64Url(r.signature),
        userHandle: r.userHandle ? toBase64Url(r.userHandle) : null
      },
      extensions: credential.getClientExtensionResults()
    };
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.message || response.statusText);
        return json;
      });
    });
  }

  function run(button) {
    var kind = button.getAttribute("data-passkey");
    var errorBox = document.getElementById(button.getAttribute("data-error"));
    var csrf = document.querySelector("input[name=csrf]").value;
    var enrolment = document.getElementById("enrolment-code");
    var enrolmentCode = enrolment ? enrolment.value : "";
    var context = { csrf: csrf, rid: button.getAttribute("data-rid") || "", next: button.getAttribute("data-next") || "", enrolment_code: enrolmentCode };
    if (errorBox) { errorBox.hidden = true; errorBox.textContent = ""; }
    if (!window.PublicKeyCredential) {
      if (errorBox) { errorBox.textContent = button.getAttribute("data-unsupported"); errorBox.hidden = false; }
      return;
    }
    button.disabled = true;
    post(button.getAttribute("data-options"), context)
      .then(function (options) {
        if (kind === "register") {
          return navigator.credentials.create(creationOptions(options)).then(function (credential) {
            var nameInput = document.getElementById("passkey-name");
            return post(button.getAttribute("data-finish"), {
              csrf: csrf,
              name: nameInput ? nameInput.value : "",
              attachment: credential.authenticatorAttachment || null,
              enrolment_code: enrolmentCode,
              credential: registrationJson(credential)
            });
          });
        }
        return navigator.credentials.get(requestOptions(options)).then(function (credential) {
          return post(button.getAttribute("data-finish"), { csrf: csrf, rid: context.rid, next: context.next, credential: assertionJson(credential) });
        });
      })
      .then(function (result) { window.location.assign(result.redirect); })
      .catch(function (error) {
        button.disabled = false;
        if (window.console && error) console.warn("passkey ceremony failed:", error.message || error);
        if (errorBox) {
          errorBox.textContent = button.getAttribute("data-failed");
          errorBox.hidden = false;
        }
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-passkey]");
    if (button) { event.preventDefault(); run(button); }
  });

  // A button with data-wait="N" stays disabled for N seconds, its label counting down (data-wait-label,
  // with %{seconds}); then it is enabled with its own label again.
  function countDown(button) {
    var left = parseInt(button.getAttribute("data-wait"), 10) || 0;
    if (left <= 0) return;
    var label = button.textContent, template = button.getAttribute("data-wait-label") || label;
    var hint = document.getElementById("resend-hint");
    if (hint) hint.hidden = true; // the label itself counts down
    button.disabled = true;
    (function tick() {
      if (left <= 0) {
        button.disabled = false;
        button.textContent = label;
        return;
      }
      button.textContent = template.replace("%{seconds}", String(left));
      left -= 1;
      window.setTimeout(tick, 1000);
    })();
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-wait]"), countDown);

  // A search field with data-filter="ID" hides the labels inside element ID whose text does not contain
  // what is typed (case-insensitive). Hidden choices keep their state; nothing is submitted by it.
  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter]"), function (field) {
    var list = document.getElementById(field.getAttribute("data-filter"));
    if (!list) return;
    field.addEventListener("input", function () {
      var wanted = field.value.trim().toLowerCase();
      Array.prototype.forEach.call(list.querySelectorAll("label"), function (label) {
        label.hidden = wanted !== "" && label.textContent.toLowerCase().indexOf(wanted) < 0;
      });
    });
  });
})();
