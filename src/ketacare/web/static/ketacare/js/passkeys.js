/* Passkeys and security keys (WebAuthn) on the sign-in, step-up and account pages.

   A form marked data-passkey="create" (enrol) or data-passkey="get" (sign in, confirm) names
   the <script type="application/json"> element holding the options the server made
   (py_webauthn's options_to_json: binary fields in base64url). On submit this asks the
   browser (navigator.credentials.create / get), puts the answer, base64url-encoded, in the
   form's hidden "credential" field and submits the form; the server verifies it. Nothing
   here is cryptographic: it only converts between base64url and bytes. No inline script,
   no eval: the page's Content-Security-Policy allows this file only. */
(function () {
  "use strict";

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    if (!buffer) {
      return null;
    }
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var out = { type: item.type, id: toBytes(item.id) };
      if (item.transports) {
        out.transports = item.transports;
      }
      return out;
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function answerJSON(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults
        ? credential.getClientExtensionResults()
        : {},
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      out.response.attestationObject = toBase64url(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toBase64url(response.authenticatorData);
      out.response.signature = toBase64url(response.signature);
      out.response.userHandle = toBase64url(response.userHandle);
    }
    return JSON.stringify(out);
  }

  function say(form, message) {
    var box = form.querySelector("[data-passkey-error]");
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
  }

  function reason(error) {
    if (error && error.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out. Try again.";
    }
    if (error && error.name === "InvalidStateError") {
      return "This passkey or security key is already registered to your account.";
    }
    return "Your browser could not use a passkey here.";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target instanceof HTMLFormElement ? event.target : null;
    if (!form || !form.dataset.passkey || form.dataset.passkeyAnswered === "1") {
      return;
    }
    event.preventDefault();
    if (!form.reportValidity()) {
      return;
    }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(form, "This browser does not support passkeys: use a one-time code instead.");
      return;
    }
    var holder = document.getElementById(form.dataset.passkeyOptions);
    var json = JSON.parse(holder.textContent);
    var ask =
      form.dataset.passkey === "create"
        ? navigator.credentials.create({ publicKey: creationOptions(json) })
        : navigator.credentials.get({ publicKey: requestOptions(json) });
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
    }
    ask
      .then(function (credential) {
        form.querySelector("input[name=credential]").value = answerJSON(credential);
        form.dataset.passkeyAnswered = "1";
        form.submit();
      })
      .catch(function (error) {
        if (button) {
          button.disabled = false;
        }
        say(form, reason(error));
      });
  });
})();
