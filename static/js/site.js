// The site's one script of its own (one request, cached a year under its fingerprint): errors
// answered to htmx forms shown in place, then the tracking page's conditional refresh and the
// copy buttons.
//
// Errors answered to htmx forms, shown in place. htmx swaps nothing on a 4xx/5xx (the htmx-config
// in base.html), so the form keeps what was typed and the files chosen; this file puts the notice
// the server rendered for the answer (templates/_error_notice.html) next to the form's submit
// button, or, for an answer without one (a proxy's 502, no connection), the page's own fallback
// for that status (templates/_error_notices.html). Only text is copied, never markup.
// Without this script (or without JavaScript) the forms post as plain forms and the server answers
// with a whole error page.
(function () {
  "use strict";
  var counter = 0;

  function serverNotice(xhr) {
    var type = (xhr && xhr.getResponseHeader("Content-Type")) || "";
    if (type.indexOf("text/html") !== 0) return null;
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    return doc.querySelector("[data-error-notice]");
  }

  function fallbackNotice(status) {
    var list = document.getElementById("error-notices");
    if (!list) return null;
    var key = status === 0 ? "0" : status === 400 || status === 413 || status === 429 ? String(status) : "500";
    return list.content.querySelector('[data-error-notice="' + key + '"]');
  }

  function text(source, selector) {
    var part = source.querySelector(selector);
    return part ? part.textContent.trim() : "";
  }

  // The form that sent the request, or a link or button outside one (the tracking page's
  // "Refresh"). Polling regions are left alone: their next poll tries again by itself.
  function ownerOf(elt) {
    if (!elt || !elt.closest) return null;
    return elt.closest("form") || (elt.matches("a, button") ? elt : null);
  }

  function clear(owner) {
    var shown = owner.errorNotice;
    if (!shown) return;
    if (shown.field) {
      shown.field.removeAttribute("aria-invalid");
      shown.field.setAttribute("aria-describedby", shown.describedBy);
      if (!shown.describedBy) shown.field.removeAttribute("aria-describedby");
    }
    shown.element.remove();
    owner.errorNotice = null;
  }

  function place(owner, notice, submitter) {
    if (owner.tagName !== "FORM") {
      (owner.closest("p, li") || owner).after(notice);
      return;
    }
    var button = submitter && owner.contains(submitter) ? submitter : owner.querySelector('button[type="submit"], button:not([type])');
    if (button) button.before(notice);
    else owner.prepend(notice);
  }

  // A field the server named (a value refused at the door): marked invalid, described by the
  // notice and focused, since that is where the customer acts next.
  function markField(owner, name, notice) {
    if (!name || owner.tagName !== "FORM") return null;
    var field = owner.elements.namedItem(name);
    if (!field || !field.setAttribute) return null;
    var describedBy = field.getAttribute("aria-describedby") || "";
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", (describedBy + " " + notice.id).trim());
    field.focus();
    return { field: field, describedBy: describedBy };
  }

  function show(detail) {
    var owner = ownerOf(detail.elt);
    if (!owner) return;
    var status = detail.xhr ? detail.xhr.status : 0;
    var source = (status && serverNotice(detail.xhr)) || fallbackNotice(status);
    if (!source) return;
    clear(owner);
    var notice = document.createElement("div");
    notice.className = "notice alert error-notice";
    notice.id = "error-notice-" + ++counter;
    notice.setAttribute("role", "alert");
    notice.tabIndex = -1;
    var title = document.createElement("strong");
    title.textContent = text(source, ".error-notice-title");
    notice.append(title, " ", text(source, ".error-notice-message"));
    // A session that expired (or a token that no longer fits it): the answer carries a fresh
    // token, so sending again works without reloading and losing the input.
    var token = source.getAttribute("data-csrf-token");
    if (token) {
      document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) { input.value = token; });
    }
    var config = detail.requestConfig || {};
    var submitter = config.triggeringEvent && config.triggeringEvent.submitter;
    place(owner, notice, submitter);
    var marked = markField(owner, source.getAttribute("data-field"), notice);
    owner.errorNotice = Object.assign({ element: notice }, marked || {});
    if (!marked) notice.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:responseError", function (e) { show(e.detail); });
  document.addEventListener("htmx:sendError", function (e) { show(e.detail); });
  document.addEventListener("htmx:timeout", function (e) { show(e.detail); });
  document.addEventListener("htmx:afterRequest", function (e) {
    var owner = ownerOf(e.detail.elt);
    if (owner && e.detail.successful) clear(owner);
  });
})();

// The tracking page's conditional refresh (If-None-Match), and copy buttons: tracking numbers
// on the tracking page, the tracking link in the admin. Without this file (or without the clipboard
// API) the buttons stay hidden and the number is plain selectable text.
(function () {
  // Conditional refresh: the live status part sends the ETag it was rendered with (data-etag);
  // while nothing changed the server answers 304 without a body, and htmx keeps the part as it
  // is (base.html's htmx-config does not swap a 304).
  document.addEventListener("htmx:configRequest", function (e) {
    var target = e.detail.target;
    if (e.detail.verb === "get" && target && target.id === "status" && target.dataset.etag) {
      e.detail.headers["If-None-Match"] = target.dataset.etag;
    }
  });
  if (!navigator.clipboard) return;
  function reveal() {
    document.querySelectorAll("button[data-copy]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", reveal);
  document.addEventListener("htmx:afterSettle", reveal);
  document.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.dataset.copy);
    // An input (the admin's tracking link) holds its text in value, other elements in text.
    var text = source.value !== undefined ? source.value : source.textContent;
    navigator.clipboard.writeText(text.trim()).then(function () {
      var label = button.textContent;
      button.textContent = button.dataset.done;
      setTimeout(function () { button.textContent = label; }, 2000);
    });
  });
})();
