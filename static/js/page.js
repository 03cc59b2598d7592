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
