// The zone fields of the account center: offers this browser's own time zone
// (Intl.DateTimeFormat().resolvedOptions().timeZone) beside each field, when it is not the
// field's value already. The field and its list of zones work without this script.
(function () {
  "use strict";
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  for (const box of document.querySelectorAll("[data-zone-for]")) {
    // Chromium reports some places by their old names (Asia/Calcutta): today's, please.
    const aliases = JSON.parse(box.getAttribute("data-zone-aliases") || "{}");
    zone = aliases[zone] || zone;
    const input = document.getElementById(box.getAttribute("data-zone-for"));
    if (!input || !zone || input.value === zone) continue;
    box.querySelector("[data-zone-name]").textContent = zone;
    box.querySelector("button").addEventListener("click", () => {
      input.value = zone;
      box.hidden = true;
      input.focus();
    });
    box.hidden = false;
  }
})();
