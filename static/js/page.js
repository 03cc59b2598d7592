// Tracking page: copy buttons for tracking numbers. Without this file (or without the clipboard
// API) the buttons stay hidden and the number is plain selectable text.
(function () {
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
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = button.dataset.done;
      setTimeout(function () { button.textContent = label; }, 2000);
    });
  });
})();
